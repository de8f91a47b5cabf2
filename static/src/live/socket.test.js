import assert from "node:assert/strict";
import { test } from "node:test";

import { RunSocket } from "./socket.js";

function harness() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
    }
    send(text) {
      this.sent.push(JSON.parse(text));
    }
    close() {}
  }
  const timers = {
    pending: [],
    setTimeout(fn, delay) {
      this.pending.push({ fn, delay });
      return this.pending.length;
    },
    clearTimeout() {},
  };
  const states = [];
  const messages = [];
  let lastTick = -1;
  const socket = new RunSocket("ws://h/ws/runs/1/", {
    since: () => lastTick,
    onMessage: (m) => messages.push(m),
    onState: (s, d) => states.push([s, d]),
    WebSocketImpl: FakeWebSocket,
    timers,
    random: () => 1,
  });
  return { socket, sockets, timers, states, messages, setTick: (t) => (lastTick = t) };
}

test("it reconnects with backoff from the last tick it has", () => {
  const h = harness();
  h.socket.connect();
  assert.equal(h.sockets[0].url, "ws://h/ws/runs/1/");
  h.sockets[0].onopen();
  h.sockets[0].onmessage({ data: JSON.stringify({ type: "frame", frame: { tick: 7 } }) });
  h.setTick(7);
  h.sockets[0].onclose({ code: 1006 });
  assert.equal(h.timers.pending[0].delay, 500);
  h.timers.pending[0].fn();
  assert.equal(h.sockets[1].url, "ws://h/ws/runs/1/?since=7");
  h.sockets[1].onclose({ code: 1006 });
  assert.equal(h.timers.pending[1].delay, 1000);
});

test("a close without an end reconnects, whatever its code", () => {
  const h = harness();
  h.socket.connect();
  h.sockets[0].onclose({ code: 1000 });
  assert.equal(h.timers.pending.length, 1);
});

test("it stops after the run ended or the server refused", () => {
  const h = harness();
  h.socket.connect();
  h.sockets[0].onmessage({ data: JSON.stringify({ type: "ended", status: "finished" }) });
  h.sockets[0].onclose({ code: 1000 });
  assert.equal(h.timers.pending.length, 0);
  assert.deepEqual(h.states.at(-1)[0], "closed");

  const g = harness();
  g.socket.connect();
  g.sockets[0].onclose({ code: 4403 });
  assert.equal(g.timers.pending.length, 0);
});

test("controls go out only on an open socket", () => {
  const h = harness();
  h.socket.connect();
  assert.equal(h.socket.send({ action: "pause" }), false);
  h.sockets[0].readyState = 1;
  assert.equal(h.socket.send({ action: "pause" }), true);
  assert.deepEqual(h.sockets[0].sent, [{ action: "pause" }]);
});
