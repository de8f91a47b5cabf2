// Pure operations on a design document (format v1). Every function returns a
// new document and never mutates its input, so the undo history can keep old
// documents as they are (unchanged components are shared, not copied). Operations
// that depend on a kind's id prefix or role take the page's `kinds` (kinds.js) first.

/** The first free id `<prefix>-<n>` (n from 1) not in `taken` (a Set of ids). */
export function nextId(kinds, kind, taken) {
  const prefix = kinds.idPrefix(kind);
  let n = 1;
  while (taken.has(`${prefix}-${n}`)) n += 1;
  return `${prefix}-${n}`;
}

/** A stable id for the link between two components. */
export function linkId(from, to) {
  return `${from}->${to}`;
}

export function emptyDocument(name = "Untitled design") {
  return { format: 1, name, components: [], links: [] };
}

function componentIds(doc) {
  return new Set(doc.components.map((c) => c.id));
}

export function findComponent(doc, id) {
  return doc.components.find((c) => c.id === id) ?? null;
}

/** `{id: label}` for those of `ids` that have a label: what the panel shows instead of ids. */
export function labelsOf(doc, ids) {
  const wanted = new Set(ids);
  return Object.fromEntries(doc.components.filter((c) => wanted.has(c.id) && c.label).map((c) => [c.id, c.label]));
}

export function findLink(doc, id) {
  return doc.links.find((l) => linkId(l.from, l.to) === id) ?? null;
}

/** Add a component of `kind` at `position`; returns `{doc, id}`. */
export function addComponent(kinds, doc, kind, position, params = {}, parent = null) {
  const id = nextId(kinds, kind, componentIds(doc));
  const component = { id, kind, label: id, x: Math.round(position.x), y: Math.round(position.y) };
  if (parent) component.parent = parent;
  component.params = structuredClone(params);
  return { doc: { ...doc, components: [...doc.components, component] }, id };
}

/** Remove components (and their links) and links; members of a removed group stay, ungrouped. */
export function removeElements(doc, componentIdList, linkIdList = []) {
  const gone = new Set(componentIdList);
  const goneLinks = new Set(linkIdList);
  const components = doc.components
    .filter((c) => !gone.has(c.id))
    .map((c) => (c.parent && gone.has(c.parent) ? withoutKey(c, "parent") : c));
  const links = doc.links.filter(
    (l) => !gone.has(l.from) && !gone.has(l.to) && !goneLinks.has(linkId(l.from, l.to)),
  );
  return { ...doc, components, links };
}

function withoutKey(obj, key) {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}

/** Add the link from -> to; returns `{doc, id, problem}` (problem set and doc unchanged if refused). */
export function addLink(doc, from, to, params = {}) {
  const id = linkId(from, to);
  if (from === to) return { doc, id, problem: "a component cannot link to itself" };
  const ids = componentIds(doc);
  if (!ids.has(from) || !ids.has(to)) return { doc, id, problem: "both ends must exist" };
  if (findLink(doc, id)) return { doc, id, problem: `${from} already links to ${to}` };
  const link = { from, to };
  if (Object.keys(params).length) link.params = structuredClone(params);
  return { doc: { ...doc, links: [...doc.links, link] }, id, problem: null };
}

function updateComponent(doc, id, change) {
  let found = false;
  const components = doc.components.map((c) => {
    if (c.id !== id) return c;
    found = true;
    return change(c);
  });
  return found ? { ...doc, components } : doc;
}

/** Merge `params` into a component's params. */
export function setParams(doc, id, params) {
  return updateComponent(doc, id, (c) => ({ ...c, params: { ...(c.params ?? {}), ...params } }));
}

/** Merge `params` into a link's params. */
export function setLinkParams(doc, id, params) {
  const links = doc.links.map((l) =>
    linkId(l.from, l.to) === id ? { ...l, params: { ...(l.params ?? {}), ...params } } : l,
  );
  return { ...doc, links };
}

/** Set a component's label (blank labels fall back to the id). */
export function rename(doc, id, label) {
  const clean = String(label ?? "").trim();
  return updateComponent(doc, id, (c) => ({ ...c, label: clean || c.id }));
}

/** Move components: `positions` maps id -> {x, y} (rounded to whole pixels). */
export function moveComponents(doc, positions) {
  let changed = false;
  const components = doc.components.map((c) => {
    const p = positions[c.id];
    if (!p) return c;
    const x = Math.round(p.x);
    const y = Math.round(p.y);
    if (c.x === x && c.y === y) return c;
    changed = true;
    return { ...c, x, y };
  });
  return changed ? { ...doc, components } : doc;
}

/** Put components into the group `parent` (null takes them out). Groups never nest. */
export function setParent(kinds, doc, ids, parent) {
  const groupIds = new Set(doc.components.filter((c) => kinds.isGroup(c.kind)).map((c) => c.id));
  let result = doc;
  for (const id of ids) {
    if (groupIds.has(id) || id === parent) continue;
    result = updateComponent(result, id, (c) => {
      if ((c.parent ?? null) === parent) return c;
      return parent ? { ...c, parent } : withoutKey(c, "parent");
    });
  }
  return result;
}

/** Copy components (and the links among them) into a clipboard fragment. */
export function copyFragment(doc, ids) {
  const chosen = new Set(ids);
  for (const c of doc.components) {
    if (c.parent && chosen.has(c.parent)) chosen.add(c.id);
  }
  return {
    components: structuredClone(doc.components.filter((c) => chosen.has(c.id))),
    links: structuredClone(doc.links.filter((l) => chosen.has(l.from) && chosen.has(l.to))),
  };
}

/** Paste a fragment with fresh ids, shifted by `offset`; returns `{doc, ids}`. */
export function pasteFragment(kinds, doc, fragment, offset = { x: 40, y: 40 }) {
  const taken = componentIds(doc);
  const rename = new Map();
  for (const c of fragment.components) {
    const id = nextId(kinds, c.kind, taken);
    taken.add(id);
    rename.set(c.id, id);
  }
  const pasted = fragment.components.map((c) => {
    const id = rename.get(c.id);
    const copy = { ...structuredClone(c), id };
    if (c.label === c.id) copy.label = id;
    copy.x = Math.round((c.x ?? 0) + offset.x);
    copy.y = Math.round((c.y ?? 0) + offset.y);
    if (c.parent) {
      if (rename.has(c.parent)) copy.parent = rename.get(c.parent);
      else if (!taken.has(c.parent)) delete copy.parent;
    }
    return copy;
  });
  const links = fragment.links.map((l) => ({
    ...structuredClone(l),
    from: rename.get(l.from),
    to: rename.get(l.to),
  }));
  return {
    doc: { ...doc, components: [...doc.components, ...pasted], links: [...doc.links, ...links] },
    ids: pasted.map((c) => c.id),
  };
}

/** Wrap components in a new group (a data centre) placed around them; returns `{doc, id}`. */
export function groupIntoDatacenter(kinds, doc, ids, params = {}) {
  const members = doc.components.filter((c) => ids.includes(c.id) && !kinds.isGroup(c.kind));
  const xs = members.map((c) => c.x ?? 0);
  const ys = members.map((c) => c.y ?? 0);
  const center = members.length
    ? { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: (Math.min(...ys) + Math.max(...ys)) / 2 }
    : { x: 0, y: 0 };
  const added = addComponent(kinds, doc, kinds.groupKind(), center, params);
  return {
    doc: setParent(
      kinds,
      added.doc,
      members.map((c) => c.id),
      added.id,
    ),
    id: added.id,
  };
}

/** The data centres a component may move to, `[{id, label}]`, in document order. */
export function datacenterChoices(kinds, doc) {
  return doc.components
    .filter((c) => kinds.isGroup(c.kind))
    .map((c) => ({ id: c.id, label: c.label || c.id }));
}

// How far below a data centre's lowest member a component lands when it moves in or out,
// so it sits in the new box rather than over the old one (a box pads its members by 24 px).
const MOVE_GAP = 100;

/**
 * Move component `id` into the data centre `parent` (null: into none), placing it below
 * the members of the box it joins, or below those of the box it leaves. Returns `doc`
 * unchanged for a data centre, an unknown id, or a parent that is not a data centre.
 */
export function moveToDatacenter(kinds, doc, id, parent) {
  const component = findComponent(doc, id);
  if (!component || kinds.isGroup(component.kind)) return doc;
  const target = parent ? findComponent(doc, parent) : null;
  if (parent && (!target || !kinds.isGroup(target.kind))) return doc;
  const from = component.parent ?? null;
  if (from === (parent ?? null)) return doc;
  const membersOf = (group) => doc.components.filter((c) => c.parent === group && c.id !== id);
  const below = (members) => {
    if (!members.length) return null;
    const xs = members.map((c) => c.x ?? 0);
    return {
      x: (Math.min(...xs) + Math.max(...xs)) / 2,
      y: Math.max(...members.map((c) => c.y ?? 0)) + MOVE_GAP,
    };
  };
  let spot = null;
  if (parent) spot = below(membersOf(parent)) ?? { x: target.x ?? 0, y: target.y ?? 0 };
  else spot = below(membersOf(from));
  const moved = spot ? moveComponents(doc, { [id]: spot }) : doc;
  return setParent(kinds, moved, [id], parent ?? null);
}

/**
 * Why the components `ids` cannot be grouped into a new data centre, or null. Data
 * centres never nest, so a selection holding one, or components already in one, is
 * refused: `{reason: "holds_datacenter", names}` (the selected data centres' names),
 * `{reason: "already_inside", names}` (the data centres the members are in).
 */
export function groupRefusal(kinds, doc, ids) {
  const chosen = doc.components.filter((c) => ids.includes(c.id));
  const nameOf = (id) => {
    const c = findComponent(doc, id);
    return c ? c.label || c.id : id;
  };
  const groups = chosen.filter((c) => kinds.isGroup(c.kind)).map((c) => c.id);
  if (groups.length) return { reason: "holds_datacenter", names: groups.map(nameOf) };
  const parents = [...new Set(chosen.map((c) => c.parent).filter(Boolean))];
  if (parents.length) return { reason: "already_inside", names: parents.map(nameOf) };
  return null;
}

/** Find the id a path like `components[3].params.instances` or `links[0]` points at. */
export function culpritOfPath(doc, path) {
  // A save's answer prefixes the paths with "document.".
  const local = String(path ?? "").replace(/^document\./, "");
  const comp = /^components\[(\d+)\]/.exec(local);
  if (comp) return doc.components[Number(comp[1])]?.id ?? null;
  const link = /^links\[(\d+)\]/.exec(local);
  if (link) {
    const l = doc.links[Number(link[1])];
    return l ? linkId(l.from, l.to) : null;
  }
  return null;
}
