// Starts the diagram editor when the page has an #editor element. Everything it
// needs comes from the page: URLs in data-* attributes of #design-workspace and
// #editor, the document in the "design-doc" json_script.

import "./editor.css";

import { csrfToken, h, request, setText } from "../dom.js";
import { createCanvas, clientToModel, installDragTracking, installLinkHandle, isOverCanvas, onDoubleTap, startRename } from "./canvas.js";
import { normalizeCatalog } from "./catalog.js";
import { Editor } from "./editor.js";
import { Kinds } from "./kinds.js";
import { exportJson, exportPng, exportSvg } from "./export.js";
import { parseImport } from "./io.js";
import { emptyDocument } from "./model.js";
import { renderPalette } from "./palette.js";
import { ProblemsPanel } from "./problems.js";
import { PropertiesPanel } from "./properties.js";
import { Saver } from "./save.js";

function readConfig(root) {
  const workspace = root.closest("#design-workspace") ?? root;
  const data = { ...workspace.dataset, ...root.dataset };
  const docScript = document.getElementById("design-doc");
  return {
    designId: data.designId,
    documentUrl: data.documentUrl,
    saveUrl: data.saveUrl || data.documentUrl,
    validateUrl: data.validateUrl,
    catalogUrl: data.catalogUrl,
    forkUrl: data.forkUrl,
    propertiesUrl: data.propertiesUrl,
    readOnly: data.readOnly === "true" || data.readOnly === "1" || data.readOnly === "True",
    revision: Number(data.revision ?? 0),
    doc: docScript ? JSON.parse(docScript.textContent) : emptyDocument(),
  };
}

/** A banner above the canvas with a sentence and buttons; text is never parsed as HTML. */
function makeBanner(element) {
  return {
    show({ tone, text, actions }) {
      element.dataset.tone = tone;
      const buttons = actions.map((a) => {
        const button = h(
          "button",
          { type: "button", class: `button button--small${a.primary ? " button--primary" : ""}`, "data-banner-action": a.name },
          a.label,
        );
        button.addEventListener("click", a.run);
        return button;
      });
      element.replaceChildren(h("p", {}, text), h("div", { class: "button-row" }, buttons));
      element.hidden = false;
    },
    hide() {
      element.hidden = true;
      element.replaceChildren();
    },
  };
}

function makeToast(element) {
  let timer = null;
  return (text, { refusedId = null } = {}) => {
    setText(element, text);
    if (refusedId) element.dataset.refused = refusedId;
    else delete element.dataset.refused;
    element.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => {
      element.hidden = true;
    }, 6000);
  };
}

function isTyping(target) {
  return Boolean(target.closest?.("input, textarea, select, [contenteditable='true']"));
}

async function start(root) {
  const config = readConfig(root);
  const $ = (selector) => root.querySelector(selector);
  const toast = makeToast($("[data-editor-toast]"));
  const banner = makeBanner($("[data-editor-banner]"));

  performance.mark("editor:start");
  // The catalog comes over the network while the diagram is being drawn.
  const catalogAnswer = request(config.catalogUrl, { quiet: true });
  const large = config.doc.components.length + config.doc.links.length > 400;
  const cy = createCanvas($("[data-editor-canvas]"), config.readOnly, { large });
  performance.mark("editor:canvas");

  let saver = null;
  let problems = null;
  let properties = null;
  const editor = new Editor({
    cy,
    catalog: normalizeCatalog({}),
    kinds: Kinds.fromPage(),
    doc: config.doc,
    readOnly: config.readOnly,
    events: {
      changed({ source }) {
        saver?.changed();
        problems?.schedule();
        if (source !== "panel") properties?.update();
        updateButtons();
        showEmptyHint();
      },
    },
  });
  performance.mark("editor:diagram");
  editor.fit();
  performance.mark("editor:fit");
  const firstFrame = new Promise((resolve) => {
    cy.one("render", () => requestAnimationFrame(resolve));
    cy.forceRender();
  });

  const answer = await catalogAnswer;
  performance.mark("editor:catalog");
  if (!answer.ok) {
    cy.autoungrabify(true);
    banner.show({
      tone: "error",
      text: `The editor could not load the component catalog (server answered ${answer.status}), so it cannot edit. Reload the page to try again.`,
      actions: [{ label: "Reload", name: "reload", run: () => location.reload() }],
    });
    return;
  }
  editor.catalog = normalizeCatalog(answer.data);

  properties = new PropertiesPanel({
    editor,
    element: $("[data-editor-properties]"),
    url: config.propertiesUrl,
    readOnly: config.readOnly,
  });
  problems = new ProblemsPanel({
    editor,
    list: $("[data-editor-problems]"),
    count: $("[data-editor-problem-count]"),
    url: config.validateUrl,
  });

  // Selection drives the properties panel; remember the order for "link first -> second".
  let selectionTimer = null;
  cy.on("select unselect", (e) => {
    if (e.type === "select" && e.target.isNode()) {
      editor.selectionOrder = [...editor.selectionOrder.filter((id) => id !== e.target.id()), e.target.id()];
    }
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(() => {
      properties.update();
      updateButtons();
    }, 30);
  });

  if (!config.readOnly) {
    saver = new Saver({
      editor,
      url: config.saveUrl,
      revision: config.revision,
      design: config.designId ?? config.documentUrl,
      status: $("[data-editor-status]"),
      banner,
      onSaved(revision, data) {
        if (revision === null) problems.show(editor.doc, data?.errors ?? []);
        else document.dispatchEvent(new CustomEvent("design:saved", { detail: { revision } }));
      },
    });
    renderPalette($("[data-editor-palette]"), editor.catalog, editor.kinds, {
      helpArea: $("[data-editor-palette-help]"),
      onAdd(kind, point) {
        if (point === null) {
          editor.addComponentInView(kind);
          return;
        }
        if (!isOverCanvas(cy, point.x, point.y)) return;
        editor.addComponent(kind, clientToModel(cy, point.x, point.y));
        cy.container().focus();
      },
    });
    installLinkHandle({
      cy,
      editor,
      handle: $("[data-editor-handle]"),
      onRefused: (message, targetId) => toast(`Link refused: ${message}.`, { refusedId: targetId }),
    });
    installDragTracking({ cy, editor });
    onDoubleTap(cy, (id) => startRename({ cy, editor, input: $("[data-editor-rename]"), id }));
    saver.offerLocalCopies();
  }

  const actions = {
    // Saving without a change makes no revision, unless the user wrote a message for it.
    save: () => {
      const message = takeMessage();
      saver?.save({ message, force: Boolean(message) });
    },
    undo: () => editor.undo(),
    redo: () => editor.redo(),
    delete: () => editor.deleteSelected(),
    copy: () => editor.copySelected(),
    paste: () => editor.paste(),
    group: () => editor.groupSelected(),
    ungroup: () => editor.ungroupSelected(),
    connect: () => {
      const problem = editor.connectSelected();
      if (problem) toast(`Link refused: ${problem}.`);
    },
    rename: () => {
      const [id] = editor.selectedComponentIds();
      if (id) startRename({ cy, editor, input: $("[data-editor-rename]"), id });
    },
    layout: () => editor.autoLayout(),
    fit: () => editor.fit(),
    "zoom-in": () => editor.zoomBy(1.25),
    "zoom-out": () => editor.zoomBy(0.8),
    "export-png": () => exportPng(cy, editor.doc),
    "export-svg": () => exportSvg(cy, editor.doc),
    "export-json": () => exportJson(editor.doc),
    "import-json": () => $("[data-editor-import]")?.click(),
    fork: () => fork(config.forkUrl),
  };
  const readOnlyActions = new Set(["fit", "zoom-in", "zoom-out", "export-png", "export-svg", "export-json", "fork"]);

  function takeMessage() {
    const input = $("[data-editor-message]");
    const message = input?.value.trim() ?? "";
    if (input) input.value = "";
    return message;
  }

  function run(name) {
    if (config.readOnly && !readOnlyActions.has(name)) return;
    actions[name]?.();
  }

  // A click anywhere else closes the open toolbar menus.
  document.addEventListener("click", (e) => {
    for (const menu of root.querySelectorAll(".toolbar-menu[open]")) {
      if (!menu.contains(e.target)) menu.removeAttribute("open");
    }
  });

  root.addEventListener("click", (e) => {
    const button = e.target.closest("[data-editor-action]");
    if (!button) return;
    button.closest("details")?.removeAttribute("open");
    run(button.dataset.editorAction);
  });

  // Forms that act on the saved design (a live run) save the diagram first.
  document.addEventListener("submit", async (e) => {
    const form = e.target.closest?.("form[data-save-first]");
    if (!form || !saver?.dirty) return;
    e.preventDefault();
    if (await saver.save()) form.requestSubmit(e.submitter ?? undefined);
  });

  $("[data-editor-snap]")?.addEventListener("change", (e) => {
    editor.snap = e.target.checked;
  });

  $("[data-editor-import]")?.addEventListener("change", async (e) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    const { doc, error } = parseImport(await file.text());
    if (error) {
      toast(`Import refused: ${error}.`);
      return;
    }
    editor.replace({ ...doc, name: doc.name ?? editor.doc.name });
    toast(`Imported ${file.name}. Undo (Ctrl+Z) brings the previous diagram back.`);
  });

  function selectNeighbour(step, add) {
    const ids = editor.doc.components.map((c) => c.id);
    if (!ids.length) return;
    const selected = new Set(editor.selectedComponentIds());
    const last = [...editor.selectionOrder].reverse().find((id) => selected.has(id));
    const at = last === undefined ? (step > 0 ? -1 : 0) : ids.indexOf(last);
    const next = ids[(at + step + ids.length) % ids.length];
    if (add) {
      cy.getElementById(next).select();
      editor.select([...selected, next], { center: next });
    } else {
      editor.select([next]);
    }
  }

  function showEmptyHint() {
    const hint = $("[data-editor-empty]");
    if (hint) hint.hidden = editor.doc.components.length > 0;
  }

  function updateButtons() {
    const selected = cy.$(":selected").length;
    const flags = {
      undo: !editor.history.canUndo,
      redo: !editor.history.canRedo,
      delete: selected === 0,
      copy: editor.selectedComponentIds().length === 0,
      paste: editor.clipboard === null,
      group: editor.selectedComponentIds().length === 0,
      ungroup: editor.selectedComponentIds().length === 0,
      connect: editor.selectedComponentIds().length !== 2,
      rename: editor.selectedComponentIds().length !== 1,
    };
    for (const [name, disabled] of Object.entries(flags)) {
      const button = root.querySelector(`.editor__toolbar [data-editor-action="${name}"]`);
      if (button) button.disabled = disabled;
    }
  }

  document.addEventListener("keydown", (e) => {
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && key === "s") {
      e.preventDefault();
      run("save");
      return;
    }
    if (isTyping(e.target) || config.readOnly) {
      if (config.readOnly && !isTyping(e.target) && (key === "+" || key === "=" || key === "-")) {
        run(key === "-" ? "zoom-out" : "zoom-in");
      }
      return;
    }
    const shortcuts = {
      z: mod && !e.shiftKey ? "undo" : mod && e.shiftKey ? "redo" : null,
      y: mod ? "redo" : null,
      c: mod ? "copy" : null,
      v: mod ? "paste" : null,
      g: mod ? "group" : null,
      l: mod ? "connect" : null,
      delete: "delete",
      backspace: "delete",
      f2: "rename",
      "+": "zoom-in",
      "=": "zoom-in",
      "-": "zoom-out",
    };
    if (mod && key === "a") {
      e.preventDefault();
      cy.elements().select();
      return;
    }
    if (key === "escape") {
      cy.elements().unselect();
      return;
    }
    // Keyboard selection on the canvas: N / P walk the components, Shift adds to the selection.
    if ((key === "n" || key === "p") && !mod && !e.altKey && root.contains(document.activeElement)) {
      e.preventDefault();
      selectNeighbour(key === "n" ? 1 : -1, e.shiftKey);
      return;
    }
    const arrows = { arrowleft: [-1, 0], arrowright: [1, 0], arrowup: [0, -1], arrowdown: [0, 1] };
    if (arrows[key] && editor.selectedComponentIds().length && root.contains(document.activeElement)) {
      e.preventDefault();
      editor.nudgeSelected(...arrows[key]);
      return;
    }
    const name = shortcuts[key];
    if (name) {
      e.preventDefault();
      run(name);
    }
  });

  properties.update({ force: true });
  showEmptyHint();
  updateButtons();
  // Interactive once the diagram is on the screen, not merely handed to Cytoscape.
  await firstFrame;
  root.dataset.ready = "true";
  performance.mark("editor:interactive");
  problems.check();
  root.dispatchEvent(new CustomEvent("editor:ready", { bubbles: true }));
  // Tests and the benchmark read the state through this handle; it holds no secrets.
  window.sandboxEditor = { editor, get doc() { return editor.doc; }, saver };
}

/** Fork through a real form post, so the browser follows the server's redirect. */
function fork(url) {
  if (!url) return;
  const form = h("form", { method: "post", action: url, hidden: true }, [
    h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken() }),
  ]);
  document.body.append(form);
  form.submit();
}

function boot() {
  const root = document.getElementById("editor");
  if (root) start(root);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
