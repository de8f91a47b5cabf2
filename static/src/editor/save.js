// Saving: Ctrl+S or the Save button, autosave after a short idle, always on top of
// the revision the editor started from: its number and its count of saves, since the
// server rewrites an autosave burst's revision in place and answers the same number.
// An explicit save always reaches the server, which makes no revision for an unchanged
// document but keeps an autosaved one from being rewritten. A conflict is never resolved
// silently: the user loads theirs or saves theirs-then-mine. Until the server has a change,
// a copy lives in localStorage, one per tab (crash_copies.js), and every copy is
// offered back on the next visit.

import { request } from "../dom.js";
import { copiesToOffer, copyKey, removeCopy, tabId } from "./crash_copies.js";
import { SAVE_TEXT } from "./text.js";

const AUTOSAVE_MS = 2500;
const LOCAL_COPY_MS = 200;

export class Saver {
  constructor({ editor, url, revision, saves = null, design, status, banner, onSaved }) {
    this.editor = editor;
    this.url = url;
    this.revision = revision;
    this.saves = saves;
    this.design = design;
    this.storageKey = copyKey(design, tabId(sessionStorage));
    this.status = status;
    this.banner = banner;
    this.onSaved = onSaved;
    this.savedDoc = editor.doc;
    this.saving = null;
    this.conflict = false;
    this.autosaveTimer = null;
    this.copyTimer = null;
    this.lastError = null;
    this.setStatus(`Saved · revision ${revision}`, "saved");
    window.addEventListener("beforeunload", (e) => {
      if (!this.dirty) return;
      this.writeLocalCopy();
      e.preventDefault();
      e.returnValue = "";
    });
  }

  get dirty() {
    return this.editor.doc !== this.savedDoc;
  }

  /** Called after every change of the document. */
  changed() {
    if (!this.dirty) {
      clearTimeout(this.autosaveTimer);
      this.clearLocalCopy();
      this.setStatus(`Saved · revision ${this.revision}`, "saved");
      return;
    }
    if (!this.conflict) this.setStatus("Unsaved changes", "dirty");
    clearTimeout(this.copyTimer);
    this.copyTimer = setTimeout(() => this.writeLocalCopy(), LOCAL_COPY_MS);
    clearTimeout(this.autosaveTimer);
    if (!this.conflict) this.autosaveTimer = setTimeout(() => this.save({ autosave: true }), AUTOSAVE_MS);
  }

  /** Save the current document; `message` goes with the revision. An `autosave` may
   * rewrite the revision of the burst it continues; an explicit save never does. */
  async save({ message = "", force = false, autosave = false } = {}) {
    clearTimeout(this.autosaveTimer);
    if (this.saving) {
      this.again = {
        message: message || this.again?.message || "",
        autosave: autosave && (this.again?.autosave ?? true),
      };
      return this.saving;
    }
    if (autosave && !this.dirty) return true;
    if (this.conflict && !force) {
      this.setStatus("Not saved: resolve the conflict first", "error");
      return false;
    }
    this.saving = this.send(message, autosave);
    try {
      return await this.saving;
    } finally {
      this.saving = null;
      const again = this.again;
      this.again = null;
      if (again && (this.dirty || !again.autosave) && !this.conflict) this.save(again);
    }
  }

  async send(message, autosave = false) {
    const doc = this.editor.doc;
    this.setStatus("Saving…", "saving");
    const body = { base_revision: this.revision, document: doc };
    if (this.saves !== null) body.base_saves = this.saves;
    if (message) body.message = message;
    if (autosave) body.autosave = true;
    const { ok, status, data } = await request(this.url, { method: "POST", json: body, quiet: true });
    if (ok) {
      this.revision = data.revision;
      this.saves = data.saves ?? null;
      this.savedDoc = doc;
      this.lastError = null;
      if (this.dirty) {
        this.setStatus("Unsaved changes", "dirty");
        this.writeLocalCopy();
      } else {
        this.clearLocalCopy();
        const unchanged = data.changed === false && !autosave;
        this.setStatus(unchanged ? SAVE_TEXT.unchanged(this.revision) : `Saved · revision ${this.revision}`, "saved");
      }
      this.onSaved?.(this.revision, data);
      return true;
    }
    this.writeLocalCopy();
    if (status === 409) {
      this.showConflict(data?.current_revision, data?.current_saves);
      return false;
    }
    if (status === 422) {
      const count = data?.errors?.length ?? 0;
      this.lastError = data?.errors ?? [];
      this.setStatus(
        `Not saved: the design has ${count} problem${count === 1 ? "" : "s"} (see Problems). Your work is kept in this browser.`,
        "error",
      );
      this.onSaved?.(null, data);
      return false;
    }
    // A rate-limited save (429) says how long to wait in `error`.
    const why =
      status === 0 ? "the server could not be reached" : (data?.error ?? `the server answered ${status}`);
    this.setStatus(`Not saved: ${why}. Your work is kept in this browser.`, "error");
    return false;
  }

  showConflict(currentRevision, currentSaves = null) {
    this.conflict = true;
    clearTimeout(this.autosaveTimer);
    this.setStatus("Not saved: conflict", "error");
    this.banner.show({
      tone: "warning",
      text: `Someone saved revision ${currentRevision} of this design while you were editing. Your changes are not saved yet.`,
      actions: [
        { label: "Load theirs", name: "load-theirs", run: () => this.loadTheirs() },
        {
          label: "Save mine on top",
          name: "save-mine",
          primary: true,
          run: () => this.saveMineOnTop(currentRevision, currentSaves),
        },
      ],
    });
  }

  /** Replace the editor's document by the newest saved one (mine stays in undo). */
  async loadTheirs() {
    const { ok, data } = await request(this.url, { quiet: false });
    if (!ok) return;
    this.conflict = false;
    this.banner.hide();
    this.revision = data.revision;
    this.saves = data.saves ?? null;
    this.editor.replace(data.document);
    this.savedDoc = this.editor.doc;
    this.changed();
  }

  async saveMineOnTop(currentRevision, currentSaves = null) {
    this.revision = currentRevision;
    this.saves = currentSaves ?? null;
    this.conflict = false;
    this.banner.hide();
    await this.save({ force: true, message: "Saved on top of a newer revision" });
  }

  // The local copy ---------------------------------------------------------------------

  writeLocalCopy() {
    clearTimeout(this.copyTimer);
    if (!this.dirty) return;
    try {
      localStorage.setItem(
        this.storageKey,
        JSON.stringify({
          base_revision: this.revision,
          base_saves: this.saves,
          document: this.editor.doc,
          saved_at: Date.now(),
        }),
      );
    } catch {
      this.setStatus("Unsaved changes (this browser could not keep a copy: storage full?)", "dirty");
    }
  }

  clearLocalCopy() {
    clearTimeout(this.copyTimer);
    removeCopy(localStorage, this.storageKey);
  }

  /** Offer back the unsaved work this browser kept for this design, from every tab, newest
   * first; restoring one keeps its base revision so that conflicts still show. */
  offerLocalCopies() {
    const copies = copiesToOffer(localStorage, this.design, this.editor.doc);
    if (copies.length === 0) return;
    const restore = (copy) => () => {
      this.banner.hide();
      removeCopy(localStorage, copy.key); // from now on it is this tab's work
      this.revision = copy.base_revision;
      this.saves = copy.base_saves ?? null;
      this.editor.replace(copy.document);
    };
    const discard = {
      label: copies.length === 1 ? "Discard" : "Discard them all",
      name: "discard",
      run: () => {
        this.banner.hide();
        for (const copy of copies) removeCopy(localStorage, copy.key);
      },
    };
    const when = (copy) => new Date(copy.saved_at).toLocaleString();
    if (copies.length === 1) {
      const [copy] = copies;
      this.banner.show({
        tone: "info",
        text: `This browser kept changes you had not saved (${when(copy)}, on top of revision ${copy.base_revision}).`,
        actions: [{ label: "Restore them", name: "restore", primary: true, run: restore(copy) }, discard],
      });
      return;
    }
    this.banner.show({
      tone: "info",
      text: `This browser kept ${copies.length} sets of changes you had not saved, from different tabs (newest first). Restore one; the others are offered again next time until you discard them.`,
      actions: [
        ...copies.map((copy, i) => ({
          label: `Restore ${when(copy)} (on revision ${copy.base_revision})`,
          name: `restore-${i + 1}`,
          primary: i === 0,
          run: restore(copy),
        })),
        discard,
      ],
    });
  }

  setStatus(text, state) {
    this.status.textContent = text;
    this.status.dataset.state = state;
  }
}
