import assert from "node:assert/strict";
import { test } from "node:test";

import {
  availablePercentiles,
  backoffDelay,
  eventText,
  formatRate,
  healthColor,
  HEALTH_COLORS,
  linkWidth,
  groupText,
  nodeBadge,
  reasonBadge,
  tooltipRows,
  UNKNOWN_COLOR,
} from "./look.js";
import { MetricNames } from "./metrics.js";
import { Recording } from "./recording.js";
import { METRIC_NAMES } from "../testdata/fixtures.js";

const metrics = new MetricNames(METRIC_NAMES);

test("every graded health has its own colour, unknown ones are grey", () => {
  const colours = ["ok", "warning", "critical", "down", "starting"].map(healthColor);
  assert.equal(new Set(colours).size, 5);
  assert.equal(healthColor("ok"), HEALTH_COLORS.ok);
  assert.equal(healthColor("bogus"), UNKNOWN_COLOR);
});

test("rates are short", () => {
  assert.equal(formatRate(850), "850");
  assert.equal(formatRate(1234), "1.2k");
  assert.equal(formatRate(25_000), "25k");
  assert.equal(formatRate(3_400_000), "3.4M");
  assert.equal(formatRate(0.25), "0.3");
  assert.equal(formatRate(undefined), "–");
});

test("the badge shows served throughput and utilisation", () => {
  assert.equal(nodeBadge({ served: 410, util: 0.51 }), "410 rps · 51%");
  assert.equal(nodeBadge({ served: 0 }), "0 rps");
});

test("the badge tells a database's current role and a tier's ready instances", () => {
  assert.equal(nodeBadge({ served: 200, util: 0.4, x: { role: "primary" } }), "primary · 200 rps · 40%");
  assert.equal(nodeBadge({ served: 0, util: 0, x: { role: "replica" }, inst: 1, ready: 1 }), "replica · 0 rps · 0%");
  assert.equal(nodeBadge({ served: 900, util: 0.5, inst: 6, ready: 3 }), "900 rps · 50% · 3/6");
  assert.equal(nodeBadge({ served: 900, util: 0.5, inst: 1, ready: 0 }), "900 rps · 50% · 0/1");
  assert.equal(nodeBadge({ served: 900, util: 0.5, inst: 1, ready: 1 }), "900 rps · 50%");
});

test("a data centre's box says when it is down; its members carry no badge for it", () => {
  assert.equal(groupText("East", { health: "down" }), "East · down");
  assert.equal(groupText("East", { health: "ok" }), "East");
  assert.equal(groupText("East", undefined), "East");
  assert.equal(reasonBadge({ health: "down", reason: "datacenter down" }), "");
});

test("only unhealthy nodes carry a reason badge", () => {
  assert.equal(reasonBadge({ health: "ok", reason: null }), "");
  assert.equal(reasonBadge({ health: "critical", reason: "saturated" }), "saturated");
  assert.equal(reasonBadge({ health: "down", reason: null }), "");
});

test("link width grows with flow and stays within 1.5 to 10 px", () => {
  assert.equal(linkWidth(0, 100), 1.5);
  assert.equal(linkWidth(100, 100), 10);
  const mid = linkWidth(10, 100);
  assert.ok(mid > 1.5 && mid < 10);
  assert.ok(linkWidth(50, 100) > mid);
  assert.equal(linkWidth(5, 0), 1.5);
});

test("the tooltip lists the node's numbers and instances", () => {
  const rows = Object.fromEntries(
    tooltipRows({ health: "warning", reason: "busy", status: "up", served: 400, util: 0.8, inst: 2, ready: 1, x: { hit_ratio: 0.9 } }, metrics),
  );
  assert.equal(rows.health, "warning (busy)");
  assert.equal(rows.served, "400 rps");
  assert.equal(rows.utilisation, "80.0%");
  assert.equal(rows.instances, "1 ready of 2");
  assert.equal(rows["hit ratio"], "0.9");
});

test("only the percentiles the engine reports are offered", () => {
  assert.deepEqual(availablePercentiles({ p50_ms: 1, p95_ms: 2, p99_ms: 3 }, metrics), ["p50_ms", "p95_ms", "p99_ms"]);
  assert.deepEqual(availablePercentiles(undefined, metrics), []);
});

test("events read as time and text", () => {
  assert.equal(eventText({ t: 12, component: "web", kind: "failed", text: "web failed" }), "t=12 s  web failed");
  assert.equal(eventText({ component: "db", kind: "promoted" }), "db promoted");
});

test("an event without text names its component by the name users gave, not its id", () => {
  const names = new Map([["db-1", "Orders DB"]]);
  assert.equal(eventText({ t: 3, component: "db-1", kind: "promoted" }, names), "t=3 s  Orders DB promoted");
  assert.equal(eventText({ component: "db-2", kind: "failed" }, names), "db-2 failed");
});

test("backoff doubles up to ten seconds, with jitter", () => {
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(1, () => 1), 1000);
  assert.equal(backoffDelay(10, () => 1), 10_000);
  assert.equal(backoffDelay(2, () => 0), 1000);
});

test("the recording keeps frames in tick order without repeats", () => {
  const rec = new Recording(metrics.chartKeys());
  assert.ok(rec.add({ tick: 0, t: 1, global: { throughput_rps: 5 } }, { tick: 2, t: 3, global: {} }));
  assert.ok(rec.add({ tick: 1, t: 2, global: { throughput_rps: 6 } }));
  assert.equal(rec.add({ tick: 1, t: 2, global: {} }), false);
  assert.deepEqual(rec.frames.map((f) => f.tick), [0, 1, 2]);
  assert.equal(rec.lastTick, 2);
  assert.deepEqual(rec.series().throughput_rps, [5, 6, null]);
});

test("a missing tick replays as the nearest earlier frame", () => {
  const rec = new Recording(metrics.chartKeys());
  rec.add({ tick: 0 }, { tick: 5 });
  assert.equal(rec.at(3).tick, 0);
  assert.equal(rec.at(5).tick, 5);
  assert.equal(rec.at(-1), null);
});
