// The editor: owns the current document, its undo history and the canvas.
// Every change goes through `commit()` (or `restore()` for undo/redo), which
// updates the canvas from the difference between the old and new documents,
// so the document is always the one source of truth that gets saved. `kinds`
// (kinds.js) comes with the page, so the diagram is drawn before the catalog arrives.

import { defaultParams, linkRefusal } from "./catalog.js";
import { diffDocuments, toElements } from "./graph.js";
import { History } from "./history.js";
import { flowLayout, needsLayout, snapToGrid } from "./layout.js";
import * as model from "./model.js";

const GRID = 20;

export class Editor {
  constructor({ cy, catalog, kinds, doc, readOnly, events }) {
    this.cy = cy;
    this.catalog = catalog;
    this.kinds = kinds;
    this.readOnly = readOnly;
    this.events = events;
    this.snap = true;
    this.clipboard = null;
    this.selectionOrder = [];
    const start = needsLayout(kinds, doc) ? placeUnplaced(kinds, doc) : doc;
    this.doc = start;
    this.history = new History(start);
    cy.add(toElements(kinds, start));
  }

  // Changes ----------------------------------------------------------------------------

  /** Make `next` the current document and record it for undo. */
  commit(next, { select = null, source = "canvas" } = {}) {
    if (next === this.doc) return false;
    this.show(next, select);
    this.history.push(next);
    this.events.changed({ source });
    return true;
  }

  /** Show `next` without recording it (undo, redo). */
  restore(next) {
    if (next === null) return;
    this.show(next, null);
    this.events.changed({ source: "history" });
  }

  /** Replace the whole document (load theirs, import, recovery); undo brings the old one back. */
  replace(next, { record = true } = {}) {
    const placed = needsLayout(this.kinds, next) ? placeUnplaced(this.kinds, next) : next;
    if (record) this.commit(placed, { source: "replace" });
    else {
      this.show(placed, null);
      this.history.reset(placed);
      this.events.changed({ source: "replace" });
    }
    this.fit();
  }

  show(next, select) {
    const before = this.doc;
    const keep = select ?? this.cy.$(":selected").map((e) => e.id());
    const diff = diffDocuments(this.kinds, before, next);
    const cy = this.cy;
    cy.batch(() => {
      for (const id of diff.removeIds) cy.getElementById(id).remove();
      if (diff.addElements.length) cy.add(diff.addElements);
      for (const { id, data } of diff.updateData) cy.getElementById(id).data(data);
      for (const [id, p] of Object.entries(diff.movePositions)) {
        const node = cy.getElementById(id);
        // A group's position follows its members; moving it would move them twice.
        if (node.nonempty() && !node.isParent()) node.position(p);
      }
      cy.elements().unselect();
      for (const id of keep) cy.getElementById(id).select();
    });
    this.doc = next;
  }

  undo() {
    this.restore(this.history.undo());
  }

  redo() {
    this.restore(this.history.redo());
  }

  // Operations -------------------------------------------------------------------------

  /** Add a component of `kind` centred at `position` (model coordinates). */
  addComponent(kind, position) {
    const at = this.snap ? snapToGrid(position, GRID) : position;
    const parent = this.kinds.isGroup(kind) ? null : this.groupAt(at);
    const { doc, id } = model.addComponent(
      this.kinds,
      this.doc,
      kind,
      at,
      defaultParams(this.catalog, kind),
      parent,
    );
    this.commit(doc, { select: [id] });
    return id;
  }

  /** Add a component where the user is looking, away from the others. */
  addComponentInView(kind) {
    const extent = this.cy.extent();
    let spot = { x: (extent.x1 + extent.x2) / 2, y: (extent.y1 + extent.y2) / 2 };
    const taken = (p) =>
      this.doc.components.some((c) => Math.abs(c.x - p.x) < 40 && Math.abs(c.y - p.y) < 40);
    for (let i = 0; i < 50 && taken(snapToGrid(spot, GRID)); i += 1) {
      spot = { x: spot.x + 2 * GRID, y: spot.y + (i % 2 ? 3 * GRID : 0) };
    }
    return this.addComponent(kind, spot);
  }

  /** Why source -> target is refused, or null. */
  linkProblem(sourceId, targetId) {
    const from = model.findComponent(this.doc, sourceId);
    const to = model.findComponent(this.doc, targetId);
    if (!from || !to) return "both ends must be components";
    if (sourceId === targetId) return "a component cannot link to itself";
    const rule = linkRefusal(this.catalog, from.kind, to.kind);
    if (rule) return rule;
    if (model.findLink(this.doc, model.linkId(sourceId, targetId))) {
      return `${from.label || from.id} already links to ${to.label || to.id}`;
    }
    return null;
  }

  /** Link source -> target; returns the refusal message or null. */
  connect(sourceId, targetId) {
    const problem = this.linkProblem(sourceId, targetId);
    if (problem) return problem;
    const params = {};
    for (const p of this.catalog.linkParams) {
      if (p.default !== null && p.default !== undefined) params[p.name] = p.default;
    }
    const result = model.addLink(this.doc, sourceId, targetId, params);
    if (result.problem) return result.problem;
    this.commit(result.doc, { select: [result.id] });
    return null;
  }

  /** Link the selected components in the order they were selected (keyboard alternative). */
  connectSelected() {
    const ids = this.selectedComponentIds();
    if (ids.length !== 2) return "select exactly two components: the sender first, then the receiver";
    const ordered = this.selectionOrder.filter((id) => ids.includes(id));
    const [from, to] = ordered.length === 2 ? ordered : ids;
    return this.connect(from, to);
  }

  deleteSelected() {
    const selected = this.cy.$(":selected");
    const components = selected.nodes().map((n) => n.id());
    const links = selected.edges().map((e) => e.id());
    if (!components.length && !links.length) return;
    this.commit(model.removeElements(this.doc, components, links), { select: [] });
  }

  copySelected() {
    const ids = this.selectedComponentIds();
    if (!ids.length) return false;
    this.clipboard = model.copyFragment(this.doc, ids);
    this.pasteCount = 0;
    return true;
  }

  paste() {
    if (!this.clipboard) return;
    this.pasteCount = (this.pasteCount ?? 0) + 1;
    const shift = 2 * GRID * this.pasteCount;
    const { doc, ids } = model.pasteFragment(this.kinds, this.doc, this.clipboard, {
      x: shift,
      y: shift,
    });
    this.commit(doc, { select: ids });
  }

  rename(id, label) {
    this.commit(model.rename(this.doc, id, label));
  }

  setParams(id, params, source) {
    const next = id.includes("->")
      ? model.setLinkParams(this.doc, id, params)
      : model.setParams(this.doc, id, params);
    if (JSON.stringify(next) === JSON.stringify(this.doc)) return;
    this.commit(next, { select: [id], source });
  }

  /** Why the selection cannot become a new data centre (model.groupRefusal), or null. */
  groupRefusal() {
    return model.groupRefusal(this.kinds, this.doc, this.selectedComponentIds());
  }

  /** Put the selection in a new data centre; returns its id, or null when refused. */
  groupSelected() {
    const ids = this.selectedComponentIds();
    if (!ids.length || this.groupRefusal()) return null;
    const { doc, id } = model.groupIntoDatacenter(
      this.kinds,
      this.doc,
      ids,
      defaultParams(this.catalog, this.kinds.groupKind()),
    );
    this.commit(doc, { select: [id] });
    return id;
  }

  /** Move one component into the data centre `parent` (null: out of any). */
  moveToDatacenter(id, parent) {
    this.commit(model.moveToDatacenter(this.kinds, this.doc, id, parent || null), { select: [id] });
  }

  ungroupSelected() {
    const ids = this.selectedComponentIds();
    const members = this.doc.components
      .filter((c) => ids.includes(c.id) || (c.parent && ids.includes(c.parent)))
      .map((c) => c.id);
    this.commit(model.setParent(this.kinds, this.doc, members, null));
  }

  autoLayout() {
    const extent = this.cy.extent();
    const positions = flowLayout(this.kinds, this.doc, {
      x: extent.x1 + 100,
      y: (extent.y1 + extent.y2) / 2,
    });
    this.commit(model.moveComponents(this.doc, positions));
    this.fit();
  }

  /** Nudge the selected components (and the members of selected groups) by grid steps. */
  nudgeSelected(dx, dy) {
    const selected = new Set(this.selectedComponentIds());
    const positions = {};
    for (const c of this.doc.components) {
      if (this.kinds.isGroup(c.kind)) continue;
      if (selected.has(c.id) || (c.parent && selected.has(c.parent))) {
        positions[c.id] = { x: c.x + dx * GRID, y: c.y + dy * GRID };
      }
    }
    this.commit(model.moveComponents(this.doc, positions));
  }

  /**
   * Read the canvas back after a drag: new positions (snapped when asked) for the
   * dragged nodes, and the group each dropped node now belongs to.
   */
  finishDrag(draggedIds, groupBoxes) {
    const cy = this.cy;
    const positions = {};
    for (const node of cy.nodes()) {
      if (node.isParent()) continue;
      const p = node.position();
      const c = model.findComponent(this.doc, node.id());
      if (!c) continue;
      const dragged = draggedIds.has(node.id()) || draggedIds.has(c.parent);
      const at = dragged && this.snap ? snapToGrid(p, GRID) : p;
      if (Math.round(at.x) !== c.x || Math.round(at.y) !== c.y) positions[node.id()] = at;
    }
    let next = model.moveComponents(this.doc, positions);
    for (const id of draggedIds) {
      const c = model.findComponent(next, id);
      if (!c || this.kinds.isGroup(c.kind) || draggedIds.has(c.parent)) continue;
      const group = groupContaining(groupBoxes, cy.getElementById(id).position(), id);
      next = model.setParent(this.kinds, next, [id], group);
    }
    // The canvas already shows the moved nodes; snapping moves them the last few pixels.
    this.commit(next);
  }

  /** The data centre whose box contains `position` (model coordinates), or null. */
  groupAt(position) {
    return groupContaining(this.groupBoxes(), position, null);
  }

  groupBoxes() {
    return this.cy
      .nodes()
      .filter((n) => n.data("isGroup"))
      .map((n) => ({ id: n.id(), box: n.boundingBox({ includeLabels: false }) }));
  }

  // Selection and view -----------------------------------------------------------------

  selectedComponentIds() {
    return this.cy.$("node:selected").map((n) => n.id());
  }

  selectAll() {
    this.cy.elements().select();
  }

  unselectAll() {
    this.cy.elements().unselect();
  }

  /**
   * Select the component `step` places after (or before, when negative) the last one
   * selected, in document order and wrapping round; `add` keeps the selection.
   */
  selectNeighbour(step, { add = false } = {}) {
    const ids = this.doc.components.map((c) => c.id);
    if (!ids.length) return;
    const selected = new Set(this.selectedComponentIds());
    const last = [...this.selectionOrder].reverse().find((id) => selected.has(id));
    const at = last === undefined ? (step > 0 ? -1 : 0) : ids.indexOf(last);
    const next = ids[(at + step + ids.length) % ids.length];
    if (add) {
      this.cy.getElementById(next).select();
      this.select([...selected, next], { center: next });
    } else {
      this.select([next]);
    }
  }

  /** Select exactly `ids` (in that order) and bring `center` (or all of them) into view. */
  select(ids, { center = null } = {}) {
    this.cy.batch(() => {
      for (const e of this.cy.$(":selected")) if (!ids.includes(e.id())) e.unselect();
      for (const id of ids) this.cy.getElementById(id).select();
    });
    const shown = center ? [center] : ids;
    const chosen = this.cy.collection(shown.map((id) => this.cy.getElementById(id)));
    if (chosen.nonempty()) this.cy.animate({ center: { eles: chosen } }, { duration: 200 });
  }

  /**
   * Fit the diagram in view. The box comes from the document's positions: asking
   * Cytoscape for it measures every label and edge, which costs most of a second
   * on a design of 500 components.
   */
  fit() {
    const nodes = this.doc.components.filter((c) => !this.kinds.isGroup(c.kind));
    if (!nodes.length) return;
    const margin = 60; // half a node and its label, plus a group's padding
    const xs = nodes.map((c) => c.x ?? 0);
    const ys = nodes.map((c) => c.y ?? 0);
    const x1 = Math.min(...xs) - margin;
    const x2 = Math.max(...xs) + margin;
    const y1 = Math.min(...ys) - margin;
    const y2 = Math.max(...ys) + margin;
    const width = this.cy.width();
    const height = this.cy.height();
    const pad = 20;
    // A small diagram is not blown up: past 1.25 the shapes only look clumsy.
    const zoom = Math.max(
      this.cy.minZoom(),
      Math.min(1.25, (width - 2 * pad) / (x2 - x1), (height - 2 * pad) / (y2 - y1)),
    );
    this.cy.viewport({
      zoom,
      pan: { x: width / 2 - zoom * ((x1 + x2) / 2), y: height / 2 - zoom * ((y1 + y2) / 2) },
    });
  }

  zoomBy(factor) {
    this.cy.zoom({ level: this.cy.zoom() * factor, renderedPosition: this.center() });
  }

  center() {
    return { x: this.cy.width() / 2, y: this.cy.height() / 2 };
  }
}

function groupContaining(groupBoxes, position, selfId) {
  let best = null;
  let bestArea = Number.POSITIVE_INFINITY;
  for (const { id, box } of groupBoxes) {
    if (id === selfId) continue;
    const inside =
      position.x >= box.x1 && position.x <= box.x2 && position.y >= box.y1 && position.y <= box.y2;
    const area = box.w * box.h;
    if (inside && area < bestArea) {
      best = id;
      bestArea = area;
    }
  }
  return best;
}

/** Give components without a position one from the flow layout. */
function placeUnplaced(kinds, doc) {
  const positions = flowLayout(kinds, doc);
  const components = doc.components.map((c) =>
    typeof c.x === "number" && typeof c.y === "number"
      ? c
      : { ...c, x: positions[c.id]?.x ?? 0, y: positions[c.id]?.y ?? 0 },
  );
  return { ...doc, components };
}
