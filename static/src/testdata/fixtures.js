// The catalog, the kinds' looks and the metric names as Python gives them (written by
// tests/sandbox/test_js_fixtures.py), for the node tests.

import { readFileSync } from "node:fs";

function read(name) {
  return JSON.parse(readFileSync(new URL(name, import.meta.url), "utf8"));
}

export const CATALOG = read("./catalog.json");
export const KIND_LOOKS = read("./kind_looks.json");
export const METRIC_NAMES = read("./metric_names.json");
