import assert from "node:assert/strict";
import { test } from "node:test";

import { LinkDragFeedback, boxAt } from "./link_feedback.js";

const nowhere = () => null;

test("a link made after passing a refusing component says nothing", () => {
  const feedback = new LinkDragFeedback();
  feedback.refused("users", "a client sends requests but receives none");
  feedback.completed("web-1", null);
  assert.equal(feedback.finish(() => "users"), null);
});

test("a release on a refusing component says why", () => {
  const feedback = new LinkDragFeedback();
  feedback.refused("users", "a client sends requests but receives none");
  feedback.refused("db-1", "lb-1 already links to db-1");
  assert.deepEqual(
    feedback.finish((ids) => (ids.includes("db-1") ? "db-1" : null)),
    { targetId: "db-1", problem: "lb-1 already links to db-1" },
  );
});

test("a release on empty canvas after passing a refusing component says nothing", () => {
  const feedback = new LinkDragFeedback();
  feedback.refused("users", "a client sends requests but receives none");
  assert.equal(feedback.finish(nowhere), null);
});

test("a link the editor refuses at the end says why", () => {
  const feedback = new LinkDragFeedback();
  feedback.completed("web-1", "lb-1 already links to web-1");
  assert.deepEqual(feedback.finish(nowhere), { targetId: "web-1", problem: "lb-1 already links to web-1" });
});

test("each drag starts afresh", () => {
  const feedback = new LinkDragFeedback();
  feedback.refused("users", "no");
  feedback.finish(nowhere);
  feedback.completed("web-1", null);
  feedback.finish(nowhere);
  assert.deepEqual(feedback.finish(() => "users"), null, "the first drag's refusal is gone");
});

test("the box under the pointer, or the nearest within the margin", () => {
  const boxes = [
    { id: "a", box: { x1: 0, y1: 0, x2: 60, y2: 60 } },
    { id: "b", box: { x1: 100, y1: 0, x2: 160, y2: 60 } },
  ];
  assert.equal(boxAt(boxes, { x: 30, y: 30 }), "a");
  assert.equal(boxAt(boxes, { x: 90, y: 30 }, 24), "b", "10 px from b, 30 from a");
  assert.equal(boxAt(boxes, { x: 80, y: 30 }, 5), null);
  assert.equal(boxAt(boxes, { x: 80, y: 200 }, 24), null);
});
