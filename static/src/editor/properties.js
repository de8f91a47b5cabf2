// The properties panel. The server renders the form for the selected component
// or link from the catalog's parameter specs (labels, units, ranges, help) and
// checks every value as it is typed (htmx); this module loads the form for the
// current selection and applies the values the server accepted.

import { h, setText } from "../dom.js";
import { datacenterChoices, findComponent, findLink, labelsOf } from "./model.js";

export class PropertiesPanel {
  constructor({ editor, element, url, readOnly, actions }) {
    this.editor = editor;
    this.element = element;
    this.url = url;
    this.readOnly = readOnly;
    this.actions = actions;
    this.sequence = 0;
    this.shownKey = null;

    element.addEventListener("change", (e) => {
      const input = e.target.closest("[data-editor-label]");
      if (input && !this.readOnly) editor.rename(input.dataset.editorLabel, input.value);
    });
    element.addEventListener("change", (e) => {
      const select = e.target.closest("[data-editor-parent]");
      if (select && !this.readOnly) editor.moveToDatacenter(select.dataset.editorParent, select.value);
    });
    element.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.target.matches("[data-editor-label]")) e.target.blur();
    });
    // The server answers a check with the values it accepted (HX-Trigger: editor:params).
    document.body.addEventListener("editor:params", (e) => this.accept(e.detail));
  }

  /** Show the panel for the current selection (reloads only when it changed). */
  update({ force = false } = {}) {
    const cy = this.editor.cy;
    const selected = cy.$(":selected");
    if (selected.length === 1) {
      const id = selected[0].id();
      const thing = selected[0].isNode()
        ? findComponent(this.editor.doc, id)
        : findLink(this.editor.doc, id);
      const key = this.keyOf(id, thing);
      if (!force && key === this.shownKey) return;
      this.shownKey = key;
      if (thing) this.load(selected[0].isNode() ? this.componentQuery(thing) : this.linkQuery(thing));
      return;
    }
    const key = `many:${selected.map((e) => e.id()).join(",")}`;
    if (!force && key === this.shownKey) return;
    this.shownKey = key;
    this.sequence += 1;
    this.element.replaceChildren(selected.length ? this.summary(selected) : this.hint());
  }

  /** What the shown form depends on: the thing itself and, for a component, the data centres it may move to. */
  keyOf(id, thing) {
    const isLink = id.includes("->");
    const places = isLink ? [] : datacenterChoices(this.editor.kinds, this.editor.doc);
    return `${id}:${JSON.stringify(thing)}:${JSON.stringify(places)}`;
  }

  componentQuery(component) {
    const targets = new Set();
    for (const link of this.editor.doc.links) {
      if (link.from !== component.id) continue;
      targets.add(link.to);
      const parent = findComponent(this.editor.doc, link.to)?.parent;
      if (parent) targets.add(parent);
    }
    return {
      id: component.id,
      kind: component.kind,
      label: component.label || component.id,
      params: JSON.stringify(component.params ?? {}),
      targets: [...targets].join(","),
      parent: component.parent ?? "",
      datacenters: JSON.stringify(datacenterChoices(this.editor.kinds, this.editor.doc)),
      names: JSON.stringify(labelsOf(this.editor.doc, targets)),
    };
  }

  linkQuery(link) {
    return {
      link: "1",
      id: `${link.from}->${link.to}`,
      from: link.from,
      to: link.to,
      names: JSON.stringify(labelsOf(this.editor.doc, [link.from, link.to])),
      params: JSON.stringify(link.params ?? {}),
    };
  }

  async load(query) {
    const sequence = ++this.sequence;
    const params = new URLSearchParams(query);
    if (this.readOnly) params.set("read_only", "1");
    let html;
    try {
      const response = await fetch(`${this.url}?${params}`, { headers: { "HX-Request": "true" } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      html = await response.text();
    } catch (error) {
      if (sequence === this.sequence) {
        this.element.replaceChildren(
          h("p", { class: "panel-error", role: "alert" }, `Could not load the properties: ${error.message}`),
        );
      }
      return;
    }
    if (sequence !== this.sequence) return; // a newer selection won
    // Server-rendered from the catalog; every user value in it is escaped by Django.
    // eslint-disable-next-line no-restricted-properties
    this.element.innerHTML = html;
    globalThis.htmx?.process(this.element);
  }

  /** Apply the values the server accepted for the component or link being edited. */
  accept(detail) {
    if (!detail || this.readOnly) return;
    const form = this.element.querySelector("form[data-target-id]");
    if (!form || form.dataset.targetId !== detail.id) return;
    for (const input of form.querySelectorAll("[name]")) {
      const field = input.name.replace(/^p\./, "");
      const errors = detail.errors ?? {};
      // A rule across a map's entries ("shares must add up to 1") marks every entry.
      const bad = Object.hasOwn(errors, field) || Object.hasOwn(errors, field.split(".")[0]);
      if (bad) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    if (detail.params && Object.keys(detail.params).length) {
      this.editor.setParams(detail.id, detail.params, "panel");
      // Keep the panel as it is: the user is typing in it.
      const id = detail.id;
      const thing = id.includes("->")
        ? findLink(this.editor.doc, id)
        : findComponent(this.editor.doc, id);
      this.shownKey = this.keyOf(id, thing);
    }
  }

  hint() {
    const text = this.readOnly
      ? "Select a component or a link to see its settings."
      : "Select a component or a link to edit it. Drag kinds from the palette onto the canvas; drag the dot beside a component to link it to another.";
    return h("p", { class: "panel-hint" }, text);
  }

  summary(selected) {
    const wrap = h("div", { class: "selection-summary" });
    const nodes = selected.nodes().length;
    const edges = selected.edges().length;
    const parts = [];
    if (nodes) parts.push(`${nodes} component${nodes === 1 ? "" : "s"}`);
    if (edges) parts.push(`${edges} link${edges === 1 ? "" : "s"}`);
    wrap.append(setText(h("p", { class: "selection-summary__count" }), `${parts.join(" and ")} selected`));
    if (!this.readOnly) {
      const buttons = h("div", { class: "button-row" });
      if (nodes) {
        buttons.append(h("button", { type: "button", class: "button button--small", "data-editor-action": "group" }, "Group into data centre"));
      }
      if (nodes === 2) {
        buttons.append(h("button", { type: "button", class: "button button--small", "data-editor-action": "connect" }, "Link first → second"));
      }
      buttons.append(h("button", { type: "button", class: "button button--small button--danger", "data-editor-action": "delete" }, "Delete"));
      wrap.append(buttons);
    }
    return wrap;
  }
}
