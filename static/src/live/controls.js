// The run page's controls, one record each: what a button or an input sends on the
// run socket. `message(page)` builds the message from the page (`page.menuTarget`, the
// component whose menu is open, and `page.value(role)`, the value of a
// [data-role] input); a record without one sends nothing. `closesMenu` closes the
// component menu afterwards. The server checks every message (sandbox/live/protocol.py).

const send = (action) => () => ({ action });
const onTarget = (action) => (page) => ({ action, target: page.menuTarget });

/** Buttons, by their `data-action`. */
export const BUTTONS = {
  start: { message: send("start") },
  pause: { message: send("pause") },
  resume: { message: send("resume") },
  stop: { message: send("stop") },
  fail: { message: onTarget("fail"), closesMenu: true },
  recover: { message: onTarget("recover"), closesMenu: true },
  "fail-one": { message: (page) => ({ action: "fail", target: page.menuTarget, count: 1 }), closesMenu: true },
  flush: { message: onTarget("flush"), closesMenu: true },
  "set-param": {
    message: (page) => ({
      action: "set_param",
      target: page.menuTarget,
      param: page.value("param-name"),
      value: Number(page.value("param-value")),
    }),
    closesMenu: true,
  },
  scale: {
    message: (page) => ({ action: "scale", target: page.menuTarget, instances: Number.parseInt(page.value("scale-instances"), 10) }),
    closesMenu: true,
  },
  // A traffic spike from the client the rate slider is on, for a number of seconds.
  spike: {
    message: (page) => ({
      action: "spike",
      target: page.value("rate-source"),
      rps: Number(page.value("spike-rps")),
      duration_s: Number(page.value("spike-s")),
    }),
  },
  "close-menu": { closesMenu: true },
};

/**
 * The settings the node menu offers to change during a run: a component's numeric
 * parameters ([name, value] pairs) but its instances, which "Scale" changes.
 */
export function changeableParams(component) {
  return Object.entries(component?.params ?? {}).filter(
    ([name, value]) => typeof value === "number" && Number.isFinite(value) && name !== "instances",
  );
}

/** Inputs, by their `data-role`, with the event that sends. */
export const INPUTS = {
  speed: {
    event: "change",
    message: (page) => {
      const value = page.value("speed");
      return { action: "speed", value: value === "max" ? "max" : Number(value) };
    },
  },
  rate: {
    event: "change",
    message: (page) => ({ action: "set_rate", target: page.value("rate-source"), rps: Number(page.value("rate")) }),
  },
};

/**
 * The speed menu's options: the page's speed steps up to the run's limit, then "max"
 * when unpaced runs are allowed. `limits` is the `hello`'s ({max_speed, allow_max}).
 */
export function speedOptions(steps, limits) {
  const options = steps.filter((s) => s <= limits.max_speed).map((s) => ({ label: `${s}x`, value: String(s) }));
  if (limits.allow_max) options.push({ label: "max", value: "max" });
  return options;
}
