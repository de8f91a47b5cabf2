// The component catalog as the editor uses it: kinds grouped for the palette,
// each with its parameter specs and the kinds it may send requests to.
// The raw catalog comes from the server (`/api/catalog`); this module only
// reshapes it so the rest of the editor does not care about its exact layout.

export const GROUP_ORDER = ["traffic", "edge", "compute", "data", "async", "groups"];

const GROUP_LABELS = {
  traffic: "Traffic",
  edge: "Edge",
  compute: "Compute",
  data: "Data",
  async: "Async",
  groups: "Groups",
};

function kindEntries(raw) {
  const kinds = raw?.kinds ?? raw?.components ?? raw;
  if (Array.isArray(kinds)) return kinds.map((spec) => [spec.kind ?? spec.name, spec]);
  if (kinds && typeof kinds === "object") return Object.entries(kinds);
  return [];
}

function paramList(params) {
  if (Array.isArray(params)) return params;
  if (params && typeof params === "object") {
    return Object.entries(params).map(([name, spec]) => ({ name, ...spec }));
  }
  return [];
}

function linkTargets(spec) {
  const targets = spec.links_to ?? spec.may_link_to ?? spec.link_to ?? spec.targets;
  return Array.isArray(targets) ? new Set(targets) : null;
}

/** Reshape the server's catalog into `{kinds: Map, groups: [...], linkParams: [...]}`. */
export function normalizeCatalog(raw) {
  const kinds = new Map();
  for (const [kind, spec] of kindEntries(raw)) {
    if (!kind || !spec) continue;
    kinds.set(kind, {
      kind,
      label: spec.label ?? kind,
      group: spec.group ?? "compute",
      help: spec.help ?? "",
      params: paramList(spec.params),
      linksTo: linkTargets(spec),
      isGroup: spec.role === "group" || spec.group === "groups",
      isSource: spec.role === "source",
    });
  }
  const known = new Set(GROUP_ORDER);
  const extra = [...new Set([...kinds.values()].map((k) => k.group))].filter((g) => !known.has(g));
  const groups = [...GROUP_ORDER, ...extra]
    .map((name) => ({
      name,
      label: GROUP_LABELS[name] ?? name,
      kinds: [...kinds.values()].filter((k) => k.group === name),
    }))
    .filter((g) => g.kinds.length > 0);
  const linkSpec = raw?.link ?? raw?.links ?? {};
  const linkParams = paramList(raw?.link_params ?? linkSpec.params ?? []);
  return { kinds, groups, linkParams };
}

/** Default values of a kind's parameters, for a newly added component. */
export function defaultParams(catalog, kind) {
  const spec = catalog.kinds.get(kind);
  const params = {};
  for (const p of spec?.params ?? []) {
    if (p.default !== undefined && p.default !== null) params[p.name] = structuredClone(p.default);
  }
  return params;
}

/** A kind's name as words: underscores become spaces. */
export function kindWords(kind) {
  return String(kind).replace(/_/g, " ");
}

/**
 * Why a link from `fromKind` to `toKind` is refused, or null when it is allowed.
 * The same rules as the engine's `link_problem`, so the canvas refuses on the spot
 * what the server would refuse on save.
 */
export function linkRefusal(catalog, fromKind, toKind) {
  const from = catalog.kinds.get(fromKind);
  const to = catalog.kinds.get(toKind);
  if (!from || !to) return `unknown component kind ${from ? toKind : fromKind}`;
  if (from.isGroup || to.isGroup) {
    return `a ${kindWords(from.isGroup ? fromKind : toKind)} is a group, not a node: drag components into it instead of linking`;
  }
  if (to.isSource) {
    const words = kindWords(toKind);
    return `a ${kindWords(fromKind)} cannot send requests to a ${words}: ${words}s only send requests`;
  }
  if (from.linksTo === null || from.linksTo.has(toKind)) return null;
  if (from.linksTo.size === 0) {
    return `a ${kindWords(fromKind)} sends requests nowhere, so it cannot link to a ${kindWords(toKind)}`;
  }
  const allowed = [...from.linksTo].map(kindWords).join(", ");
  return `a ${kindWords(fromKind)} cannot send requests to a ${kindWords(toKind)} (it may link to: ${allowed})`;
}
