// The Cytoscape stylesheet: one shape and colour per kind, readable labels in
// light and dark colour schemes, and the states the editor adds as classes.

import { PLAIN_LOOK } from "./kinds.js";

const SCHEMES = {
  light: {
    text: "#0f172a",
    textBackground: "#ffffff",
    edge: "#64748b",
    group: "#f1f5f9",
    groupBorder: "#64748b",
    selected: "#0ea5e9",
    problem: "#dc2626",
    warning: "#d97706",
  },
  dark: {
    text: "#e2e8f0",
    textBackground: "#0f172a",
    edge: "#94a3b8",
    group: "#1e293b",
    groupBorder: "#94a3b8",
    selected: "#38bdf8",
    problem: "#f87171",
    warning: "#fbbf24",
  },
};

/**
 * The stylesheet for a colour scheme. `large` (big designs) trades label wrapping,
 * label backgrounds and arrowheads while zoomed out for a fast first frame and drags.
 */
export function buildStyle(scheme = "light", { large = false } = {}) {
  const c = SCHEMES[scheme] ?? SCHEMES.light;
  return [
    {
      selector: "node",
      style: {
        width: 48,
        height: 48,
        color: c.text,
        "font-size": 12,
        "font-family": "system-ui, sans-serif",
        "text-valign": "bottom",
        "text-halign": "center",
        "text-margin-y": 5,
        // Measuring wrapped labels and drawing their backgrounds is most of the first
        // frame of a big design; there the labels get neither.
        "text-wrap": large ? "none" : "ellipsis",
        "text-max-width": 110,
        "text-background-color": c.textBackground,
        "text-background-opacity": large ? 0 : 0.85,
        "text-background-padding": 2,
        "text-background-shape": "round-rectangle",
        "border-width": 2,
        "border-color": c.textBackground,
        shape: PLAIN_LOOK.shape,
        "background-color": PLAIN_LOOK.color,
        // Labels too small to read are not drawn at all: big designs zoomed out stay fast.
        "min-zoomed-font-size": 7,
      },
    },
    // Only elements with a label get one (edgehandles' ghost elements have none). Big
    // designs show labels once zoomed in enough to read them (.detailed, see canvas.js).
    { selector: large ? "node.detailed[label]" : "node[label]", style: { label: "data(label)" } },
    // A data centre shows its name with its member count (graph.js).
    { selector: large ? "node.detailed[caption]" : "node[caption]", style: { label: "data(caption)" } },
    // Shape and colour travel with each node (graph.js): one rule instead of one per kind
    // keeps the first styling of a big design cheaper.
    { selector: "node[shape]", style: { shape: "data(shape)", "background-color": "data(color)" } },
    {
      selector: 'node[role = "replica"]',
      style: { "background-opacity": 0.55, "border-style": "dashed", "border-color": c.text },
    },
    {
      selector: "node[?isGroup], node:parent",
      style: {
        shape: "round-rectangle",
        "background-color": c.group,
        "background-opacity": 0.6,
        "border-width": 2,
        "border-style": "dashed",
        "border-color": c.groupBorder,
        "text-valign": "top",
        "text-halign": "center",
        "text-margin-y": -4,
        "font-weight": "bold",
        // A box is wider than a node: its name and count get room to be read whole.
        "text-max-width": 400,
        padding: 24,
        width: 120,
        height: 80,
      },
    },
    {
      selector: "edge",
      style: {
        width: 2,
        "line-color": c.edge,
        "target-arrow-color": c.edge,
        "target-arrow-shape": large ? "none" : "triangle",
        // Big designs start zoomed out: plain lines (haystack) draw several times faster
        // than lines with arrowheads; zoomed in, edges get their arrows back (.detailed).
        "curve-style": large ? "haystack" : "bezier",
        "haystack-radius": 0,
        "min-zoomed-font-size": 7,
        "font-size": 11,
        color: c.text,
        "text-background-color": c.textBackground,
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        "text-rotation": "autorotate",
      },
    },
    { selector: large ? "edge.detailed[label]" : "edge[label]", style: { label: "data(label)" } },
    {
      selector: "edge.detailed, edge:selected",
      style: { "curve-style": large ? "straight" : "bezier", "target-arrow-shape": "triangle" },
    },
    {
      selector: ".has-warning",
      style: { "border-width": 4, "border-color": c.warning, "border-style": "dashed" },
    },
    {
      selector: ".has-problem",
      style: { "border-width": 4, "border-color": c.problem, "border-style": "solid" },
    },
    { selector: "edge.has-problem", style: { "line-color": c.problem, "line-style": "dashed" } },
    {
      selector: "node:selected",
      style: { "border-width": 4, "border-color": c.selected, "border-style": "solid" },
    },
    {
      selector: "edge:selected",
      style: { width: 4, "line-color": c.selected, "target-arrow-color": c.selected },
    },
    { selector: ".drop-target", style: { "border-color": c.selected, "border-width": 4 } },
    { selector: ".eh-source, .eh-target", style: { "border-width": 4, "border-color": c.selected } },
    {
      selector: ".eh-preview, .eh-ghost-edge",
      style: {
        "line-color": c.selected,
        "target-arrow-color": c.selected,
        "source-arrow-color": c.selected,
        "line-style": "dashed",
      },
    },
    { selector: ".eh-ghost-edge.eh-preview-active", style: { opacity: 0 } },
    { selector: ".eh-ghost-node", style: { width: 1, height: 1, opacity: 0, label: "" } },
  ];
}

/** The current colour scheme of the page. */
export function currentScheme() {
  return globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}
