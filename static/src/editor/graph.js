// Conversion between a design document and Cytoscape element definitions,
// plus the difference between two documents as element changes, so the
// canvas can follow the document (undo, redo, paste, load) without a full redraw.
// `kinds` (kinds.js) gives each kind's shape and colour.

import { linkId } from "./model.js";
import { GROUP_TEXT } from "./text.js";

function linkLabel(link) {
  // No label for links without latency: "0 ms" on every arrow is only noise.
  const ms = link.params?.latency_ms;
  return typeof ms === "number" && ms > 0 ? `${ms} ms` : "";
}

/** How many members each data centre of `doc` has (id -> count; groups only). */
export function memberCounts(kinds, doc) {
  const counts = new Map();
  for (const c of doc.components) if (kinds.isGroup(c.kind)) counts.set(c.id, 0);
  for (const c of doc.components) {
    if (c.parent && counts.has(c.parent)) counts.set(c.parent, counts.get(c.parent) + 1);
  }
  return counts;
}

/**
 * The Cytoscape definition of one component; a data centre's `caption` (what its box
 * shows) adds its `members` count to its name, which stays in `label` for renaming.
 */
export function nodeElement(kinds, component, members = 0) {
  const look = kinds.lookOf(component.kind);
  const data = {
    id: component.id,
    kind: component.kind,
    label: component.label || component.id,
    shape: look.shape,
    color: look.color,
  };
  if (kinds.isGroup(component.kind)) {
    data.isGroup = true;
    data.caption = GROUP_TEXT.caption(data.label, members);
  }
  if (component.parent) data.parent = component.parent;
  // A replica database looks different from its primary.
  if (component.params?.role) data.role = component.params.role;
  return {
    group: "nodes",
    data,
    position: { x: component.x ?? 0, y: component.y ?? 0 },
  };
}

/** The Cytoscape definition of one link. */
export function edgeElement(link) {
  return {
    group: "edges",
    data: { id: linkId(link.from, link.to), source: link.from, target: link.to, label: linkLabel(link) },
  };
}

/** All elements of a document: nodes first (groups before members), then edges. */
export function toElements(kinds, doc) {
  const known = new Set(doc.components.map((c) => c.id));
  const counts = memberCounts(kinds, doc);
  const groupsFirst = [...doc.components].sort(
    (a, b) => Number(Boolean(a.parent)) - Number(Boolean(b.parent)),
  );
  const nodes = groupsFirst.map((c) => {
    const el = nodeElement(kinds, c, counts.get(c.id));
    if (el.data.parent && !known.has(el.data.parent)) delete el.data.parent;
    return el;
  });
  const edges = doc.links.filter((l) => known.has(l.from) && known.has(l.to)).map(edgeElement);
  return [...nodes, ...edges];
}

/**
 * Rebuild a document from elements as Cytoscape reports them (`ele.json()`),
 * taking params and any other fields from `base`; new components get empty params.
 */
export function fromElements(elements, base) {
  const baseComponents = new Map(base.components.map((c) => [c.id, c]));
  const baseLinks = new Map(base.links.map((l) => [linkId(l.from, l.to), l]));
  const nodes = elements.filter((e) => (e.group ?? (e.data.source ? "edges" : "nodes")) === "nodes");
  const edges = elements.filter((e) => (e.group ?? (e.data.source ? "edges" : "nodes")) === "edges");
  const byId = new Map(nodes.map((n) => [n.data.id, n]));
  const order = [
    ...base.components.map((c) => c.id).filter((id) => byId.has(id)),
    ...nodes.map((n) => n.data.id).filter((id) => !baseComponents.has(id)),
  ];
  const components = order.map((id) => {
    const n = byId.get(id);
    const old = baseComponents.get(id);
    const c = { ...(old ?? { id, params: {} }), id, kind: n.data.kind, label: n.data.label };
    c.x = Math.round(n.position?.x ?? 0);
    c.y = Math.round(n.position?.y ?? 0);
    if (n.data.parent) c.parent = n.data.parent;
    else delete c.parent;
    return c;
  });
  const links = edges.map((e) => {
    const id = linkId(e.data.source, e.data.target);
    return { ...(baseLinks.get(id) ?? {}), from: e.data.source, to: e.data.target };
  });
  return { ...base, components, links };
}

function sameNode(a, b) {
  return (
    a.kind === b.kind &&
    (a.label || a.id) === (b.label || b.id) &&
    (a.parent ?? null) === (b.parent ?? null) &&
    (a.params?.role ?? null) === (b.params?.role ?? null)
  );
}

/**
 * What changed between two documents, as element operations:
 * `{removeIds, addElements, updateData: [{id, data}], movePositions: {id: {x, y}}}`.
 */
export function diffDocuments(kinds, before, after) {
  const oldC = new Map(before.components.map((c) => [c.id, c]));
  const newC = new Map(after.components.map((c) => [c.id, c]));
  const oldL = new Map(before.links.map((l) => [linkId(l.from, l.to), l]));
  const newL = new Map(after.links.map((l) => [linkId(l.from, l.to), l]));
  const removeIds = [];
  const addElements = [];
  const updateData = [];
  const movePositions = {};
  for (const [id] of oldL) if (!newL.has(id)) removeIds.push(id);
  for (const [id, c] of oldC) {
    const next = newC.get(id);
    // A changed kind or group is re-added: Cytoscape cannot restyle a parent change cheaply.
    if (!next || next.kind !== c.kind || (next.parent ?? null) !== (c.parent ?? null)) {
      removeIds.push(id);
    }
  }
  const readded = new Set(removeIds);
  const countsBefore = memberCounts(kinds, before);
  const countsAfter = memberCounts(kinds, after);
  for (const [id, c] of newC) {
    const old = oldC.get(id);
    const members = countsAfter.get(id);
    if (!old || readded.has(id)) {
      addElements.push(nodeElement(kinds, c, members));
      continue;
    }
    const recounted = countsBefore.get(id) !== members;
    if (c === old && !recounted) continue;
    if (!sameNode(old, c) || recounted) updateData.push({ id, data: nodeElement(kinds, c, members).data });
    if ((old.x ?? 0) !== (c.x ?? 0) || (old.y ?? 0) !== (c.y ?? 0)) {
      movePositions[id] = { x: c.x ?? 0, y: c.y ?? 0 };
    }
  }
  addElements.sort((a, b) => Number(Boolean(a.data.parent)) - Number(Boolean(b.data.parent)));
  for (const [id, l] of newL) {
    const old = oldL.get(id);
    const touchesReadded = readded.has(l.from) || readded.has(l.to);
    if (!old || touchesReadded) addElements.push(edgeElement(l));
    else if (linkLabel(old) !== linkLabel(l)) updateData.push({ id, data: edgeElement(l).data });
  }
  // Removing a node removes its edges in Cytoscape; those that survive must come back.
  for (const [id, l] of oldL) {
    if (newL.has(id) && (readded.has(l.from) || readded.has(l.to)) && !removeIds.includes(id)) {
      removeIds.push(id);
    }
  }
  return { removeIds, addElements, updateData, movePositions };
}
