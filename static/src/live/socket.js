// The run's WebSocket: JSON in and out, reconnect with backoff after a drop,
// resuming from the last tick this page has (`?since=`), so nothing is reloaded.

import { backoffDelay } from "./look.js";

// Close codes after which reconnecting cannot help (refused: signed out, no access).
// A run's normal end is its `ended` message, whatever the close code.
const FINAL_CODES = new Set([4401, 4403]);

export class RunSocket {
  /**
   * url: ws(s)://host/ws/runs/<id>/; since(): the last tick already shown;
   * onMessage(msg), onState("connecting" | "open" | "retrying" | "closed", detail).
   */
  constructor(url, { since, onMessage, onState, WebSocketImpl = globalThis.WebSocket, timers = globalThis, random = Math.random }) {
    this.url = url;
    this.since = since;
    this.onMessage = onMessage;
    this.onState = onState ?? (() => {});
    this.WebSocketImpl = WebSocketImpl;
    this.timers = timers;
    this.random = random;
    this.attempt = 0;
    this.ws = null;
    this.finished = false;
    this.retryTimer = null;
  }

  connect() {
    if (this.finished) return;
    const since = this.since();
    const url = since >= 0 ? `${this.url}?since=${since}` : this.url;
    this.onState("connecting", { attempt: this.attempt });
    const ws = new this.WebSocketImpl(url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onState("open", {});
    };
    ws.onmessage = (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg.type === "ended") this.finished = true;
      this.onMessage(msg);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.finished || FINAL_CODES.has(event.code)) {
        this.finished = true;
        this.onState("closed", { code: event.code });
        return;
      }
      const delay = backoffDelay(this.attempt, this.random);
      this.attempt += 1;
      this.onState("retrying", { delay, attempt: this.attempt, code: event.code });
      this.retryTimer = this.timers.setTimeout(() => this.connect(), delay);
    };
  }

  /** Send a control; false if the socket is not open (the caller says so in the UI). */
  send(message) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  close() {
    this.finished = true;
    if (this.retryTimer) this.timers.clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000);
  }
}
