import assert from "node:assert/strict";
import { test } from "node:test";

import { FrameDecoder } from "./wire.js";

const design = {
  components: [{ id: "users" }, { id: "web" }],
  links: [{ from: "users", to: "web" }],
};

test("a compact frame decodes into the engine's frame shape", () => {
  const frame = new FrameDecoder(design).decode({
    tick: 3,
    t: 3,
    n: [
      [0, 0, 0, 800, 800, 0, 0, 0, 0, 0, null, null],
      [1, 3, "dead", 800, 0, 0, 800, 0, 0, 0, 2, 0, { hit_ratio: 0.9 }],
    ],
    l: [800],
    global: { throughput_rps: 0 },
    events: [{ t: 3, component: "web", kind: "failed" }],
  });
  assert.deepEqual(frame.nodes.web, {
    status: "down", health: "down", reason: "dead", offered: 800, served: 0, queued: 0,
    dropped: 800, util: 0, lat: 0, p95: 0, inst: 2, ready: 0, x: { hit_ratio: 0.9 },
  });
  assert.equal(frame.nodes.users.reason, null);
  assert.deepEqual(frame.links, [["users", "web", 800]]);
  assert.equal(frame.events.length, 1);
});

test("full frames pass through", () => {
  const full = { tick: 1, nodes: {}, links: [] };
  assert.equal(new FrameDecoder(design).decode(full), full);
});

test("goodput and late, left out on the wire when no client has a deadline, come back", () => {
  const decoder = new FrameDecoder(design);
  const plain = decoder.decode({ tick: 1, t: 1, n: [null, null], l: [0], global: { throughput_rps: 80 } });
  assert.equal(plain.global.goodput_rps, 80);
  assert.equal(plain.global.late_rps, 0);
  const late = { throughput_rps: 80, goodput_rps: 50, late_rps: 30 };
  assert.deepEqual(decoder.decode({ tick: 1, t: 1, n: [null, null], l: [0], global: late }).global, late);
});
