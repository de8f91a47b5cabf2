// htmx swaps only 2xx answers, so a failed action (rate-limited, forbidden, gone, a server
// error, no connection) would fail without a word: show the server's message instead.
import { describeError, showMessage } from "./dom.js";

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  let body = null;
  try {
    body = JSON.parse(xhr.responseText);
  } catch {
    // not JSON (an HTML error page): describeError falls back to the status
  }
  showMessage(describeError(xhr.status, body), "error");
});

document.addEventListener("htmx:sendError", () => {
  showMessage(describeError(0, null), "error");
});
