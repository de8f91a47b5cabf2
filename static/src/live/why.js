// "What is wrong": each unhealthy component's explanation (simulation/explain.py: why,
// with the arithmetic, and what would fix it), from the frame's `explain`. The words
// around them come from the page, where they are translated.

/** The explanations of a frame as list items: [{id, text, fixes: [text]}], worst first. */
export function whyItems(frame) {
  return Object.entries(frame?.explain ?? {}).map(([id, entry]) => ({
    id,
    text: String(entry.text ?? ""),
    fixes: (entry.fixes ?? []).map((fix) => String(fix.text ?? "")),
  }));
}

export class WhyPanel {
  /** `box` holds a [data-role=why-list] and says "what would fix it" in data-fix-label. */
  constructor(box) {
    this.box = box;
    this.list = box.querySelector("[data-role=why-list]");
    this.fixLabel = box.dataset.fixLabel || "";
    this.shown = null;
  }

  render(frame) {
    const items = whyItems(frame);
    const key = JSON.stringify(items);
    if (key === this.shown) return; // most ticks change nothing a person reads
    this.shown = key;
    this.box.hidden = items.length === 0;
    this.list.replaceChildren(...items.map((item) => this.item(item)));
  }

  item({ id, text, fixes }) {
    const li = document.createElement("li");
    li.dataset.component = id;
    const why = document.createElement("p");
    why.textContent = text;
    li.append(why);
    if (fixes.length) {
      const label = document.createElement("p");
      label.className = "muted";
      label.textContent = this.fixLabel;
      const list = document.createElement("ul");
      for (const fix of fixes) {
        const entry = document.createElement("li");
        entry.textContent = fix;
        list.append(entry);
      }
      li.append(label, list);
    }
    return li;
  }
}
