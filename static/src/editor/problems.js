// The problems panel: the server validator's verdict on the whole document,
// refreshed shortly after each change. Each problem selects its culprit; culprits
// are outlined on the canvas.

import { request } from "../dom.js";
import { h, setText } from "../dom.js";
import { culpritOfPath } from "./model.js";

const DELAY_MS = 500;

export class ProblemsPanel {
  constructor({ editor, list, count, url }) {
    this.editor = editor;
    this.list = list;
    this.count = count;
    this.url = url;
    this.timer = null;
    this.sequence = 0;
    this.problems = [];
    list.addEventListener("click", (e) => {
      const button = e.target.closest("[data-culprit]");
      if (button) editor.select([button.dataset.culprit]);
    });
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), DELAY_MS);
  }

  async check() {
    clearTimeout(this.timer);
    const sequence = ++this.sequence;
    const doc = this.editor.doc;
    const { ok, status, data } = await request(this.url, { method: "POST", json: doc, quiet: true });
    if (sequence !== this.sequence) return;
    if (!ok && status !== 422 && status !== 400) {
      const why = data?.error ?? `server answered ${status}`;
      this.show(doc, [{ path: "", message: `Could not check the design (${why}).` }]);
      return;
    }
    this.show(doc, data?.problems ?? data?.errors ?? []);
  }

  /** Show `problems` (each `{path, message}`) found in `doc`. */
  show(doc, problems) {
    this.problems = problems;
    const cy = this.editor.cy;
    const items = problems.map((p) => {
      const culprit = culpritOfPath(doc, p.path);
      const text = p.path ? `${p.path}: ${p.message}` : p.message;
      if (!culprit) return h("li", { class: "problem" }, text);
      const c = doc.components.find((x) => x.id === culprit);
      const name = c ? c.label || c.id : culprit;
      const button = h("button", { type: "button", class: "problem__link", "data-culprit": culprit }, [
        h("strong", {}, name),
        ` ${p.message}`,
      ]);
      button.title = text;
      return h("li", { class: "problem" }, button);
    });
    if (!items.length) items.push(h("li", { class: "problem problem--none" }, "No problems found."));
    this.list.replaceChildren(...items);
    setText(this.count, problems.length ? String(problems.length) : "");
    this.count.hidden = !problems.length;
    const culprits = new Set(problems.map((p) => culpritOfPath(doc, p.path)).filter(Boolean));
    cy.batch(() => {
      cy.$(".has-problem").removeClass("has-problem");
      for (const id of culprits) cy.getElementById(id).addClass("has-problem");
    });
  }
}
