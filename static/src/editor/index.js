// Starts the diagram editor when the page has an #editor element. Everything it
// needs comes from the page: URLs in data-* attributes of #design-workspace and
// #editor, the document in the "design-doc" json_script.

import "./editor.css";

import { csrfToken, h, request, setText } from "../dom.js";
import { createCanvas, clientToModel, installDragTracking, installLinkHandle, isOverCanvas, onDoubleTap, startRename } from "./canvas.js";
import { bindActions, labelToolbar } from "./bindings.js";
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
import { MESSAGES } from "./text.js";

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
    saves: data.saves ? Number(data.saves) : null, // absent or empty: the server checks the number only
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

async function start(root) {
  const config = readConfig(root);
  const $ = (selector) => root.querySelector(selector);
  const toast = makeToast($("[data-editor-toast]"));
  const banner = makeBanner($("[data-editor-banner]"));
  labelToolbar(root);

  performance.mark("editor:start");
  // The catalog comes over the network while the diagram is being drawn.
  const catalogAnswer = request(config.catalogUrl, { quiet: true });
  const large = config.doc.components.length + config.doc.links.length > 400;
  const cy = createCanvas($("[data-editor-canvas]"), config.readOnly, { large });
  performance.mark("editor:canvas");

  let onChange = () => {};
  const editor = new Editor({
    cy,
    catalog: normalizeCatalog({}),
    kinds: Kinds.fromPage(),
    doc: config.doc,
    readOnly: config.readOnly,
    events: { changed: (change) => onChange(change) },
  });
  performance.mark("editor:diagram");
  editor.fit();
  performance.mark("editor:fit");
  const firstFrame = nextFrame(cy);

  const answer = await catalogAnswer;
  performance.mark("editor:catalog");
  if (!answer.ok) {
    refuseToEdit(cy, banner, answer.status);
    return;
  }
  editor.catalog = normalizeCatalog(answer.data);

  const { properties, problems } = makePanels({ $, config, editor });
  const saver = config.readOnly ? null : makeSaver({ $, config, editor, banner, problems });
  const ctx = actionContext({ $, config, editor, saver, toast });
  const updateButtons = bindActions({ root, editor, readOnly: config.readOnly, ctx });
  const showEmptyHint = () => {
    const hint = $("[data-editor-empty]");
    if (hint) hint.hidden = editor.doc.components.length > 0;
  };
  onChange = ({ source }) => {
    saver?.changed();
    problems.schedule();
    if (source !== "panel") properties.update();
    updateButtons();
    showEmptyHint();
  };
  watchSelection(editor, () => {
    properties.update();
    updateButtons();
  });
  if (saver) installEditing({ $, editor, saver, toast, rename: ctx.rename });

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

function nextFrame(cy) {
  return new Promise((resolve) => {
    cy.one("render", () => requestAnimationFrame(resolve));
    cy.forceRender();
  });
}

/** Without the catalog the editor cannot check an edit, so it only shows the diagram. */
function refuseToEdit(cy, banner, status) {
  cy.autoungrabify(true);
  banner.show({
    tone: "error",
    text: MESSAGES.catalogFailed(status),
    actions: [{ label: MESSAGES.reload, name: "reload", run: () => location.reload() }],
  });
}

function makePanels({ $, config, editor }) {
  const properties = new PropertiesPanel({
    editor,
    element: $("[data-editor-properties]"),
    url: config.propertiesUrl,
    readOnly: config.readOnly,
  });
  const problems = new ProblemsPanel({
    editor,
    list: $("[data-editor-problems]"),
    count: $("[data-editor-problem-count]"),
    url: config.validateUrl,
  });
  return { properties, problems };
}

/** Selection drives the properties panel; remember the order for "link first -> second". */
function watchSelection(editor, onSettled) {
  let timer = null;
  editor.cy.on("select unselect", (e) => {
    if (e.type === "select" && e.target.isNode()) {
      editor.selectionOrder = [...editor.selectionOrder.filter((id) => id !== e.target.id()), e.target.id()];
    }
    clearTimeout(timer);
    timer = setTimeout(onSettled, 30);
  });
}

function makeSaver({ $, config, editor, banner, problems }) {
  return new Saver({
    editor,
    url: config.saveUrl,
    revision: config.revision,
    saves: config.saves,
    design: config.designId ?? config.documentUrl,
    status: $("[data-editor-status]"),
    banner,
    onSaved(revision, data) {
      if (revision === null) problems.show(editor.doc, data?.errors ?? []);
      else document.dispatchEvent(new CustomEvent("design:saved", { detail: { revision } }));
    },
  });
}

/** What the actions may touch (actions.js): the editor and a few parts of the page. */
function actionContext({ $, config, editor, saver, toast }) {
  const exporters = {
    png: () => exportPng(editor.cy, editor.doc),
    svg: () => exportSvg(editor.cy, editor.doc),
    json: () => exportJson(editor.doc),
  };
  return {
    editor,
    saver,
    toast,
    takeMessage() {
      const input = $("[data-editor-message]");
      const message = input?.value.trim() ?? "";
      if (input) input.value = "";
      return message;
    },
    rename: (id) => startRename({ cy: editor.cy, editor, input: $("[data-editor-rename]"), id }),
    exportAs: (format) => exporters[format](),
    chooseImportFile: () => $("[data-editor-import]")?.click(),
    fork: () => fork(config.forkUrl),
  };
}

/** The editing tools a read-only page lacks: palette, link handle, drags, rename, import. */
function installEditing({ $, editor, saver, toast, rename }) {
  const cy = editor.cy;
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
    onRefused: (message, targetId) => toast(MESSAGES.linkRefused(message), { refusedId: targetId }),
  });
  installDragTracking({ cy, editor });
  onDoubleTap(cy, rename);
  saver.offerLocalCopies();

  // Forms that act on the saved design (a live run) save the diagram first.
  document.addEventListener("submit", async (e) => {
    const form = e.target.closest?.("form[data-save-first]");
    if (!form || !saver.dirty) return;
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
      toast(MESSAGES.importRefused(error));
      return;
    }
    editor.replace({ ...doc, name: doc.name ?? editor.doc.name });
    toast(MESSAGES.imported(file.name));
  });
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
