import { test } from "node:test";
import assert from "node:assert/strict";
import { popoverOffset } from "./popover.js";

test("a popover opens rightwards when it fits", () => {
  assert.equal(popoverOffset(20, 100, 576, 700), 0);
});

test("else it ends at its button's right edge when that fits", () => {
  assert.equal(popoverOffset(1026, 1100, 576, 1440), 1100 - 576 - 1026);
});

test("else it shifts as little as keeps it on screen", () => {
  // 820 px wide, the button at 400..478: the panel starts at 820 - 8 - 576 = 236.
  assert.equal(popoverOffset(400, 478, 576, 820), 236 - 400);
  // Wider than the screen: its left edge stays on screen.
  assert.equal(popoverOffset(100, 180, 900, 600), 8 - 100);
});
