// How a frame's numbers look on the diagram: health colours, badges, link widths,
// tooltips. Pure functions, so they are tested without a browser.

export const HEALTH_COLORS = {
  ok: "#2f9e44",
  warning: "#f0a800",
  critical: "#f76707",
  down: "#e03131",
  starting: "#4dabf7",
};
export const UNKNOWN_COLOR = "#adb5bd";

/** The fill colour of a node in a given graded health. */
export function healthColor(health) {
  return HEALTH_COLORS[health] ?? UNKNOWN_COLOR;
}

/** "1.2k", "850", "3.4M": request rates in a few characters. */
export function formatRate(rps) {
  if (typeof rps !== "number" || !Number.isFinite(rps)) return "–";
  const abs = Math.abs(rps);
  if (abs >= 1e6) return `${(rps / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e3) return `${(rps / 1e3).toFixed(abs >= 1e4 ? 0 : 1)}k`;
  if (abs >= 10) return String(Math.round(rps));
  return rps.toFixed(1).replace(/\.0$/, "");
}

export function formatPercent(fraction, digits = 0) {
  if (typeof fraction !== "number" || !Number.isFinite(fraction)) return "–";
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatMs(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "–";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/**
 * The small badge under a node: its current role (a database's, which a promotion
 * changes), served throughput and utilisation, and its instances as ready/total when
 * it has several or some are not serving (a tier scaled from 3 to 6 shows 3/6 until
 * the new ones are ready).
 */
export function nodeBadge(node) {
  if (!node) return "";
  const parts = [];
  if (typeof node.x?.role === "string") parts.push(node.x.role);
  parts.push(`${formatRate(node.served ?? 0)} rps`);
  if (typeof node.util === "number") parts.push(formatPercent(node.util));
  if (typeof node.inst === "number" && typeof node.ready === "number" && (node.inst > 1 || node.ready < node.inst)) {
    parts.push(`${node.ready}/${node.inst}`);
  }
  return parts.join(" · ");
}

/** A group's (data centre's) text: its name, and "down" while it is. */
export function groupText(label, node) {
  return node?.health === "down" ? `${label} · down` : label;
}

/**
 * The reason shown on an unhealthy node, or "" when it is fine. A member of a failed
 * data centre shows none: the data centre's box says it once, instead of a badge on
 * every member piling up.
 */
export function reasonBadge(node) {
  if (!node || node.health === "ok" || !node.reason) return "";
  if (node.reason === "datacenter down") return "";
  return String(node.reason);
}

/** Link width in px for a flow, relative to the busiest link (log scale, 1.5 to 10). */
export function linkWidth(flow, maxFlow) {
  if (!(flow > 0) || !(maxFlow > 0)) return 1.5;
  const share = Math.log1p(flow) / Math.log1p(maxFlow);
  return Math.round((1.5 + 8.5 * Math.min(1, share)) * 10) / 10;
}

// How a node's number is written, by its format in the metric names (metrics.js).
const NODE_FORMATS = {
  rate: (v) => `${formatRate(v)} rps`,
  count: formatRate,
  percent: (v) => formatPercent(v, 1),
  ms: formatMs,
};

/**
 * Tooltip lines for a node: [label, value] pairs, only for numbers the frame has,
 * labelled and written as `metrics` (metrics.js) says.
 */
export function tooltipRows(node, metrics) {
  if (!node) return [["state", "no data yet"]];
  const rows = [
    ["health", node.reason ? `${node.health} (${node.reason})` : node.health],
    ["status", node.status],
  ];
  for (const metric of metrics.node) {
    const value = node[metric.name];
    const format = NODE_FORMATS[metric.format] ?? String;
    if (typeof value === "number") rows.push([metric.label, format(value)]);
  }
  if (typeof node.inst === "number") {
    rows.push(["instances", node.ready === undefined ? String(node.inst) : `${node.ready} ready of ${node.inst}`]);
  }
  for (const [key, value] of Object.entries(node.x ?? {})) {
    if (typeof value === "number") rows.push([key.replaceAll("_", " "), String(Math.round(value * 1000) / 1000)]);
    else if (typeof value === "string") rows.push([key.replaceAll("_", " "), value]);
  }
  return rows;
}

/** The percentiles (of `metrics`, metrics.js) the engine reports in this frame's global metrics. */
export function availablePercentiles(global, metrics) {
  return metrics
    .percentiles()
    .filter((p) => typeof global?.[p.key] === "number")
    .map((p) => p.key);
}

/** The largest flow among a frame's links. */
export function maxFlow(links) {
  let max = 0;
  for (const link of links ?? []) if (link[2] > max) max = link[2];
  return max;
}

/** "t=12 s Checkout web failed" for the event log; `names` maps ids to the names users gave. */
export function eventText(event, names = new Map()) {
  const t = typeof event.t === "number" ? `t=${Math.round(event.t * 10) / 10} s` : "";
  const name = event.component ? (names.get(event.component) ?? event.component) : "";
  const text = event.text || [name, event.kind].filter(Boolean).join(" ");
  return [t, text].filter(Boolean).join("  ");
}

/** Exponential backoff with jitter for reconnecting (ms): 0.5 s, 1 s, 2 s ... up to 10 s. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(10_000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.5 + 0.5 * random()));
}
