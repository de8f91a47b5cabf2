import assert from "node:assert/strict";
import { test } from "node:test";

import { csrfTokenFrom, describeError } from "./dom.js";

test("it reads the CSRF token from the body's hx-headers", () => {
  assert.equal(csrfTokenFrom('{"X-CSRFToken": "abc"}'), "abc");
});

test("it gives an empty token for missing or broken hx-headers", () => {
  assert.equal(csrfTokenFrom(null), "");
  assert.equal(csrfTokenFrom("{not json"), "");
  assert.equal(csrfTokenFrom('{"X-CSRFToken": 3}'), "");
});

test("it lists every validation error with its path", () => {
  const text = describeError(422, {
    errors: [
      { path: "components[0].kind", message: "unknown kind" },
      { path: "links[2].to", message: "no such component" },
    ],
  });
  assert.equal(text, "components[0].kind: unknown kind\nlinks[2].to: no such component");
});

test("it explains a conflict with the current revision", () => {
  assert.match(describeError(409, { error: "conflict", current_revision: 7 }), /revision 7/);
});

test("it names the status when the body says nothing", () => {
  assert.equal(describeError(500, null), "The server answered 500.");
  assert.match(describeError(0, null), /could not be reached/);
});
