// How each component kind looks: a Cytoscape shape and a colour, shared by
// the canvas stylesheet and the palette swatches. Unknown kinds get a neutral look.

export const KIND_LOOKS = {
  client: { shape: "ellipse", color: "#2563eb" },
  dns: { shape: "diamond", color: "#7c3aed" },
  cdn: { shape: "hexagon", color: "#0891b2" },
  load_balancer: { shape: "octagon", color: "#ea580c" },
  web_server: { shape: "round-rectangle", color: "#16a34a" },
  worker: { shape: "cut-rectangle", color: "#4d7c0f" },
  cache: { shape: "pentagon", color: "#dc2626" },
  session_store: { shape: "tag", color: "#db2777" },
  database: { shape: "barrel", color: "#9333ea" },
  shard_router: { shape: "rhomboid", color: "#b45309" },
  message_queue: { shape: "rectangle", color: "#ca8a04" },
  datacenter: { shape: "round-rectangle", color: "#64748b" },
};

export const FALLBACK = { shape: "round-rectangle", color: "#475569" };

export function lookOf(kind) {
  return KIND_LOOKS[kind] ?? FALLBACK;
}
