// The one front-end entry: shared styles and helpers, then each feature module, which
// starts only when its root element is on the page.
import "./app.css";
import "./dom.js";
import "./copy.js";
import "./popover.js";
import "./htmx_errors.js";
import "./editor/index.js";
import "./live/index.js";
