import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { Saver } from "./save.js";
import { MemoryStorage } from "../testdata/memory_storage.js";


const doc = (instances) => ({
  format: 1,
  name: "d",
  components: [{ id: "web", kind: "web_server", params: { instances } }],
  links: [],
});

let sent;
let answers;

beforeEach(() => {
  sent = [];
  answers = [];
  globalThis.window = { addEventListener() {} };
  globalThis.document = { body: null, getElementById: () => null };
  globalThis.localStorage = new MemoryStorage();
  globalThis.sessionStorage = new MemoryStorage();
  globalThis.fetch = async (url, init) => {
    sent.push(JSON.parse(init.body));
    const [status, data] = answers.shift();
    return {
      ok: status < 400,
      status,
      headers: { get: () => "application/json" },
      json: async () => data,
    };
  };
});

afterEach(() => {
  for (const name of ["window", "document", "localStorage", "sessionStorage", "fetch"]) delete globalThis[name];
});

function makeSaver({ revision = 2, saves = 1 } = {}) {
  const editor = { doc: doc(2) };
  const status = { textContent: "", dataset: {} };
  const banner = { shown: null, show(b) { this.shown = b; }, hide() { this.shown = null; } };
  const saver = new Saver({ editor, url: "/api/designs/1/document", revision, saves, design: "1", status, banner });
  return { saver, editor, status, banner };
}

test("an autosave says so and sends the revision's saves as its base", async () => {
  const { saver, editor } = makeSaver();
  editor.doc = doc(3);
  answers.push([200, { revision: 2, saves: 2, changed: true }]);
  assert.equal(await saver.save({ autosave: true }), true);
  assert.deepEqual(sent[0], { base_revision: 2, base_saves: 1, document: doc(3), autosave: true });
});

test("a burst answered with the same revision number keeps saving on top of it", async () => {
  const { saver, editor, status } = makeSaver();
  editor.doc = doc(3);
  answers.push([200, { revision: 2, saves: 2, changed: true }]);
  await saver.save({ autosave: true });
  editor.doc = doc(4);
  answers.push([200, { revision: 2, saves: 3, changed: true }]);
  await saver.save({ autosave: true });
  assert.deepEqual(
    sent.map((body) => [body.base_revision, body.base_saves]),
    [
      [2, 1],
      [2, 2],
    ],
  );
  assert.equal(saver.dirty, false);
  assert.equal(status.textContent, "Saved · revision 2");
});

test("an autosave of an unchanged editor sends nothing, an explicit save always asks", async () => {
  const { saver, status } = makeSaver();
  assert.equal(await saver.save({ autosave: true }), true);
  assert.equal(sent.length, 0);
  answers.push([200, { revision: 2, saves: 1, changed: false, detail: "Nothing changed since revision 2." }]);
  assert.equal(await saver.save(), true);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].autosave, undefined);
  assert.equal(status.textContent, "Nothing changed since revision 2");
});

test("an explicit save asked for during an autosave is sent after it, even with nothing left to save", async () => {
  const { saver, editor } = makeSaver();
  editor.doc = doc(3);
  answers.push([200, { revision: 2, saves: 2, changed: true }]);
  answers.push([200, { revision: 2, saves: 2, changed: false }]);
  const autosave = saver.save({ autosave: true });
  saver.save({ message: "three servers" });
  await autosave;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(
    sent.map((body) => [body.autosave ?? false, body.message ?? ""]),
    [
      [true, ""],
      [false, "three servers"],
    ],
  );
});

test("saving mine on top of a rewritten revision uses its current saves", async () => {
  const { saver, editor, banner } = makeSaver();
  editor.doc = doc(3);
  answers.push([409, { error: "conflict", current_revision: 2, current_saves: 4 }]);
  assert.equal(await saver.save({ autosave: true }), false);
  answers.push([200, { revision: 3, saves: 1, changed: true }]);
  await banner.shown.actions.find((a) => a.name === "save-mine").run();
  assert.deepEqual([sent[1].base_revision, sent[1].base_saves], [2, 4]);
  assert.equal(saver.revision, 3);
});
