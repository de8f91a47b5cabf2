import assert from "node:assert/strict";
import { test } from "node:test";

import { defaultParams, linkRefusal, normalizeCatalog } from "./catalog.js";

const raw = {
  kinds: {
    client: {
      label: "Users",
      group: "traffic",
      role: "source",
      help: "Sends requests.",
      params: [{ name: "rps", type: "float", default: 100 }],
      links_to: ["load_balancer", "web_server"],
    },
    load_balancer: {
      label: "Load balancer",
      group: "edge",
      params: [],
      links_to: ["web_server", "client"],
    },
    web_server: { label: "Web server", group: "compute", params: [], links_to: [] },
    datacenter: { label: "Data centre", group: "groups", role: "group", params: [] },
  },
  link_params: [{ name: "latency_ms", type: "float", default: 1 }],
};

test("kinds are grouped in the palette's order", () => {
  const cat = normalizeCatalog(raw);
  assert.deepEqual(cat.groups.map((g) => g.name), ["traffic", "edge", "compute", "groups"]);
  assert.equal(cat.kinds.get("datacenter").isGroup, true);
  assert.deepEqual(cat.linkParams.map((p) => p.name), ["latency_ms"]);
});

test("a list of kinds reads the same as a mapping", () => {
  const asList = normalizeCatalog({
    kinds: Object.entries(raw.kinds).map(([kind, spec]) => ({ kind, ...spec })),
  });
  assert.deepEqual([...asList.kinds.keys()], Object.keys(raw.kinds));
});

test("forbidden links are refused with the reason and the allowed targets", () => {
  const cat = normalizeCatalog(raw);
  assert.equal(linkRefusal(cat, "client", "load_balancer"), null);
  const why = linkRefusal(cat, "load_balancer", "load_balancer");
  assert.equal(
    why,
    "a load balancer cannot send requests to a load balancer (it may link to: web server, client)",
  );
  assert.match(linkRefusal(cat, "load_balancer", "client"), /clients only send requests/);
  assert.match(linkRefusal(cat, "web_server", "load_balancer"), /sends requests nowhere/);
  assert.match(linkRefusal(cat, "client", "datacenter"), /datacenter is a group/);
});

test("defaults come from the parameter specs", () => {
  const cat = normalizeCatalog(raw);
  assert.deepEqual(defaultParams(cat, "client"), { rps: 100 });
  assert.deepEqual(defaultParams(cat, "unknown"), {});
});
