// The run's charts (uPlot): throughput, error rate, latency percentiles the user
// picks, and cost per hour; a red line marks the replayed tick on the timeline.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";


function markerPlugin(chartSet) {
  return {
    hooks: {
      draw: [
        (u) => {
          if (chartSet.marker == null) return;
          const x = u.valToPos(chartSet.marker, "x", true);
          const { ctx } = u;
          ctx.save();
          ctx.strokeStyle = "#e03131";
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.restore();
        },
      ],
    },
  };
}

/** Room for the y axis's longest label (uPlot's fixed default clips "100,000"). */
function axisSize(u, values) {
  const longest = Math.max(0, ...(values ?? []).map((v) => String(v).length));
  return Math.max(40, Math.ceil(longest * 7.5 + 18));
}

export class RunCharts {
  /** `metrics` (metrics.js) names and colours the lines; `percentiles` are frame keys. */
  constructor(container, { metrics, percentiles }) {
    this.container = container;
    this.metrics = metrics;
    this.percentiles = percentiles;
    this.marker = null;
    this.series = null;
    this.charts = {};
    this.build();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
  }

  width() {
    return Math.max(260, Math.floor(this.container.clientWidth) - 8);
  }

  specs() {
    const m = this.metrics;
    const line = (key, style = {}) => ({ key, label: m.label(key), stroke: m.color(key), ...style });
    const chosen = m.percentiles().filter((p) => this.percentiles.includes(p.key));
    // Goodput apart from late answers once some were late (a user's deadline passed).
    const deadlines = this.hasLate ? [line("goodput_rps"), line("late_rps")] : [];
    return {
      throughput: {
        title: "Throughput (req/s)",
        lines: [
          line("offered_rps", { dash: [6, 4] }),
          line("throughput_rps", { fill: "rgba(25,113,194,0.08)" }),
          ...deadlines,
        ],
      },
      errors: {
        title: "Error rate (%)",
        scale: 100,
        lines: [line("error_rate", { fill: "rgba(224,49,49,0.08)" })],
      },
      latency: {
        title: "Latency (ms)",
        lines: chosen.map((p) => line(p.key)),
      },
      cost: {
        title: "Cost ($/hour)",
        lines: [line("cost_per_hour")],
      },
    };
  }

  build() {
    for (const chart of Object.values(this.charts)) chart.plot.destroy();
    this.container.replaceChildren();
    this.charts = {};
    for (const [name, spec] of Object.entries(this.specs())) {
      const box = document.createElement("div");
      box.className = "live-chart";
      box.dataset.chart = name;
      this.container.append(box);
      const opts = {
        title: spec.title,
        width: this.width(),
        height: 150,
        scales: { x: { time: false } },
        cursor: { sync: { key: "live-run" } },
        legend: { live: true },
        plugins: [markerPlugin(this)],
        series: [
          { label: "t (s)" },
          ...spec.lines.map((l) => ({ label: l.label, stroke: l.stroke, fill: l.fill, dash: l.dash, width: 1.5, spanGaps: true })),
        ],
        axes: [{}, { size: axisSize }],
      };
      const plot = new uPlot(opts, this.dataFor(spec), box);
      this.charts[name] = { plot, spec };
    }
  }

  dataFor(spec) {
    const s = this.series;
    if (!s) return [[], ...spec.lines.map(() => [])];
    return [
      s.t,
      ...spec.lines.map((l) => (spec.scale ? s[l.key].map((v) => (v == null ? null : v * spec.scale)) : s[l.key])),
    ];
  }

  /** Plot `series` (Recording.series()). */
  update(series) {
    this.series = series;
    const hasLate = (series?.late_rps ?? []).some((v) => v > 0);
    if (hasLate !== Boolean(this.hasLate)) {
      this.hasLate = hasLate;
      this.build();
      return;
    }
    for (const { plot, spec } of Object.values(this.charts)) plot.setData(this.dataFor(spec));
  }

  /** Which latency percentiles to draw (frame keys such as "p99_ms"). */
  setPercentiles(keys) {
    this.percentiles = keys;
    this.build();
  }

  /** Mark the replayed time (simulated seconds), or null for none. */
  setMarker(t) {
    this.marker = t;
    for (const { plot } of Object.values(this.charts)) plot.redraw(false, false);
  }

  resize() {
    const width = this.width();
    for (const { plot } of Object.values(this.charts)) plot.setSize({ width, height: 150 });
  }
}
