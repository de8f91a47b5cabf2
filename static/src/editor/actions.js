// The editor's actions, one record each (Excalidraw's shape): the toolbar, its menus and
// the keyboard all reach an action through this registry, so adding one is one record
// here, one label in text.js and, for a button, one placeholder in the template.
//
// A record: `name`; `label` (text.js) when it has a button; `keys`, bindings such as
// "Mod+Shift+Z" ("Mod" is Ctrl or ⌘); `readOnly: true` when it also works on a read-only
// page; `whileTyping: true` when its keys work inside a text field; `keyWhen(state)`,
// when its keys mean this action at all (otherwise they stay the browser's);
// `enabledWhen(state)`; `perform(ctx)`; `refused(ctx)`, said instead when a key asks for
// it while disabled.
//
// `state` is a snapshot (see bindings.js): readOnly, typing, focusInEditor, selected
// (components and links), selectedComponents, canUndo, canRedo, hasClipboard.
// `ctx` is what an action may touch: editor, saver, toast(text), takeMessage(),
// rename(id), exportAs(format), chooseImportFile(), fork().

import { ACTION_LABELS as L, MESSAGES } from "./text.js";

const anySelected = (s) => s.selected > 0;
const componentsSelected = (s) => s.selectedComponents > 0;
const nudgeWhen = (s) => s.focusInEditor && s.selectedComponents > 0;

function linkSelected(ctx) {
  const problem = ctx.editor.connectSelected();
  if (problem) ctx.toast(MESSAGES.linkRefused(problem));
}

export const ACTIONS = [
  {
    name: "save",
    label: L.save,
    keys: ["Mod+S"],
    // Ctrl+S is the editor's even on a read-only page (where it does nothing), so the
    // browser never offers to save the page instead.
    readOnly: true,
    whileTyping: true,
    enabledWhen: (s) => !s.readOnly,
    perform(ctx) {
      // Sent even without a change: the server makes no revision then and says so.
      ctx.saver?.save({ message: ctx.takeMessage() });
    },
  },
  { name: "undo", label: L.undo, keys: ["Mod+Z"], enabledWhen: (s) => s.canUndo, perform: (ctx) => ctx.editor.undo() },
  {
    name: "redo",
    label: L.redo,
    keys: ["Mod+Shift+Z", "Mod+Y"],
    enabledWhen: (s) => s.canRedo,
    perform: (ctx) => ctx.editor.redo(),
  },
  {
    name: "delete",
    label: L.delete,
    keys: ["Delete", "Backspace"],
    enabledWhen: anySelected,
    perform: (ctx) => ctx.editor.deleteSelected(),
  },
  {
    name: "copy",
    label: L.copy,
    keys: ["Mod+C"],
    enabledWhen: componentsSelected,
    perform: (ctx) => ctx.editor.copySelected(),
  },
  {
    name: "paste",
    label: L.paste,
    keys: ["Mod+V"],
    enabledWhen: (s) => s.hasClipboard,
    perform: (ctx) => ctx.editor.paste(),
  },
  {
    name: "rename",
    label: L.rename,
    keys: ["F2"],
    enabledWhen: (s) => s.selectedComponents === 1,
    perform(ctx) {
      const [id] = ctx.editor.selectedComponentIds();
      if (id) ctx.rename(id);
    },
  },
  {
    name: "connect",
    label: L.connect,
    keys: ["Mod+L"],
    enabledWhen: (s) => s.selectedComponents === 2,
    perform: linkSelected,
    // A keyboard user sees no greyed button, so the key says what the link needs.
    refused: linkSelected,
  },
  {
    name: "group",
    label: L.group,
    keys: ["Mod+G"],
    enabledWhen: componentsSelected,
    perform(ctx) {
      const refusal = ctx.editor.groupRefusal();
      if (refusal) ctx.toast(MESSAGES.groupRefused(refusal));
      else ctx.editor.groupSelected();
    },
  },
  { name: "ungroup", label: L.ungroup, enabledWhen: componentsSelected, perform: (ctx) => ctx.editor.ungroupSelected() },
  { name: "zoom-in", label: L["zoom-in"], keys: ["+", "="], readOnly: true, perform: (ctx) => ctx.editor.zoomBy(1.25) },
  { name: "zoom-out", label: L["zoom-out"], keys: ["-"], readOnly: true, perform: (ctx) => ctx.editor.zoomBy(0.8) },
  { name: "fit", label: L.fit, readOnly: true, perform: (ctx) => ctx.editor.fit() },
  { name: "layout", label: L.layout, perform: (ctx) => ctx.editor.autoLayout() },
  { name: "export-png", label: L["export-png"], readOnly: true, perform: (ctx) => ctx.exportAs("png") },
  { name: "export-svg", label: L["export-svg"], readOnly: true, perform: (ctx) => ctx.exportAs("svg") },
  { name: "export-json", label: L["export-json"], readOnly: true, perform: (ctx) => ctx.exportAs("json") },
  { name: "import-json", label: L["import-json"], perform: (ctx) => ctx.chooseImportFile() },
  { name: "fork", label: L.fork, readOnly: true, perform: (ctx) => ctx.fork() },

  // Canvas keys without a button.
  { name: "select-all", keys: ["Mod+A"], perform: (ctx) => ctx.editor.selectAll() },
  { name: "unselect", keys: ["Escape"], perform: (ctx) => ctx.editor.unselectAll() },
  // N / P walk the components; Shift adds to the selection.
  {
    name: "select-next",
    keys: ["N"],
    keyWhen: (s) => s.focusInEditor,
    perform: (ctx) => ctx.editor.selectNeighbour(1, { add: false }),
  },
  {
    name: "select-previous",
    keys: ["P"],
    keyWhen: (s) => s.focusInEditor,
    perform: (ctx) => ctx.editor.selectNeighbour(-1, { add: false }),
  },
  {
    name: "add-next",
    keys: ["Shift+N"],
    keyWhen: (s) => s.focusInEditor,
    perform: (ctx) => ctx.editor.selectNeighbour(1, { add: true }),
  },
  {
    name: "add-previous",
    keys: ["Shift+P"],
    keyWhen: (s) => s.focusInEditor,
    perform: (ctx) => ctx.editor.selectNeighbour(-1, { add: true }),
  },
  // Without a selection the arrows scroll the page as usual.
  { name: "nudge-left", keys: ["ArrowLeft"], keyWhen: nudgeWhen, perform: (ctx) => ctx.editor.nudgeSelected(-1, 0) },
  { name: "nudge-right", keys: ["ArrowRight"], keyWhen: nudgeWhen, perform: (ctx) => ctx.editor.nudgeSelected(1, 0) },
  { name: "nudge-up", keys: ["ArrowUp"], keyWhen: nudgeWhen, perform: (ctx) => ctx.editor.nudgeSelected(0, -1) },
  { name: "nudge-down", keys: ["ArrowDown"], keyWhen: nudgeWhen, perform: (ctx) => ctx.editor.nudgeSelected(0, 1) },
];

export const ACTIONS_BY_NAME = new Map(ACTIONS.map((a) => [a.name, a]));

const MODIFIERS = new Set(["Mod", "Shift", "Alt"]);

/** "Mod+Shift+Z" as {key: "z", mod, shift, alt}; a lone or final "+" is the plus key. */
export function parseBinding(binding) {
  const plusKey = binding.endsWith("+");
  const parts = (plusKey ? binding.slice(0, -1) : binding).split("+").filter(Boolean);
  const key = plusKey ? "+" : parts.pop();
  for (const part of parts) {
    if (!MODIFIERS.has(part)) throw new Error(`unknown modifier ${part} in ${binding}`);
  }
  return {
    key: key.toLowerCase(),
    mod: parts.includes("Mod"),
    shift: parts.includes("Shift"),
    alt: parts.includes("Alt"),
  };
}

/**
 * Whether a key event fits a binding. The modifiers it names must be down and the others
 * are free (Shift is how "+" is typed), except that a bare letter leaves Ctrl, ⌘ and Alt
 * combinations to the browser (Ctrl+P prints).
 */
function fits(binding, event) {
  const mod = event.ctrlKey || event.metaKey;
  if ((event.key ?? "").toLowerCase() !== binding.key) return false;
  if ((binding.mod && !mod) || (binding.shift && !event.shiftKey) || (binding.alt && !event.altKey)) return false;
  const bareLetter = !binding.mod && !binding.alt && /^[a-z]$/.test(binding.key);
  return !(bareLetter && (mod || event.altKey));
}

const specificity = (b) => Number(b.mod) + Number(b.shift) + Number(b.alt);

const isAvailable = (action, state) => !state.readOnly || Boolean(action.readOnly);

export const isEnabled = (action, state) => !action.enabledWhen || action.enabledWhen(state);

/**
 * The action a key event asks for in `state`, or null. Of the bindings that fit, the one
 * naming the most modifiers wins: Ctrl+Shift+Z is redo, not undo.
 */
export function actionForKey(event, state, actions = ACTIONS) {
  let best = null;
  let bestSpecificity = -1;
  for (const action of actions) {
    if (!isAvailable(action, state) || (state.typing && !action.whileTyping)) continue;
    if (action.keyWhen && !action.keyWhen(state)) continue;
    for (const binding of (action.keys ?? []).map(parseBinding)) {
      if (fits(binding, event) && specificity(binding) > bestSpecificity) {
        best = action;
        bestSpecificity = specificity(binding);
      }
    }
  }
  return best;
}

/** Perform `action` if `state` allows it; returns whether it ran. */
export function runAction(action, ctx, state) {
  if (!action || !isAvailable(action, state)) return false;
  if (!isEnabled(action, state)) {
    action.refused?.(ctx);
    return false;
  }
  action.perform(ctx);
  return true;
}

/** The aria-keyshortcuts value of an action's first binding ("Control+Shift+Z"), or "". */
export function ariaKeys(action) {
  const [first] = action.keys ?? [];
  if (!first) return "";
  const b = parseBinding(first);
  // "+" separates keys in aria-keyshortcuts, so symbol keys are left unannounced.
  if (!/^[a-z0-9]$|^[a-z][a-z0-9]+$/.test(b.key)) return "";
  const key = b.key.length === 1 ? b.key.toUpperCase() : first.split("+").pop();
  return [b.mod && "Control", b.shift && "Shift", b.alt && "Alt", key].filter(Boolean).join("+");
}
