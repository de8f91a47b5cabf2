// "Copy" buttons: <button data-copy-target="#input-id"> copies that field's value.
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
