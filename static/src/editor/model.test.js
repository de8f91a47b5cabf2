import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addComponent,
  addLink,
  copyFragment,
  culpritOfPath,
  datacenterChoices,
  emptyDocument,
  groupIntoDatacenter,
  groupRefusal,
  labelsOf,
  moveToDatacenter,
  nextId,
  pasteFragment,
  removeElements,
  rename,
  setLinkParams,
  setParams,
  setParent,
} from "./model.js";
import { Kinds } from "./kinds.js";
import { KIND_LOOKS } from "../testdata/fixtures.js";

const kinds = new Kinds(KIND_LOOKS);

function threeTier() {
  let doc = emptyDocument("t");
  for (const [kind, x] of [
    ["client", 0],
    ["load_balancer", 200],
    ["web_server", 400],
    ["web_server", 400],
  ]) {
    doc = addComponent(kinds, doc, kind, { x, y: 0 }).doc;
  }
  doc = addLink(doc, "users-1", "lb-1").doc;
  doc = addLink(doc, "lb-1", "web-1").doc;
  return addLink(doc, "lb-1", "web-2").doc;
}

test("ids are readable and never reused while taken", () => {
  assert.equal(nextId(kinds, "web_server", new Set()), "web-1");
  assert.equal(nextId(kinds, "web_server", new Set(["web-1", "web-3"])), "web-2");
  assert.equal(nextId(kinds, "cdn", new Set(["cdn-1"])), "cdn-2");
  assert.equal(nextId(kinds, "shard", new Set()), "shard-1");
  const doc = threeTier();
  assert.deepEqual(doc.components.map((c) => c.id), ["users-1", "lb-1", "web-1", "web-2"]);
});

test("operations never change the document they are given", () => {
  const doc = threeTier();
  const frozen = JSON.stringify(doc);
  setParams(doc, "web-1", { instances: 3 });
  rename(doc, "web-1", "Web");
  removeElements(doc, ["lb-1"]);
  setParent(kinds, doc, ["web-1"], "dc-1");
  groupIntoDatacenter(kinds, doc, ["web-1"]);
  assert.equal(JSON.stringify(doc), frozen);
});

test("unchanged components are shared between versions", () => {
  const doc = threeTier();
  const next = setParams(doc, "web-1", { instances: 3 });
  assert.equal(next.components[0], doc.components[0]);
  assert.notEqual(next.components[2], doc.components[2]);
  assert.deepEqual(next.components[2].params, { instances: 3 });
});

test("a link is refused to itself, twice, or to a missing component", () => {
  const doc = threeTier();
  assert.match(addLink(doc, "lb-1", "lb-1").problem, /itself/);
  assert.match(addLink(doc, "lb-1", "web-1").problem, /already/);
  assert.match(addLink(doc, "lb-1", "ghost").problem, /exist/);
  assert.equal(addLink(doc, "lb-1", "ghost").doc, doc);
});

test("deleting a component deletes its links; deleting a data centre keeps its members", () => {
  let doc = threeTier();
  const dc = groupIntoDatacenter(kinds, doc, ["web-1", "web-2"]);
  doc = dc.doc;
  assert.deepEqual(
    doc.components.filter((c) => c.parent === dc.id).map((c) => c.id),
    ["web-1", "web-2"],
  );
  const noDc = removeElements(doc, [dc.id]);
  assert.deepEqual(noDc.components.map((c) => c.id), ["users-1", "lb-1", "web-1", "web-2"]);
  assert.ok(noDc.components.every((c) => !("parent" in c)));
  const noLb = removeElements(doc, ["lb-1"]);
  assert.deepEqual(noLb.links, []);
  const oneLink = removeElements(doc, [], ["lb-1->web-2"]);
  assert.deepEqual(oneLink.links.map((l) => l.to), ["lb-1", "web-1"]);
});

test("a new data centre sits in the middle of its members and groups never nest", () => {
  const { doc, id } = groupIntoDatacenter(kinds, threeTier(), ["users-1", "web-1"]);
  const dc = doc.components.find((c) => c.id === id);
  assert.equal(id, "dc-1");
  assert.deepEqual([dc.x, dc.y], [200, 0]);
  const nested = groupIntoDatacenter(kinds, doc, [id, "lb-1"]);
  assert.equal(nested.doc.components.find((c) => c.id === id).parent, undefined);
});

test("copy and paste give fresh ids, keep inner links and shift positions", () => {
  const doc = threeTier();
  const fragment = copyFragment(doc, ["lb-1", "web-1"]);
  assert.deepEqual(fragment.links, [{ from: "lb-1", to: "web-1" }]);
  const pasted = pasteFragment(kinds, doc, fragment, { x: 10, y: 20 });
  assert.deepEqual(pasted.ids, ["lb-2", "web-3"]);
  const lb2 = pasted.doc.components.find((c) => c.id === "lb-2");
  assert.deepEqual([lb2.label, lb2.x, lb2.y], ["lb-2", 210, 20]);
  assert.deepEqual(pasted.doc.links.at(-1), { from: "lb-2", to: "web-3" });
});

test("copying a data centre copies its members too", () => {
  const grouped = groupIntoDatacenter(kinds, threeTier(), ["web-1"]);
  const fragment = copyFragment(grouped.doc, [grouped.id]);
  const pasted = pasteFragment(kinds, grouped.doc, fragment);
  const newWeb = pasted.doc.components.find((c) => c.id === "web-3");
  assert.equal(newWeb.parent, "dc-2");
});

test("blank labels fall back to the id", () => {
  const doc = rename(threeTier(), "web-1", "   ");
  assert.equal(doc.components[2].label, "web-1");
  assert.equal(rename(doc, "web-1", " Web A ").components[2].label, "Web A");
});

test("link parameters are merged into the link", () => {
  const doc = setLinkParams(threeTier(), "lb-1->web-1", { latency_ms: 5 });
  assert.deepEqual(doc.links[1], { from: "lb-1", to: "web-1", params: { latency_ms: 5 } });
});

test("a validation path points at its component or link", () => {
  const doc = threeTier();
  assert.equal(culpritOfPath(doc, "components[2].params.instances"), "web-1");
  assert.equal(culpritOfPath(doc, "links[1].to"), "lb-1->web-1");
  assert.equal(culpritOfPath(doc, "document.components[0].kind"), "users-1");
  assert.equal(culpritOfPath(doc, "name"), null);
  assert.equal(culpritOfPath(doc, "components[99]"), null);
});

/** Two data centres, East (web-1, web-2) and West (web-3), and lb-1 in none. */
function twoDatacentres() {
  let doc = emptyDocument("t");
  doc = addComponent(kinds, doc, "datacenter", { x: 0, y: 0 }).doc;
  doc = addComponent(kinds, doc, "datacenter", { x: 600, y: 0 }).doc;
  doc = rename(rename(doc, "dc-1", "East"), "dc-2", "West");
  doc = addComponent(kinds, doc, "web_server", { x: 0, y: 0 }, {}, "dc-1").doc;
  doc = addComponent(kinds, doc, "web_server", { x: 0, y: 100 }, {}, "dc-1").doc;
  doc = addComponent(kinds, doc, "web_server", { x: 600, y: 0 }, {}, "dc-2").doc;
  return addComponent(kinds, doc, "load_balancer", { x: -300, y: 0 }).doc;
}

test("the data centres to choose from are named as users named them", () => {
  assert.deepEqual(datacenterChoices(kinds, twoDatacentres()), [
    { id: "dc-1", label: "East" },
    { id: "dc-2", label: "West" },
  ]);
  assert.deepEqual(datacenterChoices(kinds, threeTier()), []);
});

test("a component moved to another data centre lands below that box's members", () => {
  const doc = moveToDatacenter(kinds, twoDatacentres(), "web-1", "dc-2");
  const web1 = doc.components.find((c) => c.id === "web-1");
  assert.equal(web1.parent, "dc-2");
  assert.deepEqual([web1.x, web1.y], [600, 100]);
});

test("a component moved out of its data centre leaves the box it was in", () => {
  const doc = moveToDatacenter(kinds, twoDatacentres(), "web-1", null);
  const web1 = doc.components.find((c) => c.id === "web-1");
  assert.equal(web1.parent, undefined);
  assert.deepEqual([web1.x, web1.y], [0, 200], "below web-2, the member left behind");
});

test("a component moved into an empty data centre goes where that data centre is", () => {
  let doc = addComponent(kinds, twoDatacentres(), "datacenter", { x: 900, y: 300 }).doc;
  doc = moveToDatacenter(kinds, doc, "lb-1", "dc-3");
  const lb = doc.components.find((c) => c.id === "lb-1");
  assert.deepEqual([lb.parent, lb.x, lb.y], ["dc-3", 900, 300]);
});

test("moving refuses to nest data centres or to enter what is not one", () => {
  const doc = twoDatacentres();
  assert.equal(moveToDatacenter(kinds, doc, "dc-1", "dc-2"), doc);
  assert.equal(moveToDatacenter(kinds, doc, "web-1", "lb-1"), doc);
  assert.equal(moveToDatacenter(kinds, doc, "web-1", "nowhere"), doc);
  assert.equal(moveToDatacenter(kinds, doc, "web-1", "dc-1"), doc, "already there");
});

test("grouping is refused when the selection holds a data centre or is already in one", () => {
  const doc = twoDatacentres();
  assert.deepEqual(groupRefusal(kinds, doc, ["dc-1", "lb-1"]), { reason: "holds_datacenter", names: ["East"] });
  assert.deepEqual(groupRefusal(kinds, doc, ["web-1", "web-3", "lb-1"]), {
    reason: "already_inside",
    names: ["East", "West"],
  });
  assert.deepEqual(groupRefusal(kinds, doc, ["web-1", "web-2"]), { reason: "already_inside", names: ["East"] });
  assert.equal(groupRefusal(kinds, doc, ["lb-1"]), null);
});

test("labelsOf gives the labels of the ids asked for, leaving unlabelled ones out", () => {
  const doc = {
    components: [
      { id: "web-1", kind: "web_server", label: "Checkout web", params: {} },
      { id: "dc-1", kind: "datacenter", label: "Frankfurt", params: {} },
      { id: "db-1", kind: "database", params: {} },
    ],
    links: [],
  };
  assert.deepEqual(labelsOf(doc, ["web-1", "db-1", "dc-1"]), { "web-1": "Checkout web", "dc-1": "Frankfurt" });
  assert.deepEqual(labelsOf(doc, ["db-1"]), {});
});
