import assert from "node:assert/strict";
import { test } from "node:test";

import { ACTIONS, ACTIONS_BY_NAME, actionForKey, ariaKeys, parseBinding, runAction } from "./actions.js";
import { ACTION_LABELS } from "./text.js";

/** The editor in a quiet moment: something selected, focus on the canvas. */
const STATE = {
  readOnly: false,
  typing: false,
  focusInEditor: true,
  selected: 1,
  selectedComponents: 1,
  canUndo: true,
  canRedo: true,
  hasClipboard: true,
};

/** A key press: "Mod+Shift+Z" as the browser reports it (Shift turns "z" into "Z"). */
function press(combo, { meta = false } = {}) {
  const binding = parseBinding(combo);
  const letter = /^[a-z]$/.test(binding.key);
  const named = { arrowleft: "ArrowLeft", escape: "Escape", delete: "Delete", backspace: "Backspace", f2: "F2" };
  const key = named[binding.key] ?? (letter && binding.shift ? binding.key.toUpperCase() : binding.key);
  return {
    key,
    ctrlKey: binding.mod && !meta,
    metaKey: binding.mod && meta,
    shiftKey: binding.shift,
    altKey: binding.alt,
  };
}

const nameFor = (combo, state = STATE, options) => actionForKey(press(combo, options), state)?.name ?? null;

function fakeContext() {
  const calls = [];
  const record = (name) => (...args) => calls.push([name, ...args]);
  const editor = new Proxy({}, { get: (_, name) => (name === "selectedComponentIds" ? () => ["web-1"] : record(name)) });
  return {
    calls,
    ctx: {
      editor,
      saver: { save: record("save") },
      toast: record("toast"),
      takeMessage: () => "",
      rename: record("rename"),
      exportAs: record("exportAs"),
      chooseImportFile: record("chooseImportFile"),
      fork: record("fork"),
    },
  };
}

test("every action has a unique name and its own keys", () => {
  const names = ACTIONS.map((a) => a.name);
  assert.equal(new Set(names).size, names.length);
  const bindings = ACTIONS.flatMap((a) => (a.keys ?? []).map((k) => JSON.stringify(parseBinding(k))));
  assert.equal(new Set(bindings).size, bindings.length);
});

test("every action can be performed, and every button has its words in text.js", () => {
  for (const action of ACTIONS) {
    assert.equal(typeof action.perform, "function", action.name);
    if (action.label) assert.equal(action.label, ACTION_LABELS[action.name], action.name);
  }
  assert.deepEqual(
    Object.keys(ACTION_LABELS).filter((name) => !ACTIONS_BY_NAME.get(name)?.label),
    [],
  );
});

test("bindings name their modifiers; a lone plus is the plus key", () => {
  assert.deepEqual(parseBinding("Mod+Shift+Z"), { key: "z", mod: true, shift: true, alt: false });
  assert.deepEqual(parseBinding("+"), { key: "+", mod: false, shift: false, alt: false });
  assert.deepEqual(parseBinding("Mod++"), { key: "+", mod: true, shift: false, alt: false });
  assert.throws(() => parseBinding("Ctrl+Z"), /unknown modifier Ctrl/);
});

test("keys reach the action that names them, the most specific binding first", () => {
  const expected = {
    "Mod+S": "save",
    "Mod+Shift+S": "save",
    "Mod+Z": "undo",
    "Mod+Shift+Z": "redo",
    "Mod+Y": "redo",
    Delete: "delete",
    Backspace: "delete",
    "Mod+C": "copy",
    "Mod+V": "paste",
    F2: "rename",
    "Mod+L": "connect",
    "Mod+G": "group",
    "+": "zoom-in",
    "Shift++": "zoom-in",
    "=": "zoom-in",
    "-": "zoom-out",
    "Mod+-": "zoom-out",
    "Mod+A": "select-all",
    Escape: "unselect",
    N: "select-next",
    P: "select-previous",
    "Shift+N": "add-next",
    "Shift+P": "add-previous",
    ArrowLeft: "nudge-left",
    Z: null,
    Y: null,
  };
  for (const [combo, name] of Object.entries(expected)) assert.equal(nameFor(combo), name, combo);
  assert.equal(nameFor("Mod+Z", STATE, { meta: true }), "undo", "⌘ works as Ctrl");
});

test("a bare letter leaves Ctrl, ⌘ and Alt combinations to the browser", () => {
  assert.equal(nameFor("Mod+P"), null, "Ctrl+P prints");
  assert.equal(nameFor("Alt+N"), null);
});

test("canvas keys count only where they apply", () => {
  const elsewhere = { ...STATE, focusInEditor: false };
  assert.equal(nameFor("N", elsewhere), null);
  assert.equal(nameFor("ArrowLeft", elsewhere), null);
  assert.equal(nameFor("ArrowLeft", { ...STATE, selectedComponents: 0 }), null, "arrows scroll the page");
});

test("in a text field only Ctrl+S is the editor's", () => {
  const typing = { ...STATE, typing: true };
  assert.equal(nameFor("Mod+S", typing), "save");
  for (const combo of ["Mod+Z", "Delete", "Backspace", "Mod+A", "N", "+"]) assert.equal(nameFor(combo, typing), null, combo);
});

test("a read-only page keeps zoom and Ctrl+S, and leaves the editing keys to the browser", () => {
  const readOnly = { ...STATE, readOnly: true };
  assert.equal(nameFor("+", readOnly), "zoom-in");
  assert.equal(nameFor("-", readOnly), "zoom-out");
  assert.equal(nameFor("Mod+S", readOnly), "save");
  for (const combo of ["Mod+Z", "Delete", "Mod+C", "Mod+V", "Mod+A", "Escape", "N", "ArrowLeft"]) {
    assert.equal(nameFor(combo, readOnly), null, combo);
  }
  const { calls, ctx } = fakeContext();
  assert.equal(runAction(ACTIONS_BY_NAME.get("save"), ctx, readOnly), false);
  assert.equal(runAction(ACTIONS_BY_NAME.get("delete"), ctx, readOnly), false);
  assert.equal(runAction(ACTIONS_BY_NAME.get("fit"), ctx, readOnly), true);
  assert.deepEqual(calls, [["fit"]]);
});

test("an enabled action performs", () => {
  const { calls, ctx } = fakeContext();
  assert.equal(runAction(ACTIONS_BY_NAME.get("undo"), ctx, STATE), true);
  assert.equal(runAction(ACTIONS_BY_NAME.get("zoom-in"), ctx, STATE), true);
  assert.equal(runAction(ACTIONS_BY_NAME.get("rename"), ctx, STATE), true);
  assert.equal(runAction(ACTIONS_BY_NAME.get("export-svg"), ctx, STATE), true);
  assert.deepEqual(calls, [["undo"], ["zoomBy", 1.25], ["rename", "web-1"], ["exportAs", "svg"]]);
});

test("disabled actions do nothing", () => {
  const idle = {
    ...STATE,
    selected: 0,
    selectedComponents: 0,
    canUndo: false,
    canRedo: false,
    hasClipboard: false,
  };
  const { calls, ctx } = fakeContext();
  for (const name of ["undo", "redo", "delete", "copy", "paste", "rename", "group", "ungroup"]) {
    assert.equal(runAction(ACTIONS_BY_NAME.get(name), ctx, idle), false, name);
  }
  assert.equal(runAction(ACTIONS_BY_NAME.get("rename"), ctx, { ...STATE, selectedComponents: 2 }), false);
  assert.deepEqual(calls, []);
});

test("a disabled link says what it needs instead of linking", () => {
  const { calls, ctx } = fakeContext();
  ctx.editor = { connectSelected: () => "select exactly two components: the sender first, then the receiver" };
  assert.equal(runAction(ACTIONS_BY_NAME.get("connect"), ctx, STATE), false);
  assert.deepEqual(calls, [["toast", "Link refused: select exactly two components: the sender first, then the receiver."]]);
});

test("buttons announce their first binding in aria-keyshortcuts terms", () => {
  const aria = (name) => ariaKeys(ACTIONS_BY_NAME.get(name));
  assert.equal(aria("save"), "Control+S");
  assert.equal(aria("redo"), "Control+Shift+Z");
  assert.equal(aria("delete"), "Delete");
  assert.equal(aria("rename"), "F2");
  assert.equal(aria("zoom-in"), "", "'+' separates keys in aria-keyshortcuts");
  assert.equal(aria("fit"), "");
});

test("a refused group says why in the user's names and groups nothing", () => {
  const { calls, ctx } = fakeContext();
  let grouped = false;
  ctx.editor = {
    groupRefusal: () => ({ reason: "already_inside", names: ["East", "West"] }),
    groupSelected: () => (grouped = true),
  };
  runAction(ACTIONS_BY_NAME.get("group"), ctx, STATE);
  assert.equal(grouped, false);
  assert.equal(calls.length, 1);
  assert.match(calls[0][1], /^Cannot group: the selection spans the data centres East, West/);
});

test("an allowed group groups without a word", () => {
  const { calls, ctx } = fakeContext();
  let grouped = false;
  ctx.editor = { groupRefusal: () => null, groupSelected: () => (grouped = true) };
  runAction(ACTIONS_BY_NAME.get("group"), ctx, STATE);
  assert.equal(grouped, true);
  assert.deepEqual(calls, []);
});

test("a group holding a data centre says how to put a component in it instead", () => {
  const { calls, ctx } = fakeContext();
  ctx.editor = { groupRefusal: () => ({ reason: "holds_datacenter", names: ["East"] }), groupSelected: () => {} };
  runAction(ACTIONS_BY_NAME.get("group"), ctx, STATE);
  assert.match(calls[0][1], /^Cannot group: East is a data centre, .*"Move to"/);
});
