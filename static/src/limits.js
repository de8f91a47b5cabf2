// htmx swaps only 2xx answers, so a rate-limited action (429) would fail without a word:
// show the server's message (how long to wait) instead.
import { describeError, showMessage } from "./dom.js";

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status !== 429) return;
  let body = null;
  try {
    body = JSON.parse(xhr.responseText);
  } catch {
    // not JSON: describeError falls back to the status
  }
  showMessage(describeError(xhr.status, body), "error");
});
