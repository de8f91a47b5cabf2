// The design as a read-only Cytoscape diagram that comes alive with each frame:
// node fill by graded health, a badge with throughput and utilisation, a reason
// badge on unhealthy nodes, link width by flow with moving dashes, a tooltip.

import cytoscape from "cytoscape";

import { followLayoutShifts } from "../editor/canvas.js";
import { toElements } from "../editor/graph.js";
import { flowLayout, needsLayout } from "../editor/layout.js";
import { linkId } from "../editor/model.js";
import { groupText, healthColor, linkWidth, maxFlow, nodeBadge, reasonBadge, tooltipRows } from "./look.js";

// Moving dashes cost a style update per edge per animation frame: skip them on big designs.
const ANIMATE_MAX_EDGES = 300;
const FIT_PADDING = 40; // px around the design when it is fitted into view
const REFIT_FRAMES = 30;

function stylesheet() {
  return [
    {
      selector: "node",
      style: {
        shape: "data(shape)",
        width: 46,
        height: 46,
        "background-color": "data(fill)",
        "border-width": 4,
        "border-color": "data(kindColor)",
        label: "data(text)",
        "text-wrap": "wrap",
        "text-max-width": 140,
        "text-valign": "bottom",
        "text-halign": "center",
        "text-margin-y": 5,
        "font-size": 11,
        "font-family": "system-ui, sans-serif",
        color: "#1b2230",
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        "text-background-shape": "round-rectangle",
      },
    },
    {
      selector: "node:parent",
      style: {
        shape: "round-rectangle",
        "background-color": "#eef1f7",
        "background-opacity": 0.6,
        "border-style": "dashed",
        "border-width": 2,
        "border-color": "data(fill)",
        "text-valign": "top",
        "text-margin-y": -4,
        "font-weight": "bold",
        padding: 24,
      },
    },
    {
      selector: "edge",
      style: {
        width: "data(width)",
        "line-color": "data(lineColor)",
        "target-arrow-color": "data(lineColor)",
        "target-arrow-shape": "triangle",
        "arrow-scale": 0.8,
        "curve-style": "bezier",
        "line-style": "dashed",
        "line-dash-pattern": [9, 5],
      },
    },
    { selector: "edge[flow = 0]", style: { "line-style": "solid", opacity: 0.45 } },
    { selector: "node.live-down", style: { "background-opacity": 0.55, "border-style": "dashed" } },
    { selector: "node:selected", style: { "overlay-color": "#3b5bdb", "overlay-opacity": 0.18 } },
  ];
}

export class LiveDiagram {
  /** `kinds` (editor/kinds.js) gives each kind's look and role, `metrics` (metrics.js) the tooltip's labels. */
  constructor(container, overlay, doc, { kinds, metrics, onNodeClick }) {
    this.overlay = overlay;
    this.kindBook = kinds;
    this.metrics = metrics;
    this.labels = new Map(doc.components.map((c) => [c.id, c.label || c.id]));
    this.kinds = new Map(doc.components.map((c) => [c.id, c.kind]));
    this.frame = null;
    this.badges = new Map();
    this.dashOffset = 0;
    const positions = needsLayout(kinds, doc) ? flowLayout(kinds, doc) : null;
    const elements = toElements(kinds, doc).map((el) => this.decorate(el, positions));
    this.cy = cytoscape({
      container,
      elements,
      style: stylesheet(),
      layout: { name: "preset", fit: true, padding: FIT_PADDING },
      autoungrabify: true,
      autounselectify: true,
      boxSelectionEnabled: false,
      wheelSensitivity: 0.3,
      minZoom: 0.2,
      maxZoom: 3,
    });
    this.tooltip = document.createElement("div");
    this.tooltip.className = "live-tooltip";
    this.tooltip.hidden = true;
    overlay.append(this.tooltip);
    this.cy.on("mouseover", "node", (e) => this.showTooltip(e.target));
    const hideTooltip = () => {
      this.tooltip.hidden = true;
      this.tooltipFor = null;
    };
    this.cy.on("mouseout", "node", hideTooltip);
    container.addEventListener("mouseleave", hideTooltip);
    this.cy.on("tap", "node", (e) => {
      hideTooltip();
      // A data centre's box too: failing and recovering one is a fault of the chapter.
      if (onNodeClick) onNodeClick(e.target.id(), e.target.renderedPosition(), Boolean(e.target.data("isGroup")));
    });
    followLayoutShifts(this.cy, container);
    this.cy.on("scrollzoom pinchzoom dragpan", () => (this.userMoved = true));
    this.cy.on("pan zoom resize", () => this.placeBadges());
    if (this.cy.edges().length <= ANIMATE_MAX_EDGES) this.animate();
  }

  decorate(el, positions) {
    if (el.group === "nodes") {
      const look = this.kindBook.lookOf(el.data.kind);
      el.data.shape = look.shape;
      el.data.kindColor = look.color;
      el.data.fill = healthColor("starting");
      el.data.text = el.data.label;
      if (positions?.[el.data.id]) el.position = positions[el.data.id];
    } else {
      el.data.width = 1.5;
      el.data.flow = 0;
      el.data.lineColor = "#94a3b8";
    }
    return el;
  }

  /** Show one frame (live or replayed). */
  render(frame) {
    this.frame = frame;
    const nodes = frame?.nodes ?? {};
    const links = frame?.links ?? [];
    const busiest = maxFlow(links);
    this.cy.batch(() => {
      for (const [id, node] of Object.entries(nodes)) {
        const ele = this.cy.getElementById(id);
        if (ele.empty()) continue;
        ele.data("fill", healthColor(node.health));
        ele.data("health", node.health);
        const label = this.labels.get(id);
        if (this.kindBook.isGroup(this.kinds.get(id))) ele.data("text", groupText(label, node));
        else ele.data("text", `${label}\n${nodeBadge(node)}`);
        ele.toggleClass("live-down", node.health === "down");
      }
      for (const [from, to, flow] of links) {
        const ele = this.cy.getElementById(linkId(from, to));
        if (ele.empty()) continue;
        ele.data("flow", flow > 0 ? flow : 0);
        ele.data("width", linkWidth(flow, busiest));
        const health = nodes[to]?.health;
        ele.data("lineColor", health && health !== "ok" ? healthColor(health) : "#5c7cfa");
      }
    });
    this.updateBadges(nodes);
    this.keepInView();
    if (!this.tooltip.hidden && this.tooltipFor) this.showTooltip(this.cy.getElementById(this.tooltipFor));
  }

  /**
   * The frames add each node's numbers under its name, and they grow ("0 rps" becomes
   * "720 rps · 45%"): while the person has not moved the view, fit it again when a label
   * leaves the diagram. Only in the first REFIT_FRAMES frames (the check measures every
   * label).
   */
  keepInView() {
    if (this.userMoved || this.framesShown >= REFIT_FRAMES) return;
    this.framesShown = (this.framesShown ?? 0) + 1;
    const box = this.cy.elements().renderedBoundingBox();
    if (box.x1 < 0 || box.y1 < 0 || box.x2 > this.cy.width() || box.y2 > this.cy.height()) {
      this.cy.fit(undefined, FIT_PADDING);
    }
  }

  updateBadges(nodes) {
    for (const [id, node] of Object.entries(nodes)) {
      // A data centre's box says its state in its own text (groupText).
      const text = this.kindBook.isGroup(this.kinds.get(id)) ? "" : reasonBadge(node);
      let badge = this.badges.get(id);
      if (!text) {
        if (badge) badge.hidden = true;
        continue;
      }
      if (!badge) {
        badge = document.createElement("span");
        badge.dataset.node = id;
        this.overlay.append(badge);
        this.badges.set(id, badge);
      }
      badge.className = `live-reason live-reason--${node.health}`;
      badge.textContent = text;
      badge.hidden = false;
    }
    this.placeBadges();
  }

  placeBadges() {
    // Read every size first, then move: interleaving would lay the page out per badge.
    const room = this.overlay.clientWidth;
    const moves = [];
    for (const [id, badge] of this.badges) {
      if (badge.hidden) continue;
      const ele = this.cy.getElementById(id);
      if (ele.empty()) continue;
      const pos = ele.renderedPosition();
      const half = ele.renderedOuterWidth() / 2;
      // Kept inside the diagram: a node near the edge must not push its badge out of view.
      const x = Math.max(0, Math.min(pos.x + half * 0.4, room - badge.offsetWidth - 2));
      moves.push([badge, x, pos.y - half - 14]);
    }
    for (const [badge, x, y] of moves) badge.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  }

  showTooltip(ele) {
    const id = ele.id();
    this.tooltipFor = id;
    const node = this.frame?.nodes?.[id];
    this.tooltip.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = `${this.labels.get(id) ?? id} (${this.kinds.get(id) ?? "?"})`;
    const table = document.createElement("dl");
    for (const [label, value] of tooltipRows(node, this.metrics)) {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value ?? "–";
      table.append(dt, dd);
    }
    this.tooltip.append(title, table);
    const why = this.frame?.explain?.[id];
    if (why) {
      const text = document.createElement("p");
      text.className = "live-tooltip__why";
      text.textContent = why.text;
      this.tooltip.append(text);
      if (why.fixes?.length) {
        const fixes = document.createElement("ul");
        for (const fix of why.fixes) {
          const item = document.createElement("li");
          item.textContent = fix.text;
          fixes.append(item);
        }
        this.tooltip.append(fixes);
      }
    }
    this.tooltip.hidden = false;
    // Kept inside the diagram: beside the node, or to its left near the right edge, and
    // raised as far as it must be near the bottom.
    const pos = ele.renderedPosition();
    const room = this.tooltip.parentElement;
    const width = this.tooltip.offsetWidth;
    const height = this.tooltip.offsetHeight;
    const roomWidth = room?.clientWidth || Infinity;
    const roomHeight = room?.clientHeight || Infinity;
    const x = pos.x + 30 + width <= roomWidth ? pos.x + 30 : Math.max(0, pos.x - 30 - width);
    const y = Math.max(0, Math.min(pos.y + 10, roomHeight - height));
    this.tooltip.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  }

  animate() {
    let last = 0;
    const step = (now) => {
      if (!this.cy) return;
      if (now - last > 50) {
        last = now;
        this.dashOffset = (this.dashOffset + 1.5) % 1400;
        this.cy.edges("[flow > 0]").style("line-dash-offset", -this.dashOffset);
      }
      this.raf = requestAnimationFrame(step);
    };
    this.raf = requestAnimationFrame(step);
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    this.cy.destroy();
    this.cy = null;
  }
}
