// The palette: every kind of the catalog, grouped, as buttons. Drag one onto
// the canvas (mouse, pen or touch: pointer events) to add it at the drop point;
// click it, or focus it and press Enter, to add it in the middle of the view.

import { h, setText } from "../dom.js";

const DRAG_THRESHOLD = 5;

/**
 * Fill `container` with the catalog's kinds, drawn with their looks (`kinds`, kinds.js);
 * `onAdd(kind, clientPoint | null)` adds one.
 */
export function renderPalette(container, catalog, kinds, { onAdd, helpArea }) {
  container.replaceChildren();
  for (const group of catalog.groups) {
    const list = h("ul", { class: "palette__list", role: "list" });
    for (const kind of group.kinds) {
      const look = kinds.lookOf(kind.kind);
      const swatch = h("span", {
        class: "kind-swatch",
        "data-shape": look.shape,
        style: `--kind-color: ${look.color}`,
        "aria-hidden": "true",
      });
      const button = h(
        "button",
        {
          type: "button",
          class: "palette__item",
          "data-kind": kind.kind,
          title: kind.help,
          "aria-label": `Add ${kind.label}: ${kind.help}`,
        },
        [swatch, h("span", { class: "palette__label" }, kind.label)],
      );
      list.append(h("li", {}, button));
    }
    container.append(
      h("section", { class: "palette__group", "aria-label": group.label }, [
        h("h3", { class: "palette__heading" }, group.label),
        list,
      ]),
    );
  }
  if (helpArea) {
    const explain = (e) => {
      const item = e.target.closest?.(".palette__item");
      if (item) setText(helpArea, catalog.kinds.get(item.dataset.kind)?.help ?? "");
    };
    container.addEventListener("pointerover", explain);
    container.addEventListener("focusin", explain);
  }
  installPointerDrag(container, onAdd);
}

function installPointerDrag(container, onAdd) {
  let drag = null;
  let suppressClick = false;

  container.addEventListener("pointerdown", (e) => {
    const item = e.target.closest(".palette__item");
    if (!item || e.button > 0) return;
    drag = { item, kind: item.dataset.kind, x: e.clientX, y: e.clientY, ghost: null, id: e.pointerId };
    item.setPointerCapture(e.pointerId);
  });

  container.addEventListener("pointermove", (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const far = Math.hypot(e.clientX - drag.x, e.clientY - drag.y) > DRAG_THRESHOLD;
    if (!drag.ghost && far) {
      drag.ghost = drag.item.querySelector(".kind-swatch").cloneNode(true);
      drag.ghost.classList.add("palette__ghost");
      document.body.append(drag.ghost);
    }
    if (drag.ghost) {
      drag.ghost.style.left = `${e.clientX - 20}px`;
      drag.ghost.style.top = `${e.clientY - 20}px`;
    }
  });

  const end = (e, dropped) => {
    if (!drag || e.pointerId !== drag.id) return;
    const { ghost, kind } = drag;
    drag = null;
    if (!ghost) return;
    ghost.remove();
    suppressClick = true;
    setTimeout(() => {
      suppressClick = false;
    }, 0);
    if (dropped) onAdd(kind, { x: e.clientX, y: e.clientY });
  };
  container.addEventListener("pointerup", (e) => end(e, true));
  container.addEventListener("pointercancel", (e) => end(e, false));

  container.addEventListener("click", (e) => {
    const item = e.target.closest(".palette__item");
    if (!item || suppressClick) return;
    onAdd(item.dataset.kind, null);
  });
}
