import assert from "node:assert/strict";
import { test } from "node:test";

import { copiesToOffer, copyKey, listCopies, removeCopy, tabId } from "./crash_copies.js";
import { MemoryStorage } from "../testdata/memory_storage.js";


const doc = (...ids) => ({ format: 1, name: "d", components: ids.map((id) => ({ id })), links: [] });

function keep(storage, design, tab, document, savedAt, base = 1) {
  storage.setItem(copyKey(design, tab), JSON.stringify({ base_revision: base, document, saved_at: savedAt }));
}

test("a tab keeps its id across reloads, and another tab gets another one", () => {
  const tabA = new MemoryStorage();
  const tabB = new MemoryStorage();
  let n = 0;
  const makeId = () => `id-${(n += 1)}`;
  assert.equal(tabId(tabA, makeId), "id-1");
  assert.equal(tabId(tabA, makeId), "id-1");
  assert.equal(tabId(tabB, makeId), "id-2");
});

test("without sessionStorage a tab still gets an id of its own", () => {
  const broken = {
    getItem() {
      throw new Error("denied");
    },
  };
  assert.equal(tabId(broken, () => "fresh"), "fresh");
});

test("copies of one design are listed newest first, other designs and junk left out", () => {
  const storage = new MemoryStorage();
  keep(storage, 7, "a", doc("x"), 1000);
  keep(storage, 7, "b", doc("y"), 3000);
  keep(storage, 8, "c", doc("z"), 5000);
  keep(storage, 70, "d", doc("w"), 6000);
  storage.setItem(copyKey(7, "broken"), "{not json");
  storage.setItem(copyKey(7, "shapeless"), JSON.stringify({ document: {} }));
  const copies = listCopies(storage, 7);
  assert.deepEqual(
    copies.map((c) => [c.key, c.saved_at]),
    [
      ["crash:7:b", 3000],
      ["crash:7:a", 1000],
    ],
  );
  assert.deepEqual(copies[0].document, doc("y"));
});

test("removing one tab's copy leaves the other tab's", () => {
  const storage = new MemoryStorage();
  keep(storage, 7, "a", doc("x"), 1000);
  keep(storage, 7, "b", doc("y"), 2000);
  removeCopy(storage, copyKey(7, "a"));
  assert.deepEqual(
    listCopies(storage, 7).map((c) => c.key),
    ["crash:7:b"],
  );
});

test("every copy holding unsaved work is offered; one equal to the stored document is dropped", () => {
  const storage = new MemoryStorage();
  keep(storage, 7, "a", doc("x", "saved"), 1000);
  keep(storage, 7, "b", doc("x", "unsaved-b"), 2000);
  keep(storage, 7, "c", doc("x", "unsaved-c"), 3000, 0);
  const offered = copiesToOffer(storage, 7, doc("x", "saved"));
  assert.deepEqual(
    offered.map((c) => [c.key, c.base_revision]),
    [
      ["crash:7:c", 0],
      ["crash:7:b", 1],
    ],
  );
  assert.equal(storage.getItem(copyKey(7, "a")), null);
});

test("unavailable storage offers nothing and throws nothing", () => {
  const broken = {
    get length() {
      throw new Error("denied");
    },
    removeItem() {
      throw new Error("denied");
    },
  };
  assert.deepEqual(copiesToOffer(broken, 7, doc()), []);
  removeCopy(broken, "crash:7:a");
});
