// The Cytoscape canvas and the direct manipulation on it: the link handle
// (edgehandles), dropping nodes into and out of data centres, inline rename.

import cytoscape from "cytoscape";
import edgehandles from "cytoscape-edgehandles";

import { LinkDragFeedback, boxAt } from "./link_feedback.js";
import { buildStyle, currentScheme } from "./style.js";

cytoscape.use(edgehandles);

/** A Cytoscape instance in `container`, styled for the page's colour scheme. */
export function createCanvas(container, readOnly, { large = false } = {}) {
  const style = () => buildStyle(currentScheme(), { large });
  const cy = cytoscape({
    container,
    style: style(),
    layout: { name: "preset" },
    minZoom: 0.1,
    maxZoom: 3,
    boxSelectionEnabled: !readOnly,
    autoungrabify: readOnly,
    selectionType: "single",
    // Forgiving double taps (touch, slower hands); the rename needs one.
    multiClickDebounceTime: 400,
    textureOnViewport: false,
    hideEdgesOnViewport: false,
  });
  // Cytoscape swallows the mouse down, so the canvas would never take the keyboard focus.
  cy.on("tapstart", () => container.focus({ preventScroll: true }));
  followLayoutShifts(cy, container);
  if (large) showDetailsWhenZoomedIn(cy);
  const media = globalThis.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener("change", () => {
    cy.style(style());
  });
  return cy;
}

/**
 * Keep pointer events on target when the page reflows around the canvas. Cytoscape caches
 * where its container sits and refreshes that only when the window resizes or scrolls; text
 * above it that wraps (a longer status, a message) moves the canvas, and clicks would then
 * land beside the nodes. Entering, pressing or scrolling over it refreshes the cache first.
 */
export function followLayoutShifts(cy, container) {
  const refresh = () => cy.resize();
  container.addEventListener("pointerenter", refresh);
  for (const type of ["pointerdown", "wheel"]) {
    container.addEventListener(type, refresh, { capture: true, passive: true });
  }
}

/**
 * Big designs: labels and arrowheads only once they are big enough to see (zoom >= 0.5);
 * zoomed out they would cost most of the drawing and show nothing readable.
 */
function showDetailsWhenZoomedIn(cy) {
  let detailed = false;
  const update = () => {
    const wanted = cy.zoom() >= 0.5;
    if (wanted === detailed) return;
    detailed = wanted;
    cy.batch(() => (wanted ? cy.elements().addClass("detailed") : cy.elements().removeClass("detailed")));
  };
  cy.on("zoom", update);
  cy.on("add", (e) => {
    if (detailed) e.target.addClass("detailed");
  });
}

/** Model coordinates of a point given in client (page viewport) pixels. */
export function clientToModel(cy, clientX, clientY) {
  const rect = cy.container().getBoundingClientRect();
  const pan = cy.pan();
  const zoom = cy.zoom();
  return { x: (clientX - rect.left - pan.x) / zoom, y: (clientY - rect.top - pan.y) / zoom };
}

/** True when the client point is over the canvas. */
export function isOverCanvas(cy, clientX, clientY) {
  const rect = cy.container().getBoundingClientRect();
  return clientX >= rect.left && clientX <= rect.right && clientY >= rect.top && clientY <= rect.bottom;
}

/**
 * The link handle: a dot beside the hovered or selected component; drag it onto
 * another component to link them. A drag that makes no link says why when it is
 * released on a component that refused it (link_feedback.js).
 */
export function installLinkHandle({ cy, editor, handle, onRefused }) {
  const SNAP = 24;
  let node = null;
  const feedback = new LinkDragFeedback();
  const eh = cy.edgehandles({
    snap: true,
    snapThreshold: SNAP,
    hoverDelay: 0,
    canConnect(source, target) {
      // Edgehandles also asks about its own ghost node; only components can be linked.
      if (source.same(target) || target.isParent() || !target.data("kind")) return false;
      const problem = editor.linkProblem(source.id(), target.id());
      if (problem) feedback.refused(target.id(), problem);
      return problem === null;
    },
    edgeParams: () => ({ classes: "eh-new" }),
  });

  function place() {
    if (!node || node.removed() || node.data("isGroup")) {
      handle.hidden = true;
      return;
    }
    const box = node.renderedBoundingBox({ includeLabels: false });
    handle.style.left = `${box.x2 + 4}px`;
    handle.style.top = `${(box.y1 + box.y2) / 2 - 10}px`;
    handle.hidden = false;
    handle.dataset.node = node.id();
  }

  function showFor(target) {
    if (eh.active) return;
    node = target;
    place();
  }

  cy.on("mouseover select", "node", (e) => showFor(e.target));
  cy.on("grab remove", "node", (e) => {
    if (node && e.target.same(node)) handle.hidden = true;
  });
  cy.on("free", "node", (e) => showFor(e.target));
  cy.on("pan zoom position", () => {
    if (!handle.hidden) place();
  });
  cy.on("tap", (e) => {
    if (e.target === cy) handle.hidden = true;
  });
  cy.on("unselect", "node", (e) => {
    if (node && e.target.same(node) && cy.$("node:selected").empty()) handle.hidden = true;
  });

  handle.addEventListener("pointerdown", (e) => {
    if (!node || e.button > 0) return;
    e.preventDefault();
    handle.setPointerCapture(e.pointerId);
    feedback.start();
    eh.start(node);
    eh.update(clientToModel(cy, e.clientX, e.clientY));
  });
  handle.addEventListener("pointermove", (e) => {
    if (eh.active) eh.update(clientToModel(cy, e.clientX, e.clientY));
  });
  const stop = () => {
    if (eh.active) eh.stop();
    place();
  };
  handle.addEventListener("pointerup", stop);
  handle.addEventListener("pointercancel", stop);

  // Edgehandles draws the edge itself; the editor turns it into a link of the document.
  cy.on("ehcomplete", (_event, source, target, added) => {
    added.remove();
    feedback.completed(target.id(), editor.connect(source.id(), target.id()));
  });
  cy.on("ehstop", (event) => {
    const releasedOn = (ids) =>
      boxAt(
        ids.map((id) => ({ id, box: cy.getElementById(id).boundingBox({ includeLabels: false }) })),
        event.position ?? eh.mp(),
        SNAP,
      );
    const said = feedback.finish(releasedOn);
    if (said) onRefused(said.problem, said.targetId);
  });
  return eh;
}

/**
 * Drops into and out of data centres: a node dropped inside a data centre's box
 * (as it was when the drag began) joins it; dropped outside, it leaves.
 */
export function installDragTracking({ cy, editor }) {
  let boxes = [];
  let dragged = new Set();
  let pending = null;
  let hovered = null;

  cy.on("grab", "node", () => {
    if (!pending) boxes = editor.groupBoxes();
  });
  cy.on("drag", "node", (e) => {
    const p = e.target.position();
    const over = boxes.find(
      ({ id, box }) =>
        id !== e.target.id() && p.x >= box.x1 && p.x <= box.x2 && p.y >= box.y1 && p.y <= box.y2,
    );
    const next = over ? over.id : null;
    if (next !== hovered) {
      if (hovered) cy.getElementById(hovered).removeClass("drop-target");
      if (next && !e.target.data("isGroup")) cy.getElementById(next).addClass("drop-target");
      hovered = next;
    }
  });
  cy.on("dragfree", "node", (e) => {
    dragged.add(e.target.id());
    if (pending) return;
    // Several selected nodes end their drag together: handle them as one change.
    pending = setTimeout(() => {
      if (hovered) cy.getElementById(hovered).removeClass("drop-target");
      hovered = null;
      const ids = dragged;
      dragged = new Set();
      pending = null;
      editor.finishDrag(ids, boxes);
    }, 0);
  });
}

/**
 * Call `onDouble(id)` on a double click or double tap of one node. The browser's own
 * dblclick counts clicks like the system does (a busy page does not lose it); Cytoscape's
 * dbltap covers touch, and is only trusted when both taps hit the same node.
 */
export function onDoubleTap(cy, onDouble) {
  let taps = [null, null];
  cy.on("tap", (e) => {
    taps = [taps[1], e.target === cy ? null : e.target.id()];
  });
  cy.on("dbltap", "node", (e) => {
    if (taps[0] === e.target.id() && taps[1] === e.target.id()) onDouble(e.target.id());
  });
  cy.container().addEventListener("dblclick", (e) => {
    const point = clientToRendered(cy, e.clientX, e.clientY);
    const hit = cy
      .nodes()
      .filter((n) => !n.isParent())
      .filter((n) => {
        const box = n.renderedBoundingBox({ includeLabels: false });
        return point.x >= box.x1 && point.x <= box.x2 && point.y >= box.y1 && point.y <= box.y2;
      });
    if (hit.nonempty()) onDouble(hit[hit.length - 1].id());
  });
}

function clientToRendered(cy, clientX, clientY) {
  const rect = cy.container().getBoundingClientRect();
  return { x: clientX - rect.left, y: clientY - rect.top };
}

/** Inline rename: an input over the node; Enter keeps, Escape cancels. */
export function startRename({ cy, editor, input, id }) {
  const node = cy.getElementById(id);
  if (node.empty() || (!input.hidden && input.dataset.node === id)) return;
  input.dataset.node = id;
  const box = node.renderedBoundingBox({ includeLabels: true });
  input.value = node.data("label");
  input.style.left = `${Math.max(0, (box.x1 + box.x2) / 2 - 80)}px`;
  input.style.top = `${Math.max(0, box.y2 - 24)}px`;
  input.hidden = false;
  input.focus();
  input.select();
  const finish = (keep) => {
    input.removeEventListener("keydown", onKey);
    input.removeEventListener("blur", onBlur);
    input.hidden = true;
    if (keep && input.value !== node.data("label")) editor.rename(id, input.value);
    cy.container().focus();
  };
  const onKey = (e) => {
    if (e.key === "Enter") finish(true);
    else if (e.key === "Escape") finish(false);
    e.stopPropagation();
  };
  const onBlur = () => finish(true);
  input.addEventListener("keydown", onKey);
  input.addEventListener("blur", onBlur);
}
