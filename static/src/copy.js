// "Copy" buttons: <button data-copy-target="#input-id"> copies that field's value; fields
// with data-select-on-focus select their text when focused.
import { showMessage } from "./dom.js";

document.addEventListener("click", async (event) => {
  const button = event.target.closest?.("[data-copy-target]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copyTarget);
  if (!field) return;
  field.select?.();
  try {
    await navigator.clipboard.writeText(field.value);
    showMessage("Copied to the clipboard.", "success");
  } catch {
    showMessage("Copy did not work here: select the text and copy it by hand.", "error");
  }
});

// <input data-select-on-focus>: focusing it selects its text, ready to copy (no inline
// handler: the Content-Security-Policy allows scripts from the bundle only).
document.addEventListener("focusin", (event) => {
  if (event.target.matches?.("input[data-select-on-focus]")) event.target.select();
});
