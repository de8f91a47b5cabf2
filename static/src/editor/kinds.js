// What the page says about each component kind: its shape, colour, readable id
// prefix, label and role (`kind_looks` in simulation/catalog.py, sent in the
// "kind-looks" json_script). Nothing here names a kind, so a new kind needs no
// JavaScript edit.

// The look of a kind the page does not know (a document from a newer catalog).
export const PLAIN_LOOK = { shape: "round-rectangle", color: "#475569" };

export class Kinds {
  /** `looks` maps a kind to `{shape, color, id_prefix, label, role}`. */
  constructor(looks = {}) {
    this.looks = new Map(Object.entries(looks));
  }

  /** The kinds of the page's "kind-looks" json_script (none when it has none). */
  static fromPage(doc = document) {
    const script = doc.getElementById("kind-looks");
    return new Kinds(script ? JSON.parse(script.textContent) : {});
  }

  /** `{shape, color}` for drawing a kind. */
  lookOf(kind) {
    const look = this.looks.get(kind);
    return look ? { shape: look.shape, color: look.color } : PLAIN_LOOK;
  }

  /** The prefix of a new component's id (`web` gives `web-2`): else the kind with dashes. */
  idPrefix(kind) {
    return this.looks.get(kind)?.id_prefix ?? String(kind).replace(/_/g, "-");
  }

  /** True for a kind that holds other components (a data centre) instead of serving. */
  isGroup(kind) {
    return this.looks.get(kind)?.role === "group";
  }

  /** True for a kind whose contents can be flushed (a cache): the live page offers it. */
  flushes(kind) {
    return this.looks.get(kind)?.flushes === true;
  }

  /** True for a kind that only sends requests (users). */
  isSource(kind) {
    return this.looks.get(kind)?.role === "source";
  }

  /** The kind that groups components, or null when the catalog has none. */
  groupKind() {
    for (const [kind, look] of this.looks) if (look.role === "group") return kind;
    return null;
  }
}
