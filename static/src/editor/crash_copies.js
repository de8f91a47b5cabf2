// Crash copies: unsaved work kept in localStorage until the server has it, one copy per
// tab and design (`crash:<design>:<tab id>`), so that a save in one tab removes only that
// tab's copy, never another tab's. A tab's id lives in sessionStorage: it survives a
// reload of the tab and ends with it.

const TAB_ID_KEY = "architecture-sandbox:tab-id";

function randomId() {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** This tab's id, made on its first use; a fresh one when sessionStorage is unavailable. */
export function tabId(session, makeId = randomId) {
  try {
    let id = session.getItem(TAB_ID_KEY);
    if (!id) {
      id = makeId();
      session.setItem(TAB_ID_KEY, id);
    }
    return id;
  } catch {
    return makeId();
  }
}

export function copyKey(design, tab) {
  return `crash:${design}:${tab}`;
}

function isCopy(value) {
  return (
    Array.isArray(value?.document?.components) &&
    Number.isInteger(value.base_revision) &&
    Number.isFinite(value.saved_at)
  );
}

/** Every readable copy of `design` in `storage`, newest first: {key, base_revision, document, saved_at}. */
export function listCopies(storage, design) {
  const prefix = copyKey(design, "");
  const copies = [];
  try {
    for (let i = 0; i < storage.length; i += 1) {
      const key = storage.key(i);
      if (!key?.startsWith(prefix)) continue;
      let value;
      try {
        value = JSON.parse(storage.getItem(key));
      } catch {
        continue;
      }
      if (isCopy(value)) copies.push({ ...value, key });
    }
  } catch {
    return []; // storage unavailable: nothing was kept
  }
  return copies.sort((a, b) => b.saved_at - a.saved_at);
}

/**
 * The copies worth offering: those holding something the server does not have. A copy
 * equal to the stored document is removed (its work is saved); the others stay until
 * restored or discarded, whichever tab wrote them.
 */
export function copiesToOffer(storage, design, storedDoc) {
  const stored = JSON.stringify(storedDoc);
  return listCopies(storage, design).filter((copy) => {
    if (JSON.stringify(copy.document) !== stored) return true;
    removeCopy(storage, copy.key);
    return false;
  });
}

export function removeCopy(storage, key) {
  try {
    storage.removeItem(key);
  } catch {
    // Storage unavailable: nothing was kept, nothing to remove.
  }
}
