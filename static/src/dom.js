// Shared DOM helpers: one fetch wrapper (CSRF + JSON + visible errors) and safe text output.

/** The CSRF token the server put in <body hx-headers>, or "" when the page has none. */
export function csrfTokenFrom(hxHeaders) {
  if (!hxHeaders) return "";
  try {
    const headers = JSON.parse(hxHeaders);
    return typeof headers["X-CSRFToken"] === "string" ? headers["X-CSRFToken"] : "";
  } catch {
    return "";
  }
}

export function csrfToken() {
  return csrfTokenFrom(document.body?.getAttribute("hx-headers"));
}

/** A readable sentence for a failed API answer (status + parsed JSON body, if any). */
export function describeError(status, body) {
  if (body && Array.isArray(body.errors) && body.errors.length) {
    return body.errors
      .map((e) => (e && e.path ? `${e.path}: ${e.message}` : String(e?.message ?? e)))
      .join("\n");
  }
  if (body && body.error === "conflict") {
    return `Someone saved a newer version (revision ${body.current_revision}). Reload to see it.`;
  }
  if (body && typeof body.error === "string") return body.error;
  if (status === 0) return "The server could not be reached. Check your connection and try again.";
  return `The server answered ${status}.`;
}

/** Set an element's text (never HTML) and return the element. */
export function setText(element, text) {
  element.textContent = text == null ? "" : String(text);
  return element;
}

/** Create an element with attributes and text or child nodes; text is never parsed as HTML. */
export function h(tag, attrs = {}, children = []) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/** Show a message in the page's message area (kind: "info", "success", "error"). */
export function showMessage(text, kind = "info") {
  const area = document.getElementById("messages");
  if (!area) return;
  const message = h("p", { class: `message message--${kind}`, role: kind === "error" ? "alert" : "status" });
  setText(message, text);
  area.append(message);
}

/**
 * fetch() for the app's JSON API: sends the CSRF token, encodes `json` bodies, parses JSON
 * answers. Resolves to {ok, status, data}; on failure it also shows the error in the page
 * unless `quiet` is set, so no error is ever silent.
 */
export async function request(url, { method = "GET", json, body, headers = {}, quiet = false } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    const result = { ok: false, status: 0, data: null };
    if (!quiet) showMessage(describeError(0, null), "error");
    return result;
  }
  let data = null;
  if ((response.headers.get("Content-Type") || "").includes("application/json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok && !quiet) showMessage(describeError(response.status, data), "error");
  return { ok: response.ok, status: response.status, data };
}
