// Left-to-right layout by request flow: a component's column is the length of
// the longest request path reaching it. Each data centre's members get a band of rows
// of their own (so do the components in none), stacked top to bottom in the order the
// document first names them: a data centre's box follows its members, so boxes in
// separate bands never overlap, whatever columns they span.

export const COLUMN_GAP = 170;
export const ROW_GAP = 100;
// Added to ROW_GAP between bands: room for two boxes' padding and a data centre's name.
export const BAND_GAP = 80;

/** Positions `{id: {x, y}}` for every non-group component of `doc` (groups by `kinds`). */
export function flowLayout(kinds, doc, origin = { x: 0, y: 0 }) {
  const nodes = doc.components.filter((c) => !kinds.isGroup(c.kind)).map((c) => c.id);
  const known = new Set(nodes);
  const incoming = new Map(nodes.map((id) => [id, []]));
  const outgoing = new Map(nodes.map((id) => [id, []]));
  for (const l of doc.links) {
    if (!known.has(l.from) || !known.has(l.to) || l.from === l.to) continue;
    outgoing.get(l.from).push(l.to);
    incoming.get(l.to).push(l.from);
  }
  // Kahn's order; nodes left over sit on a loop and take the column after their placed sources.
  const indegree = new Map(nodes.map((id) => [id, incoming.get(id).length]));
  const column = new Map();
  const queue = nodes.filter((id) => indegree.get(id) === 0);
  for (const id of queue) column.set(id, 0);
  for (let i = 0; i < queue.length; i += 1) {
    const id = queue[i];
    for (const next of outgoing.get(id)) {
      column.set(next, Math.max(column.get(next) ?? 0, column.get(id) + 1));
      indegree.set(next, indegree.get(next) - 1);
      if (indegree.get(next) === 0) queue.push(next);
    }
  }
  for (const id of nodes) {
    if (!column.has(id)) {
      const placed = incoming.get(id).filter((s) => column.has(s));
      column.set(id, placed.length ? Math.max(...placed.map((s) => column.get(s))) + 1 : 0);
    }
  }
  const groups = new Set(doc.components.filter((c) => kinds.isGroup(c.kind)).map((c) => c.id));
  const bands = new Map(); // data centre id (null: none) -> column -> ids
  for (const c of doc.components) {
    if (!known.has(c.id)) continue;
    const band = groups.has(c.parent) ? c.parent : null;
    if (!bands.has(band)) bands.set(band, new Map());
    const columns = bands.get(band);
    const col = column.get(c.id);
    if (!columns.has(col)) columns.set(col, []);
    columns.get(col).push(c.id);
  }
  const heightOf = (columns) => (Math.max(...[...columns.values()].map((ids) => ids.length)) - 1) * ROW_GAP;
  const heights = [...bands.values()].map(heightOf);
  const total = heights.reduce((a, b) => a + b, 0) + (bands.size - 1) * (ROW_GAP + BAND_GAP);
  const positions = {};
  let bandTop = origin.y - total / 2;
  [...bands.values()].forEach((columns, i) => {
    const middle = bandTop + heights[i] / 2;
    for (const [c, ids] of columns) {
      const top = middle - ((ids.length - 1) * ROW_GAP) / 2;
      ids.forEach((id, row) => {
        positions[id] = { x: origin.x + c * COLUMN_GAP, y: top + row * ROW_GAP };
      });
    }
    bandTop += heights[i] + ROW_GAP + BAND_GAP;
  });
  return positions;
}

/** Round a position to the grid. */
export function snapToGrid(position, grid = 20) {
  return { x: Math.round(position.x / grid) * grid, y: Math.round(position.y / grid) * grid };
}

/** True when any non-group component of `doc` has no stored position. */
export function needsLayout(kinds, doc) {
  return doc.components.some(
    (c) => !kinds.isGroup(c.kind) && (typeof c.x !== "number" || typeof c.y !== "number"),
  );
}
