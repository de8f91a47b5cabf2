import { test } from "node:test";
import assert from "node:assert/strict";
import { whyItems } from "./why.js";

test("whyItems lists each explained component with its fixes, in the frame's order", () => {
  const frame = {
    explain: {
      web: { code: "over_capacity", text: "Web tier is offered 1,900 req/s", fixes: [{ code: "add_instances", text: "3 more instances" }] },
      db: { code: "down", text: "Orders DB is down" },
    },
  };
  assert.deepEqual(whyItems(frame), [
    { id: "web", text: "Web tier is offered 1,900 req/s", fixes: ["3 more instances"] },
    { id: "db", text: "Orders DB is down", fixes: [] },
  ]);
});

test("whyItems is empty for a frame without explanations", () => {
  assert.deepEqual(whyItems({}), []);
  assert.deepEqual(whyItems(null), []);
});
