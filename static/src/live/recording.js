// The frames of a run as this page received them: kept in tick order, without
// duplicates, so the timeline can replay any of them and the charts can plot them.

import { PERCENTILES } from "./look.js";

export class Recording {
  constructor() {
    this.frames = [];
    this.byTick = new Map();
    this.version = 0;
  }

  get lastTick() {
    return this.frames.length ? this.frames[this.frames.length - 1].tick : -1;
  }

  get firstTick() {
    return this.frames.length ? this.frames[0].tick : -1;
  }

  /** Add frames (any order, repeats ignored); true if anything was new. */
  add(...frames) {
    let changed = false;
    for (const frame of frames) {
      if (!frame || typeof frame.tick !== "number" || this.byTick.has(frame.tick)) continue;
      this.byTick.set(frame.tick, frame);
      if (this.frames.length && frame.tick < this.lastTick) {
        const at = this.frames.findIndex((f) => f.tick > frame.tick);
        this.frames.splice(at, 0, frame);
      } else {
        this.frames.push(frame);
      }
      changed = true;
    }
    if (changed) this.version += 1;
    return changed;
  }

  /** The frame of `tick`, or the nearest earlier one (a dropped frame leaves a gap). */
  at(tick) {
    if (this.byTick.has(tick)) return this.byTick.get(tick);
    let found = null;
    for (const frame of this.frames) {
      if (frame.tick > tick) break;
      found = frame;
    }
    return found;
  }

  /** Column-wise series for the charts: t and the global metrics. */
  series() {
    const columns = {
      t: [],
      offered_rps: [],
      throughput_rps: [],
      error_rate: [],
      cost_per_hour: [],
    };
    for (const p of PERCENTILES) columns[p.key] = [];
    for (const frame of this.frames) {
      const g = frame.global ?? {};
      columns.t.push(frame.t ?? frame.tick);
      for (const key of Object.keys(columns)) {
        if (key !== "t") columns[key].push(typeof g[key] === "number" ? g[key] : null);
      }
    }
    return columns;
  }
}
