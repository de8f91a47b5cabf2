import assert from "node:assert/strict";
import { test } from "node:test";

import { History } from "./history.js";

test("undo and redo walk back and forth through the pushed states", () => {
  const h = new History("a");
  h.push("b");
  h.push("c");
  assert.equal(h.undo(), "b");
  assert.equal(h.undo(), "a");
  assert.equal(h.undo(), null);
  assert.equal(h.current, "a");
  assert.equal(h.redo(), "b");
  assert.equal(h.redo(), "c");
  assert.equal(h.redo(), null);
});

test("a new change after an undo drops the states that were undone", () => {
  const h = new History(1);
  h.push(2);
  h.push(3);
  h.undo();
  h.push(4);
  assert.equal(h.canRedo, false);
  assert.equal(h.undo(), 2);
  assert.equal(h.redo(), 4);
});

test("the history is not capped", () => {
  const h = new History(0);
  for (let i = 1; i <= 5000; i += 1) h.push(i);
  let steps = 0;
  while (h.undo() !== null) steps += 1;
  assert.equal(steps, 5000);
  assert.equal(h.current, 0);
});

test("pushing the current state again records nothing", () => {
  const state = { a: 1 };
  const h = new History(state);
  assert.equal(h.push(state), false);
  assert.equal(h.canUndo, false);
});

test("reset forgets the past", () => {
  const h = new History("a");
  h.push("b");
  h.reset("z");
  assert.equal(h.current, "z");
  assert.equal(h.canUndo, false);
  assert.equal(h.canRedo, false);
});
