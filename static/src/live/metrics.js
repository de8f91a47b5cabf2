// The metrics a frame reports (simulation/metric_names.py), from the page's
// "metric-names" json_script: each one's frame key, label, unit, display format and
// chart colour. Nothing here lists a metric, so a new one needs no edit here.

const EMPTY = { global: [], node: [], always_percentiles: [] };

export class MetricNames {
  /** `table` is `metric_names_json()`: `{global: [...], node: [...], always_percentiles}`. */
  constructor(table = EMPTY) {
    this.global = table.global ?? [];
    this.node = table.node ?? [];
    this.alwaysPercentiles = [...(table.always_percentiles ?? [])];
    this.byName = new Map(this.global.map((m) => [m.name, m]));
  }

  /** The metrics of the page's "metric-names" json_script (none when it has none). */
  static fromPage(doc = document) {
    const script = doc.getElementById("metric-names");
    return new MetricNames(script ? JSON.parse(script.textContent) : EMPTY);
  }

  /** The latency percentiles a user may pick, `[{key, label}]` in frame keys. */
  percentiles() {
    return this.global.filter((m) => m.unit === "ms").map((m) => ({ key: m.name, label: m.label }));
  }

  /** The global metrics the charts draw (those with a colour). */
  chartKeys() {
    return this.global.filter((m) => m.color).map((m) => m.name);
  }

  label(name) {
    return this.byName.get(name)?.label ?? name;
  }

  color(name) {
    return this.byName.get(name)?.color ?? "";
  }
}
