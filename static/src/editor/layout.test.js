import assert from "node:assert/strict";
import { test } from "node:test";

import { COLUMN_GAP, ROW_GAP, flowLayout, needsLayout, snapToGrid } from "./layout.js";
import { Kinds } from "./kinds.js";
import { KIND_LOOKS } from "../testdata/fixtures.js";

const kinds = new Kinds(KIND_LOOKS);

const doc = {
  components: [
    { id: "db", kind: "database" },
    { id: "users", kind: "client" },
    { id: "lb", kind: "load_balancer" },
    { id: "web-1", kind: "web_server", parent: "dc" },
    { id: "web-2", kind: "web_server" },
    { id: "dc", kind: "datacenter" },
  ],
  links: [
    { from: "users", to: "lb" },
    { from: "lb", to: "web-1" },
    { from: "lb", to: "web-2" },
    { from: "web-1", to: "db" },
    { from: "web-2", to: "db" },
  ],
};

test("columns follow the longest request path, left to right", () => {
  const p = flowLayout(kinds, doc);
  assert.deepEqual(
    ["users", "lb", "web-1", "db"].map((id) => p[id].x),
    [0, COLUMN_GAP, 2 * COLUMN_GAP, 3 * COLUMN_GAP],
  );
  assert.equal(p["web-2"].x, p["web-1"].x);
  assert.equal(Math.abs(p["web-1"].y - p["web-2"].y), ROW_GAP);
  assert.equal(p.dc, undefined);
});

test("a request loop still gets every component a place", () => {
  const loop = {
    components: [
      { id: "a", kind: "web_server" },
      { id: "b", kind: "web_server" },
    ],
    links: [
      { from: "a", to: "b" },
      { from: "b", to: "a" },
    ],
  };
  const p = flowLayout(kinds, loop);
  assert.deepEqual(Object.keys(p).sort(), ["a", "b"]);
});

test("snapping rounds to the grid and layout is needed only without positions", () => {
  assert.deepEqual(snapToGrid({ x: 29, y: -31 }, 20), { x: 20, y: -40 });
  assert.equal(needsLayout(kinds, doc), true);
  assert.equal(needsLayout(kinds, { components: [{ id: "a", kind: "cdn", x: 1, y: 2 }] }), false);
});
