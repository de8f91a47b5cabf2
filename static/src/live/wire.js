// Frames off the wire: the compact form (see sandbox/live/wire.py) back into the
// engine's frame shape, using the design's component and link order.

const STATUSES = ["up", "down", "degraded", "starting"];
const HEALTHS = ["ok", "warning", "critical", "down", "starting"];
const NUMBERS = ["offered", "served", "queued", "dropped", "util", "lat", "p95"];

export class FrameDecoder {
  constructor(design) {
    this.nodeIds = design.components.map((c) => c.id);
    this.links = design.links.map((l) => [l.from, l.to]);
  }

  /** The frame in full form (frames already in full form pass through). */
  decode(frame) {
    if (!Array.isArray(frame?.n)) return frame;
    const nodes = {};
    frame.n.forEach((values, i) => {
      if (!values) return;
      const node = {
        status: typeof values[0] === "number" ? STATUSES[values[0]] : values[0],
        health: typeof values[1] === "number" ? HEALTHS[values[1]] : values[1],
        reason: values[2] || null,
      };
      NUMBERS.forEach((key, k) => (node[key] = values[3 + k]));
      node.inst = values[10];
      node.ready = values[11];
      node.x = values[12] ?? {};
      nodes[this.nodeIds[i]] = node;
    });
    const links = this.links.map(([from, to], i) => [from, to, frame.l[i] ?? 0]);
    return {
      tick: frame.tick,
      t: frame.t,
      nodes,
      links,
      global: fullGlobal(frame.global ?? {}),
      events: frame.events ?? [],
      explain: frame.explain ?? {},
    };
  }
}

// Without client deadlines the wire leaves out goodput (= throughput) and late (0).
function fullGlobal(g) {
  if (g.throughput_rps === undefined || g.goodput_rps !== undefined) return g;
  return { ...g, goodput_rps: g.throughput_rps, late_rps: 0 };
}
