// What this page knows of a run: the charts' numbers of every tick it heard of
// (from `hello`'s series, live frames and the end of the run), and the full frames
// it holds (live ones and those fetched to scrub the timeline), in tick order,
// without duplicates.

export class Recording {
  /** `chartKeys`: the global metrics the charts plot, besides t (MetricNames.chartKeys()). */
  constructor(chartKeys) {
    this.chartKeys = chartKeys;
    this.frames = [];
    this.byTick = new Map();
    this.points = new Map(); // tick -> {t, ...global numbers}
    this.pointTicks = []; // the ticks of `points`, ascending
    this.version = 0;
  }

  /** The newest tick heard of (a frame or a point of the series), or -1. */
  get lastTick() {
    const frame = this.frames.length ? this.frames[this.frames.length - 1].tick : -1;
    const point = this.pointTicks.length ? this.pointTicks[this.pointTicks.length - 1] : -1;
    return Math.max(frame, point);
  }

  /** The oldest tick heard of, or -1. */
  get firstTick() {
    const ticks = [this.frames[0]?.tick, this.pointTicks[0]].filter((t) => typeof t === "number");
    return ticks.length ? Math.min(...ticks) : -1;
  }

  /** Add full frames (any order, repeats ignored); true if anything was new. */
  add(...frames) {
    let changed = false;
    for (const frame of frames) {
      if (!frame || typeof frame.tick !== "number") continue;
      const g = frame.global ?? {};
      const point = { t: frame.t ?? frame.tick };
      for (const key of this.chartKeys) point[key] = typeof g[key] === "number" ? g[key] : null;
      changed = this.addPoint(frame.tick, point) || changed;
      if (this.byTick.has(frame.tick)) continue;
      this.byTick.set(frame.tick, frame);
      insertSorted(this.frames, frame, (f) => f.tick);
      changed = true;
    }
    if (changed) this.version += 1;
    return changed;
  }

  /** Add the charts' numbers of many ticks, column-wise ({tick: [...], t: [...], ...}). */
  addSeries(series) {
    const ticks = series?.tick ?? [];
    let changed = false;
    ticks.forEach((tick, i) => {
      const point = { t: series.t?.[i] ?? tick };
      for (const key of this.chartKeys) point[key] = typeof series[key]?.[i] === "number" ? series[key][i] : null;
      changed = this.addPoint(tick, point) || changed;
    });
    if (changed) this.version += 1;
    return changed;
  }

  addPoint(tick, point) {
    if (this.points.has(tick)) return false;
    this.points.set(tick, point);
    insertSorted(this.pointTicks, tick, (t) => t);
    return true;
  }

  /** True if the full frame of `tick` is here. */
  has(tick) {
    return this.byTick.has(tick);
  }

  /** The frame of `tick`, or the nearest earlier one here (null if none). */
  at(tick) {
    if (this.byTick.has(tick)) return this.byTick.get(tick);
    let found = null;
    for (const frame of this.frames) {
      if (frame.tick > tick) break;
      found = frame;
    }
    return found;
  }

  /** Column-wise series for the charts: t and the global metrics of every tick heard of. */
  series() {
    const columns = { t: [] };
    for (const key of this.chartKeys) columns[key] = [];
    for (const tick of this.pointTicks) {
      const point = this.points.get(tick);
      for (const key of Object.keys(columns)) columns[key].push(point[key]);
    }
    return columns;
  }
}

/** Put `item` in the ascending array `list` (usually at its end). */
function insertSorted(list, item, key) {
  if (!list.length || key(item) > key(list[list.length - 1])) {
    list.push(item);
    return;
  }
  const at = list.findIndex((x) => key(x) > key(item));
  list.splice(at, 0, item);
}
