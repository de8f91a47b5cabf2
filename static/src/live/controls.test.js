import assert from "node:assert/strict";
import { test } from "node:test";

import { BUTTONS, INPUTS, changeableParams, speedOptions } from "./controls.js";

// The socket's actions the page sends (sandbox/live/protocol.py accepts these and more).
const SOCKET_ACTIONS = ["start", "pause", "resume", "stop", "speed", "set_rate", "fail", "recover", "scale", "flush", "spike", "set_param"];

function page(values = {}) {
  return { menuTarget: "web-1", value: (role) => values[role] };
}

test("every control the page sends is an action the socket accepts, and each action is sent", () => {
  const sent = [...Object.values(BUTTONS), ...Object.values(INPUTS)]
    .filter((c) => c.message)
    .map(
      (c) =>
        c.message(
          page({ "scale-instances": "3", speed: "10", rate: "200", "rate-source": "users", "spike-rps": "5", "spike-s": "9", "param-name": "service_ms", "param-value": "10" }),
        ).action,
    );
  assert.deepEqual([...new Set(sent)].sort(), [...SOCKET_ACTIONS].sort());
});

test("a spike goes to the rate slider's client with its size and length", () => {
  assert.deepEqual(BUTTONS.spike.message(page({ "rate-source": "users", "spike-rps": "800", "spike-s": "20" })), {
    action: "spike",
    target: "users",
    rps: 800,
    duration_s: 20,
  });
  assert.equal(BUTTONS.spike.closesMenu, undefined);
});

test("a setting changes on the component whose menu is open, as a number", () => {
  assert.deepEqual(BUTTONS["set-param"].message(page({ "param-name": "hit_ratio", "param-value": "0.95" })), {
    action: "set_param",
    target: "web-1",
    param: "hit_ratio",
    value: 0.95,
  });
});

test("the settings offered are the numeric ones but instances, which Scale changes", () => {
  const component = { id: "web", params: { instances: 3, size: "small", service_ms: 20, concurrency: 8, queue_limit: null } };
  assert.deepEqual(changeableParams(component), [
    ["service_ms", 20],
    ["concurrency", 8],
  ]);
  assert.deepEqual(changeableParams({ id: "x" }), []);
});

test("one instance fails with a count of one; a cache is flushed", () => {
  assert.deepEqual(BUTTONS["fail-one"].message(page()), { action: "fail", target: "web-1", count: 1 });
  assert.deepEqual(BUTTONS.flush.message(page()), { action: "flush", target: "web-1" });
  assert.equal(BUTTONS["fail-one"].closesMenu, true);
  assert.equal(BUTTONS.flush.closesMenu, true);
});

test("component controls go to the component whose menu is open and close the menu", () => {
  assert.deepEqual(BUTTONS.fail.message(page()), { action: "fail", target: "web-1" });
  assert.deepEqual(BUTTONS.recover.message(page()), { action: "recover", target: "web-1" });
  assert.deepEqual(BUTTONS.scale.message(page({ "scale-instances": "4" })), { action: "scale", target: "web-1", instances: 4 });
  for (const name of ["fail", "recover", "scale", "close-menu"]) assert.equal(BUTTONS[name].closesMenu, true, name);
  assert.equal(BUTTONS["close-menu"].message, undefined, "closing the menu sends nothing");
  assert.equal(BUTTONS.start.closesMenu, undefined);
});

test("the speed and rate inputs send numbers, and max as it is", () => {
  assert.deepEqual(INPUTS.speed.message(page({ speed: "20" })), { action: "speed", value: 20 });
  assert.deepEqual(INPUTS.speed.message(page({ speed: "max" })), { action: "speed", value: "max" });
  assert.deepEqual(INPUTS.rate.message(page({ rate: "250", "rate-source": "users" })), { action: "set_rate", target: "users", rps: 250 });
  for (const input of Object.values(INPUTS)) assert.equal(input.event, "change");
});

test("speed options stop at the run's limit and offer max only when allowed", () => {
  const steps = [1, 2, 5, 10, 20, 50];
  assert.deepEqual(
    speedOptions(steps, { max_speed: 10, allow_max: false }).map((o) => o.value),
    ["1", "2", "5", "10"],
  );
  const withMax = speedOptions(steps, { max_speed: 5, allow_max: true });
  assert.deepEqual(withMax.at(-1), { label: "max", value: "max" });
  assert.deepEqual(withMax[0], { label: "1x", value: "1" });
});
