// The words the editor's toolbar, toasts and banners show, in one table so a translation
// replaces this module and nothing else. `text` is a button's content, `title` its
// tooltip, `aria` its accessible name when the content is a symbol.

export const ACTION_LABELS = {
  save: { text: "Save", title: "Save a new revision, if anything changed (Ctrl+S)" },
  undo: { text: "↶ Undo", title: "Undo (Ctrl+Z)" },
  redo: { text: "↷ Redo", title: "Redo (Ctrl+Shift+Z)" },
  delete: { text: "Delete", title: "Delete the selection (Delete)" },
  copy: { text: "Copy", title: "Copy (Ctrl+C)" },
  paste: { text: "Paste", title: "Paste (Ctrl+V)" },
  rename: { text: "Rename", title: "Rename (F2, or double-click a component)" },
  connect: { text: "Link", title: "Link the two selected components, first to second (Ctrl+L)" },
  group: { text: "Group", title: "Put the selection in a new data centre (Ctrl+G)" },
  ungroup: { text: "Ungroup", title: "Take the selection out of its data centre" },
  "zoom-in": { text: "+", title: "Zoom in (+)", aria: "Zoom in" },
  "zoom-out": { text: "−", title: "Zoom out (−)", aria: "Zoom out" },
  fit: { text: "Fit", title: "Fit the diagram in view" },
  layout: { text: "Arrange", title: "Arrange left to right by request flow" },
  "export-png": { text: "Image (PNG)" },
  "export-svg": { text: "Drawing (SVG)" },
  "export-json": { text: "Document (JSON)" },
  "import-json": { text: "Import JSON…" },
  fork: { text: "Fork to edit" },
};

// The save status beside the toolbar.
export const SAVE_TEXT = {
  unchanged: (revision) => `Nothing changed since revision ${revision}`,
};

export const MESSAGES = {
  linkRefused: (why) => `Link refused: ${why}.`,
  importRefused: (why) => `Import refused: ${why}.`,
  // `refusal` comes from model.groupRefusal: the names are the ones users gave.
  groupRefused: ({ reason, names }) => {
    const list = names.join(", ");
    if (reason === "holds_datacenter") {
      return names.length === 1
        ? `Cannot group: ${list} is a data centre, and data centres cannot go inside each other. To put a component in it, choose it under "Move to" in the component's properties.`
        : `Cannot group: ${list} are data centres, and data centres cannot go inside each other. To put a component in one, choose it under "Move to" in the component's properties.`;
    }
    return names.length === 1
      ? `Cannot group: the selection is already in the data centre ${list}, and data centres cannot go inside each other. Ungroup it first.`
      : `Cannot group: the selection spans the data centres ${list}, and data centres cannot go inside each other. Ungroup it first.`;
  },
  imported: (fileName) => `Imported ${fileName}. Undo (Ctrl+Z) brings the previous diagram back.`,
  catalogFailed: (status) =>
    `The editor could not load the component catalog (server answered ${status}), so it cannot edit. Reload the page to try again.`,
  reload: "Reload",
};

// The problems panel. A warning is a likely mistake that blocks neither a save nor a run.
export const PROBLEM_TEXT = {
  none: "No problems found.",
  warning: "⚠ Warning:",
  warningTitle: "A warning: the design is valid and runs, but this is likely a mistake.",
  couldNotCheck: (why) => `Could not check the design (${why}).`,
};

// A data centre's box: its name and how many components it holds.
export const GROUP_TEXT = {
  caption: (name, members) => `${name} · ${members}`,
};
