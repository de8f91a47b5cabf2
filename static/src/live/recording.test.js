import assert from "node:assert/strict";
import { test } from "node:test";

import { MetricNames } from "./metrics.js";
import { Recording } from "./recording.js";
import { METRIC_NAMES } from "../testdata/fixtures.js";

const metrics = new MetricNames(METRIC_NAMES);

const frame = (tick, served) => ({ tick, t: tick, nodes: {}, links: [], global: { throughput_rps: served }, events: [] });

test("the hello's series fills the charts without frames", () => {
  const recording = new Recording(metrics.chartKeys());
  assert.equal(recording.addSeries({ tick: [1, 2, 3], t: [1, 2, 3], throughput_rps: [10, 20, 30], p99_ms: [5, 6, 7] }), true);
  const series = recording.series();
  assert.deepEqual(series.t, [1, 2, 3]);
  assert.deepEqual(series.throughput_rps, [10, 20, 30]);
  assert.deepEqual(series.p99_ms, [5, 6, 7]);
  assert.deepEqual(series.error_rate, [null, null, null], "columns the server left out are gaps");
  assert.equal(recording.frames.length, 0);
  assert.equal(recording.firstTick, 1);
  assert.equal(recording.lastTick, 3);
  assert.equal(recording.has(2), false, "a tick of the series still needs its frame fetched");
});

test("frames and series merge by tick, each tick once", () => {
  const recording = new Recording(metrics.chartKeys());
  recording.addSeries({ tick: [1, 2, 3], t: [1, 2, 3], throughput_rps: [10, 20, 30] });
  assert.equal(recording.add(frame(3, 30)), true, "the newest frame is new, though its tick is charted");
  assert.equal(recording.add(frame(4, 40)), true);
  assert.equal(recording.add(frame(4, 40)), false, "repeats are ignored");
  assert.equal(recording.addSeries({ tick: [3, 4], t: [3, 4], throughput_rps: [30, 40] }), false);
  assert.deepEqual(recording.series().throughput_rps, [10, 20, 30, 40]);
  assert.equal(recording.lastTick, 4);
  assert.deepEqual(recording.frames.map((f) => f.tick), [3, 4]);
});

test("frames fetched for scrubbing go in tick order, and the nearest earlier frame stands in", () => {
  const recording = new Recording(metrics.chartKeys());
  recording.add(frame(10, 1));
  recording.add(frame(5, 1), frame(3, 1));
  assert.deepEqual(recording.frames.map((f) => f.tick), [3, 5, 10]);
  assert.equal(recording.at(5).tick, 5);
  assert.equal(recording.at(7).tick, 5);
  assert.equal(recording.at(2), null);
  assert.equal(recording.has(7), false);
  assert.equal(recording.firstTick, 3);
});

test("the end's series fills the ticks whose frames were skipped", () => {
  const recording = new Recording(metrics.chartKeys());
  recording.add(frame(1, 10), frame(4, 40));
  recording.addSeries({ tick: [1, 2, 3, 4], t: [1, 2, 3, 4], throughput_rps: [10, 20, 30, 40] });
  assert.deepEqual(recording.series().t, [1, 2, 3, 4]);
  assert.deepEqual(recording.series().throughput_rps, [10, 20, 30, 40]);
});
