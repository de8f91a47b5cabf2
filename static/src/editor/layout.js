// Left-to-right layout by request flow: a component's column is the length of
// the longest request path reaching it, rows are spread evenly per column.
// Members of a data centre are laid out like everyone else (the group follows them).

export const COLUMN_GAP = 170;
export const ROW_GAP = 100;

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
  const columns = new Map();
  for (const id of nodes) {
    const c = column.get(id);
    if (!columns.has(c)) columns.set(c, []);
    columns.get(c).push(id);
  }
  const positions = {};
  for (const [c, ids] of columns) {
    const top = origin.y - ((ids.length - 1) * ROW_GAP) / 2;
    ids.forEach((id, row) => {
      positions[id] = { x: origin.x + c * COLUMN_GAP, y: top + row * ROW_GAP };
    });
  }
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
