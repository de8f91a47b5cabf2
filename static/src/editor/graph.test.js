import assert from "node:assert/strict";
import { test } from "node:test";

import { diffDocuments, fromElements, toElements } from "./graph.js";
import {
  addComponent,
  addLink,
  moveComponents,
  removeElements,
  rename,
  setParams,
  setParent,
} from "./model.js";
import { Kinds } from "./kinds.js";
import { KIND_LOOKS } from "../testdata/fixtures.js";

const kinds = new Kinds(KIND_LOOKS);

const sample = {
  format: 1,
  name: "Two web servers behind a load balancer",
  components: [
    { id: "users", kind: "client", label: "Users", x: 0, y: 0, params: { rps: 800 } },
    { id: "lb", kind: "load_balancer", x: 200, y: 0, params: { algorithm: "round_robin" } },
    { id: "web", kind: "web_server", parent: "dc-east", x: 400, y: 0, params: { instances: 2 } },
    { id: "dc-east", kind: "datacenter", x: 400, y: 0, params: { region: "east" }, note: "kept" },
  ],
  links: [
    { from: "users", to: "lb" },
    { from: "lb", to: "web", params: { latency_ms: 2 } },
  ],
};

/** What Cytoscape's `ele.json()` gives back: the definition plus its own bookkeeping. */
function asCytoscapeReports(elements) {
  return elements.map((e) => ({ ...structuredClone(e), selected: false, classes: "" }));
}

test("a document survives the trip to elements and back", () => {
  const back = fromElements(asCytoscapeReports(toElements(kinds, sample)), sample);
  assert.deepEqual(back.components.map((c) => c.id), ["users", "lb", "web", "dc-east"]);
  assert.deepEqual(back.components[2], { ...sample.components[2], label: "web" });
  assert.equal(back.components[3].note, "kept");
  assert.deepEqual(back.links, sample.links);
  assert.equal(back.name, sample.name);
});

test("groups come before their members and edges after all nodes", () => {
  const elements = toElements(kinds, sample);
  const ids = elements.map((e) => e.data.id);
  assert.ok(ids.indexOf("dc-east") < ids.indexOf("web"));
  assert.deepEqual(ids.slice(-2), ["users->lb", "lb->web"]);
  assert.equal(elements.find((e) => e.data.id === "lb->web").data.label, "2 ms");
  assert.equal(elements.find((e) => e.data.id === "users").data.label, "Users");
  assert.equal(elements.find((e) => e.data.id === "lb").data.label, "lb");
});

test("links to missing components and parents that do not exist are left out", () => {
  const broken = {
    ...sample,
    components: [{ id: "a", kind: "web_server", parent: "nowhere", x: 0, y: 0, params: {} }],
    links: [{ from: "a", to: "ghost" }],
  };
  const elements = toElements(kinds, broken);
  assert.equal(elements.length, 1);
  assert.equal(elements[0].data.parent, undefined);
});

test("moves, renames and regrouping read back from the canvas", () => {
  const reports = asCytoscapeReports(toElements(kinds, sample));
  const web = reports.find((e) => e.data.id === "web");
  web.position = { x: 512.4, y: 99.6 };
  delete web.data.parent;
  reports.find((e) => e.data.id === "lb").data.label = "Front door";
  const back = fromElements(reports, sample);
  const backWeb = back.components.find((c) => c.id === "web");
  assert.deepEqual([backWeb.x, backWeb.y, backWeb.parent], [512, 100, undefined]);
  assert.equal(back.components.find((c) => c.id === "lb").label, "Front door");
});

test("the diff of two documents names exactly what changed", () => {
  const added = addComponent(kinds, sample, "cache", { x: 600, y: 100 }, { hit_ratio: 0.9 });
  const linked = addLink(added.doc, "web", added.id).doc;
  const moved = moveComponents(linked, { lb: { x: 210, y: 5 } });
  const renamed = rename(moved, "users", "Visitors");
  const diff = diffDocuments(kinds, sample, renamed);
  assert.deepEqual(diff.removeIds, []);
  assert.deepEqual(diff.addElements.map((e) => e.data.id), ["cache-1", "web->cache-1"]);
  assert.deepEqual(diff.movePositions, { lb: { x: 210, y: 5 } });
  assert.deepEqual(diff.updateData, [
    {
      id: "users",
      data: { id: "users", kind: "client", label: "Visitors", shape: "ellipse", color: "#2563eb" },
    },
  ]);
});

test("a change of role restyles the node", () => {
  const doc = addComponent(kinds, sample, "database", { x: 0, y: 0 }, { role: "primary" }).doc;
  const replica = setParams(doc, "db-1", { role: "replica" });
  const diff = diffDocuments(kinds, doc, replica);
  assert.deepEqual(diff.updateData, [
    {
      id: "db-1",
      data: {
        id: "db-1",
        kind: "database",
        label: "db-1",
        shape: "barrel",
        color: "#9333ea",
        role: "replica",
      },
    },
  ]);
  assert.equal(diffDocuments(kinds, replica, setParams(replica, "db-1", { instances: 3 })).updateData.length, 0);
});

test("the diff re-adds a regrouped node and the links that touch it", () => {
  const ungrouped = setParent(kinds, sample, ["web"], null);
  const diff = diffDocuments(kinds, sample, ungrouped);
  assert.deepEqual(diff.removeIds.sort(), ["lb->web", "web"]);
  assert.deepEqual(diff.addElements.map((e) => e.data.id), ["web", "lb->web"]);
  assert.equal(diff.addElements[0].data.parent, undefined);
});

test("the diff of a deletion removes the node and its links only", () => {
  const diff = diffDocuments(kinds, sample, removeElements(sample, ["lb"]));
  assert.deepEqual(diff.removeIds.sort(), ["lb", "lb->web", "users->lb"]);
  assert.deepEqual(diff.addElements, []);
});

test("applying a diff to the elements of the old document gives the new one", () => {
  const after = removeElements(
    addLink(addComponent(kinds, sample, "cache", { x: 1, y: 2 }).doc, "lb", "users").doc,
    ["web"],
  );
  const diff = diffDocuments(kinds, sample, after);
  let elements = toElements(kinds, sample).filter((e) => !diff.removeIds.includes(e.data.id));
  // Cytoscape drops the edges of a removed node by itself.
  const nodeIds = new Set(elements.filter((e) => e.group === "nodes").map((e) => e.data.id));
  elements = elements.filter(
    (e) => e.group === "nodes" || (nodeIds.has(e.data.source) && nodeIds.has(e.data.target)),
  );
  elements = [...elements, ...diff.addElements];
  for (const { id, data } of diff.updateData) {
    elements.find((e) => e.data.id === id).data = data;
  }
  for (const [id, p] of Object.entries(diff.movePositions)) {
    elements.find((e) => e.data.id === id).position = p;
  }
  const sortById = (els) => [...els].sort((a, b) => a.data.id.localeCompare(b.data.id));
  assert.deepEqual(sortById(elements), sortById(toElements(kinds, after)));
});

test("a data centre's box shows its name and how many components it holds", () => {
  const [dc] = toElements(kinds, sample).filter((e) => e.data.id === "dc-east");
  assert.equal(dc.data.caption, "dc-east · 1");
  assert.equal(dc.data.label, "dc-east", "the name alone stays the label, for renaming");
  const users = toElements(kinds, sample).find((e) => e.data.id === "users");
  assert.equal(users.data.caption, undefined);
});

test("a member joining or leaving updates its data centre's count", () => {
  const joined = setParent(kinds, sample, ["lb"], "dc-east");
  const diff = diffDocuments(kinds, sample, joined);
  assert.deepEqual(
    diff.updateData.filter((u) => u.id === "dc-east").map((u) => u.data.caption),
    ["dc-east · 2"],
  );
  const left = diffDocuments(kinds, sample, removeElements(sample, ["web"]));
  assert.deepEqual(left.updateData.map((u) => u.data.caption), ["dc-east · 0"]);
  const renamed = diffDocuments(kinds, sample, rename(sample, "dc-east", "East"));
  assert.deepEqual(renamed.updateData.map((u) => u.data.caption), ["East · 1"]);
  assert.deepEqual(diffDocuments(kinds, sample, setParams(sample, "lb", { instances: 2 })).updateData, []);
});
