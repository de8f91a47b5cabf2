import assert from "node:assert/strict";
import { test } from "node:test";

import { BAND_GAP, COLUMN_GAP, ROW_GAP, flowLayout, needsLayout, snapToGrid } from "./layout.js";
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
  // web-1 is in the data centre, web-2 in none: a band each.
  assert.equal(Math.abs(p["web-1"].y - p["web-2"].y), ROW_GAP + BAND_GAP);
  assert.equal(p.dc, undefined);
});

test("without data centres each column's rows are centred on the origin", () => {
  const flat = { ...doc, components: doc.components.map(({ parent: _parent, ...c }) => c) };
  const p = flowLayout(kinds, flat, { x: 10, y: 500 });
  assert.deepEqual(p.users, { x: 10, y: 500 });
  assert.deepEqual([p["web-1"].y, p["web-2"].y], [500 - ROW_GAP / 2, 500 + ROW_GAP / 2]);
});

/** Two data centres with members in the same columns, and a client in none. */
const twoSites = {
  components: [
    { id: "users", kind: "client" },
    { id: "east", kind: "datacenter" },
    { id: "west", kind: "datacenter" },
    { id: "lb-e", kind: "load_balancer", parent: "east" },
    { id: "lb-w", kind: "load_balancer", parent: "west" },
    { id: "web-e1", kind: "web_server", parent: "east" },
    { id: "web-w1", kind: "web_server", parent: "west" },
    { id: "web-e2", kind: "web_server", parent: "east" },
    { id: "db", kind: "database", parent: "west" },
  ],
  links: [
    { from: "users", to: "lb-e" },
    { from: "users", to: "lb-w" },
    { from: "lb-e", to: "web-e1" },
    { from: "lb-e", to: "web-e2" },
    { from: "lb-w", to: "web-w1" },
    { from: "web-e1", to: "db" },
    { from: "web-e2", to: "db" },
    { from: "web-w1", to: "db" },
  ],
};

/** The rows a band's members take, as [top, bottom]. */
function rows(p, ids) {
  const ys = ids.map((id) => p[id].y);
  return [Math.min(...ys), Math.max(...ys)];
}

test("each data centre's members get rows of their own, so the boxes never overlap", () => {
  const p = flowLayout(kinds, twoSites);
  const none = rows(p, ["users"]);
  const east = rows(p, ["lb-e", "web-e1", "web-e2"]);
  const west = rows(p, ["lb-w", "web-w1", "db"]);
  // Bands in the order the document first names them, a band gap apart.
  assert.equal(east[0] - none[1], ROW_GAP + BAND_GAP);
  assert.equal(west[0] - east[1], ROW_GAP + BAND_GAP);
  // The flow still reads left to right across bands.
  assert.deepEqual(
    ["users", "lb-e", "web-e1", "db"].map((id) => p[id].x),
    [0, COLUMN_GAP, 2 * COLUMN_GAP, 3 * COLUMN_GAP],
  );
  assert.equal(p["lb-w"].x, p["lb-e"].x);
  // The stack is centred on the origin.
  assert.equal(none[0] + west[1], 0);
});

test("a member whose data centre is missing is laid out with the components in none", () => {
  const orphan = {
    components: [
      { id: "a", kind: "web_server" },
      { id: "b", kind: "web_server", parent: "gone" },
    ],
    links: [],
  };
  const p = flowLayout(kinds, orphan);
  assert.equal(Math.abs(p.a.y - p.b.y), ROW_GAP);
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
