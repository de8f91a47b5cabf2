// Binds the actions registry (actions.js) to the page: the toolbar's buttons and menus
// get their words and enabled state from it, and clicks and keys reach it.

import { setText } from "../dom.js";
import { ACTIONS_BY_NAME, actionForKey, ariaKeys, isEnabled, runAction } from "./actions.js";

/** Give each toolbar placeholder its action's words and shortcut. */
export function labelToolbar(root) {
  for (const button of root.querySelectorAll(".editor__toolbar [data-editor-action]")) {
    const action = ACTIONS_BY_NAME.get(button.dataset.editorAction);
    const label = action?.label;
    if (!label) continue;
    setText(button, label.text);
    if (label.title) button.title = label.title;
    if (label.aria) button.setAttribute("aria-label", label.aria);
    const keys = ariaKeys(action);
    if (keys) button.setAttribute("aria-keyshortcuts", keys);
  }
}

function isTyping(target) {
  return Boolean(target?.closest?.("input, textarea, select, [contenteditable='true']"));
}

/** What the actions' enabledWhen and keyWhen read, at this moment. */
function readState({ editor, root, readOnly }, target = null) {
  return {
    readOnly,
    typing: isTyping(target),
    focusInEditor: root.contains(document.activeElement),
    selected: editor.cy.$(":selected").length,
    selectedComponents: editor.selectedComponentIds().length,
    canUndo: editor.history.canUndo,
    canRedo: editor.history.canRedo,
    hasClipboard: editor.clipboard !== null,
  };
}

/**
 * Route the toolbar's clicks and the page's keys to the actions; `ctx` is what they may
 * touch (actions.js). Returns `updateButtons()`, to call when the selection or document
 * changes.
 */
export function bindActions({ root, editor, readOnly, ctx }) {
  const page = { editor, root, readOnly };

  root.addEventListener("click", (e) => {
    const button = e.target.closest("[data-editor-action]");
    if (!button) return;
    button.closest("details")?.removeAttribute("open");
    runAction(ACTIONS_BY_NAME.get(button.dataset.editorAction), ctx, readState(page));
  });

  // A click anywhere else closes the open toolbar menus.
  document.addEventListener("click", (e) => {
    for (const menu of root.querySelectorAll(".toolbar-menu[open]")) {
      if (!menu.contains(e.target)) menu.removeAttribute("open");
    }
  });

  document.addEventListener("keydown", (e) => {
    const state = readState(page, e.target);
    const action = actionForKey(e, state);
    if (!action) return;
    e.preventDefault();
    runAction(action, ctx, state);
  });

  return function updateButtons() {
    const state = readState(page);
    for (const button of root.querySelectorAll(".editor__toolbar [data-editor-action]")) {
      const action = ACTIONS_BY_NAME.get(button.dataset.editorAction);
      if (action) button.disabled = !isEnabled(action, state);
    }
  };
}
