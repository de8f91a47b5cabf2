import assert from "node:assert/strict";
import { test } from "node:test";

import { parseImport, slug } from "./io.js";

test("a valid document is read and gets format 1 and a links list", () => {
  const { doc, error } = parseImport('{"name": "x", "components": [{"id": "a", "kind": "cdn"}]}');
  assert.equal(error, undefined);
  assert.deepEqual(doc, { format: 1, name: "x", components: [{ id: "a", kind: "cdn" }], links: [] });
});

test("bad files are refused with a sentence saying what is wrong", () => {
  assert.match(parseImport("{not json").error, /not valid JSON/);
  assert.match(parseImport("[1, 2]").error, /one JSON object/);
  assert.match(parseImport('{"name": "x"}').error, /no "components" list/);
  assert.match(parseImport('{"components": [{"id": 3}]}').error, /components\[0\]/);
  assert.match(parseImport('{"components": [], "links": {}}').error, /"links" must be a list/);
  assert.match(parseImport('{"components": [], "links": [{"from": "a"}]}').error, /links\[0\]/);
});

test("file names are made from the design name", () => {
  assert.equal(slug("LB + two web servers!"), "lb-two-web-servers");
  assert.equal(slug("   "), "design");
});
