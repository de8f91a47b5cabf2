// The problems panel: the server validator's verdict on the whole document,
// refreshed shortly after each change. Errors come first, then warnings (likely
// mistakes in a valid design; they block neither a save nor a run). Each item
// selects its culprit; culprits are outlined on the canvas, warnings dashed in amber.

import { request } from "../dom.js";
import { h, setText } from "../dom.js";
import { culpritOfPath } from "./model.js";
import { PROBLEM_TEXT } from "./text.js";

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
    this.warnings = [];
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
      this.show(doc, [{ path: "", message: PROBLEM_TEXT.couldNotCheck(why) }]);
      return;
    }
    this.show(doc, data?.problems ?? data?.errors ?? [], data?.warnings ?? []);
  }

  /** Show `problems` and `warnings` (each `{path, message}`) found in `doc`. */
  show(doc, problems, warnings = []) {
    this.problems = problems;
    this.warnings = warnings;
    const items = [
      ...problems.map((p) => item(doc, p, false)),
      ...warnings.map((p) => item(doc, p, true)),
    ];
    if (!items.length) items.push(h("li", { class: "problem problem--none" }, PROBLEM_TEXT.none));
    this.list.replaceChildren(...items);
    const total = problems.length + warnings.length;
    setText(this.count, total ? String(total) : "");
    this.count.hidden = !total;
    this.count.classList.toggle("problem-count--warning", !problems.length && total > 0);
    const culprits = (list) => new Set(list.map((p) => culpritOfPath(doc, p.path)).filter(Boolean));
    const errorCulprits = culprits(problems);
    const warnedCulprits = culprits(warnings);
    const cy = this.editor.cy;
    cy.batch(() => {
      cy.$(".has-problem, .has-warning").removeClass("has-problem has-warning");
      for (const id of errorCulprits) cy.getElementById(id).addClass("has-problem");
      for (const id of warnedCulprits) {
        if (!errorCulprits.has(id)) cy.getElementById(id).addClass("has-warning");
      }
    });
  }
}

/** One list item: a button selecting the culprit when there is one, else plain text. */
function item(doc, p, warning) {
  const culprit = culpritOfPath(doc, p.path);
  const text = p.path ? `${p.path}: ${p.message}` : p.message;
  const cls = warning ? "problem problem--warning" : "problem";
  const badge = warning ? [h("span", { class: "problem__badge" }, PROBLEM_TEXT.warning), " "] : [];
  if (!culprit) return h("li", { class: cls }, [...badge, text]);
  const c = doc.components.find((x) => x.id === culprit);
  const name = c ? c.label || c.id : culprit;
  const linkClass = warning ? "problem__link problem__link--warning" : "problem__link";
  const button = h("button", { type: "button", class: linkClass, "data-culprit": culprit }, [
    ...badge,
    h("strong", {}, name),
    ` ${p.message}`,
  ]);
  button.title = warning ? `${text}\n${PROBLEM_TEXT.warningTitle}` : text;
  return h("li", { class: cls }, button);
}
