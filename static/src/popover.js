// Popovers that open from a <details data-popover> (the design page's Share box): the
// panel opens where it has room, so it never leaves the screen.

/**
 * Where a panel of `width` px goes, as its left edge relative to its button's, for a
 * button spanning `left`..`right` in a viewport `viewport` px wide: under the button
 * opening rightwards when that fits, else ending at the button's right edge when that
 * fits, else shifted as little as keeps it on screen.
 */
export function popoverOffset(left, right, width, viewport, margin = 8) {
  if (left + width <= viewport - margin) return 0;
  if (right - width >= margin) return right - width - left;
  const start = Math.max(margin, Math.min(left, viewport - margin - width));
  return start - left;
}

function place(details) {
  const panel = details.querySelector(":scope > :not(summary)");
  if (!panel || !details.open) return;
  const button = details.querySelector(":scope > summary").getBoundingClientRect();
  const offset = popoverOffset(button.left, button.right, panel.offsetWidth, document.documentElement.clientWidth);
  panel.style.left = `${Math.round(offset)}px`;
  panel.style.right = "auto";
}

if (typeof document !== "undefined") {
  document.addEventListener("toggle", (e) => e.target.matches?.("details[data-popover]") && place(e.target), true);
  window.addEventListener("resize", () => document.querySelectorAll("details[data-popover][open]").forEach(place));
  document.querySelectorAll("details[data-popover][open]").forEach(place);
}
