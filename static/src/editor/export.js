// Export the diagram as PNG, SVG or the JSON document; import a JSON document.

import cytoscape from "cytoscape";
import svg from "cytoscape-svg";

import { slug } from "./io.js";

cytoscape.use(svg);

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function background() {
  return getComputedStyle(document.body).backgroundColor || "#ffffff";
}

export function exportPng(cy, doc) {
  const blob = cy.png({ output: "blob", full: true, scale: 2, bg: background() });
  download(blob, `${slug(doc.name)}.png`);
}

export function exportSvg(cy, doc) {
  const text = cy.svg({ full: true, scale: 1, bg: background() });
  download(new Blob([text], { type: "image/svg+xml" }), `${slug(doc.name)}.svg`);
}

export function exportJson(doc) {
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  download(new Blob([text], { type: "application/json" }), `${slug(doc.name)}.json`);
}

