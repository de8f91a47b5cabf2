// Reading and naming design documents as files (pure, so node can test it).

/** A file-name-safe version of a design name. */
export function slug(name) {
  const s = String(name || "design")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return s || "design";
}

/**
 * Read a design document from a JSON file's text. Returns `{doc}` or `{error}` with a
 * sentence saying what is wrong; the server validator has the last word on the rest.
 */
export function parseImport(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { error: `the file is not valid JSON (${error.message})` };
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    return { error: "the file must hold one JSON object, a design document" };
  }
  if (!Array.isArray(doc.components)) return { error: "the document has no \"components\" list" };
  if (doc.links !== undefined && !Array.isArray(doc.links)) {
    return { error: "\"links\" must be a list" };
  }
  const bad = doc.components.findIndex(
    (c) => !c || typeof c !== "object" || typeof c.id !== "string" || typeof c.kind !== "string",
  );
  if (bad >= 0) return { error: `components[${bad}] needs a text "id" and "kind"` };
  const links = doc.links ?? [];
  const badLink = links.findIndex(
    (l) => !l || typeof l !== "object" || typeof l.from !== "string" || typeof l.to !== "string",
  );
  if (badLink >= 0) return { error: `links[${badLink}] needs text "from" and "to"` };
  return { doc: { format: 1, ...doc, links } };
}
