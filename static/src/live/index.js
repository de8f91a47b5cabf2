// The live run page: connects the socket, the diagram, the charts, the controls,
// the event log, the timeline and the end-of-run summary. Starts only when the
// page has a [data-live-run] element.

import "./live.css";
import { h, request, showMessage } from "../dom.js";
import { Kinds } from "../editor/kinds.js";
import { LiveDiagram } from "./diagram.js";
import { RunCharts } from "./charts.js";
import { BUTTONS, INPUTS, changeableParams, speedOptions } from "./controls.js";
import { availablePercentiles, eventText, formatMs, formatPercent, formatRate } from "./look.js";
import { MetricNames } from "./metrics.js";
import { Recording } from "./recording.js";
import { RunSocket } from "./socket.js";
import { WhyPanel } from "./why.js";
import { FrameDecoder } from "./wire.js";

const MAX_LOG_ENTRIES = 500;
// Ticks per `replay.json` request when scrubbing to a frame this page lacks.
const REPLAY_PAGE = 50;
// Close codes of a refused viewer (the socket's FINAL_CODES): the page says why.
const REFUSED_CODES = [4401, 4403];

class LiveRun {
  constructor(root) {
    this.root = root;
    this.isOwner = root.dataset.isOwner === "true";
    this.kinds = Kinds.fromPage();
    this.metrics = MetricNames.fromPage();
    this.recording = new Recording(this.metrics.chartKeys());
    this.replayTick = null;
    this.paramValues = new Map(); // "id param" -> the value last set in this page
    this.fetchingPages = new Set();
    this.diagram = null;
    this.charts = null;
    this.status = "starting";
    this.ended = false;
    this.chartsDirty = false;
    this.started = false;
    // The charts start with the percentiles every frame has.
    this.percentiles = [...this.metrics.alwaysPercentiles];
    this.el = (role) => root.querySelector(`[data-role="${role}"]`);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new RunSocket(`${scheme}://${location.host}${root.dataset.socketPath}`, {
      // A hello after `?since=` leaves out the design: ask with it only once the page
      // has built from one (onHello), else from the start.
      since: () => (this.diagram ? this.recording.lastTick : -1),
      onMessage: (msg) => this.onMessage(msg),
      onState: (state, detail) => this.onConnection(state, detail),
    });
    this.bindControls();
    this.start();
  }

  /** The design comes over HTTP (too big for one socket message), then the socket. */
  async start() {
    const { ok, data } = await request(this.root.dataset.designUrl);
    if (!ok) {
      this.onConnection("closed", {});
      return;
    }
    this.design = data;
    this.socket.connect();
  }

  /**
   * Fetch the charts' numbers of the ticks after `since` up to `before` (all of them
   * when omitted) from `series.json`, a page at a time: the socket's `hello` carries
   * only the newest ticks and `ended` none.
   */
  async fillSeries(since, before = Infinity) {
    let after = since;
    while (after < before - 1) {
      const { ok, data } = await request(`${this.root.dataset.seriesUrl}?since=${after}`);
      if (!ok) return;
      const ticks = data.series.tick ?? [];
      if (this.recording.addSeries(data.series)) this.afterFrames();
      if (!data.more || !ticks.length) return;
      after = ticks[ticks.length - 1];
    }
  }

  // -- messages from the server ----------------------------------------------------

  onMessage(msg) {
    const handler = {
      hello: () => this.onHello(msg),
      frame: () => this.onFrame(this.decoder.decode(msg.frame)),
      event: () => this.logEvent(msg.event),
      status: () => this.setStatus(msg),
      error: () => this.showError(msg.error),
      ended: () => this.onEnded(msg),
    }[msg.type];
    if (handler) handler();
  }

  onHello(msg) {
    const since = this.diagram ? this.recording.lastTick : -1;
    if (!this.diagram) {
      this.decoder = new FrameDecoder(this.design);
      this.diagram = new LiveDiagram(this.el("diagram"), this.el("overlay"), this.design, {
        kinds: this.kinds,
        metrics: this.metrics,
        onNodeClick: (id, pos, isGroup) => this.openNodeMenu(id, pos, isGroup),
      });
      this.charts = new RunCharts(this.el("charts"), { metrics: this.metrics, percentiles: this.percentiles });
      this.why = new WhyPanel(this.el("why"));
      this.fillSpeeds(msg.limits, msg.run.speed);
      this.fillRateSources(this.design);
    }
    this.el("events").replaceChildren();
    for (const event of msg.events ?? []) this.logEvent(event);
    // The charts' numbers of every tick, and only the newest frame: frames to scrub
    // the timeline to are fetched when needed (see replay()).
    this.recording.addSeries(msg.series);
    if (msg.frame) this.recording.add(this.decoder.decode(msg.frame));
    this.setStatus(msg.run);
    this.afterFrames();
    // A long run's hello has only its newest ticks: the older ones come over HTTP.
    const first = msg.series?.tick?.[0];
    if (first !== undefined && first > since + 1) this.fillSeries(since, first);
    if (this.isOwner && msg.run.status === "starting" && !this.started) {
      this.started = true;
      this.socket.send({ action: "start" });
    }
  }

  onFrame(frame) {
    if (this.recording.add(frame)) this.afterFrames();
  }

  afterFrames() {
    const latest = this.recording.frames.at(-1);
    if (!latest) return;
    if (this.replayTick === null) this.showFrame(latest);
    this.updatePercentileChoices(latest.global);
    const timeline = this.el("timeline");
    timeline.min = String(Math.max(0, this.recording.firstTick));
    timeline.max = String(this.recording.lastTick);
    if (this.replayTick === null) timeline.value = String(this.recording.lastTick);
    if (!this.chartsDirty) {
      this.chartsDirty = true;
      requestAnimationFrame(() => {
        this.chartsDirty = false;
        this.charts.update(this.recording.series());
      });
    }
  }

  setStatus({ status, reason, speed }) {
    if (status) this.status = status;
    const pill = this.el("status");
    // A reason that names the status already ("stopped by alice") is shown as it is,
    // not as "stopped: stopped by alice".
    pill.textContent = !reason ? this.status : reason.startsWith(this.status) ? reason : `${this.status}: ${reason}`;
    pill.dataset.status = this.status;
    if (speed !== undefined) this.el("speed")?.querySelector(`option[value="${speed === "max" ? "max" : Number(speed)}"]`)?.setAttribute("selected", "");
    const controls = this.el("controls");
    if (controls) controls.dataset.status = this.status;
    this.root.dataset.status = this.status;
  }

  /** The diagram, what is wrong and the clock at one frame (live or replayed). */
  showFrame(frame) {
    this.diagram.render(frame);
    this.why.render(frame);
    this.showClock(frame);
  }

  showClock(frame) {
    const t = frame.t ?? frame.tick;
    this.el("clock").textContent = `t = ${Math.round(t * 10) / 10} s · tick ${frame.tick}`;
  }

  logEvent(event) {
    const list = this.el("events");
    const item = document.createElement("li");
    item.dataset.kind = event.kind ?? "";
    item.textContent = eventText(event, this.diagram?.labels);
    list.prepend(item);
    while (list.children.length > MAX_LOG_ENTRIES) list.lastElementChild.remove();
  }

  showError(text) {
    const box = this.el("error");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(this.errorTimer);
    this.errorTimer = setTimeout(() => (box.hidden = true), 8000);
  }

  onEnded(msg) {
    this.ended = true;
    this.setStatus({ status: msg.status, reason: msg.reason });
    this.showSummary(msg);
    if (this.replayTick === null) this.el("timeline-label").textContent = "end of run";
    // The whole run's numbers: the charts fill the ticks whose frames this viewer skipped.
    this.fillSeries(-1);
  }

  showSummary(msg) {
    const box = this.el("summary");
    box.hidden = false;
    this.el("summary-status").textContent = msg.reason ? `${msg.status}: ${msg.reason}` : `Run ${msg.status}.`;
    // Said by the server, translated: what the numbers cover when not the ticks after warm-up.
    const note = this.el("summary-note");
    note.textContent = msg.summary_note ?? "";
    note.hidden = !msg.summary_note;
    const s = msg.summary;
    const numbers = this.el("summary-numbers");
    numbers.replaceChildren();
    if (s) {
      const lat = s.latency_ms ?? {};
      const rows = [
        ["availability", formatPercent(s.availability, 3)],
        ["error rate", formatPercent(s.error_rate, 2)],
        ["offered", `${formatRate(s.offered_rps)} req/s`],
        ["served", `${formatRate(s.served_rps)} req/s`],
        ...(s.late_rps > 0
          ? [
              ["served within deadline", `${formatRate(s.goodput_rps)} req/s`],
              ["served late (user gave up)", `${formatRate(s.late_rps)} req/s`],
            ]
          : []),
        ["dropped", `${formatRate(s.dropped_rps)} req/s`],
        ["latency p50 / p95 / p99", [lat.p50, lat.p95, lat.p99].map(formatMs).join(" / ")],
        ["cost", `$${(s.cost_per_hour ?? 0).toFixed(2)} per hour`],
      ];
      for (const [label, value] of rows) {
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.textContent = value;
        numbers.append(dt, dd);
      }
    }
    const bottlenecks = msg.bottlenecks ?? [];
    this.el("bottlenecks").hidden = bottlenecks.length === 0;
    this.el("bottleneck-list").replaceChildren(
      ...bottlenecks.map((item) => {
        const li = document.createElement("li");
        li.dataset.component = item.component;
        li.textContent = item.text;
        return li;
      }),
    );
    const checks = this.el("checks");
    checks.replaceChildren();
    for (const check of msg.checks ?? []) {
      const li = document.createElement("li");
      li.className = check.passed ? "check check--pass" : "check check--fail";
      li.textContent = `${check.passed ? "✔" : "✘"} ${check.name}${check.detail ? ` — ${check.detail}` : ""}`;
      checks.append(li);
    }
  }

  onConnection(state, detail) {
    const text = {
      connecting: detail.attempt ? "reconnecting…" : "connecting…",
      open: "live",
      retrying: `connection lost; retrying in ${Math.ceil(detail.delay / 1000)} s`,
      closed: this.ended ? "run over" : ({ 4401: "signed out", 4403: "no access" }[detail.code] ?? "disconnected"),
    }[state];
    const box = this.el("connection");
    box.textContent = text;
    box.dataset.state = state;
    if (state === "closed" && REFUSED_CODES.includes(detail.code)) this.showRefused(detail.code);
  }

  /** The server refused this viewer (signed out, or access revoked): say so for good. */
  showRefused(code) {
    const box = this.el("refused");
    for (const line of box.querySelectorAll("[data-code]")) line.hidden = line.dataset.code !== String(code);
    box.hidden = false;
    // Without access the page cannot know how the run goes on: it does not say "running".
    this.setStatus({ status: "status unknown" });
    this.el("error").hidden = true;
    this.el("controls")?.setAttribute("hidden", "");
    this.closeNodeMenu();
  }

  // -- controls ----------------------------------------------------------------------

  send(message) {
    if (!this.socket.send(message)) this.showError("Not connected: the control was not sent. Reconnecting…");
  }

  /** Send what a control record builds (see controls.js), then close the menu if it says so. */
  perform(control) {
    if (!control) return;
    const message = control.message?.(this);
    if (message) this.send(message);
    if (message?.action === "set_param") this.paramValues.set(`${message.target} ${message.param}`, message.value);
    if (control.closesMenu) this.closeNodeMenu();
  }

  /** The value of the [data-role] input `role` (control records read the page through it). */
  value(role) {
    return this.el(role)?.value;
  }

  bindControls() {
    this.root.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-action]");
      if (!button || !this.root.contains(button)) return;
      this.perform(BUTTONS[button.dataset.action]);
    });
    for (const [role, control] of Object.entries(INPUTS)) this.el(role)?.addEventListener(control.event, () => this.perform(control));
    const rate = this.el("rate");
    rate?.addEventListener("input", () => (this.el("rate-value").textContent = `${formatRate(Number(rate.value))} req/s`));
    this.el("rate-source")?.addEventListener("change", () => this.syncRateSlider());
    const timeline = this.el("timeline");
    timeline.addEventListener("input", () => this.replay(Number(timeline.value)));
    this.el("go-live").addEventListener("click", () => this.replay(null));
    this.el("percentiles").addEventListener("change", () => {
      this.percentiles = [...this.el("percentiles").querySelectorAll("input:checked")].map((i) => i.value);
      this.charts?.setPercentiles(this.percentiles);
      this.charts?.update(this.recording.series());
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.closeNodeMenu();
    });
  }

  fillSpeeds(limits, current) {
    const select = this.el("speed");
    if (!select) return;
    select.replaceChildren();
    const steps = JSON.parse(document.getElementById("speed-steps").textContent);
    const selected = current === "max" ? "max" : String(Number(current));
    for (const { label, value } of speedOptions(steps, limits)) select.append(new Option(label, value, false, value === selected));
  }

  fillRateSources(design) {
    const select = this.el("rate-source");
    if (!select) return;
    this.sources = design.components.filter((c) => this.kinds.isSource(c.kind));
    for (const c of this.sources) select.append(new Option(c.label || c.id, c.id));
    this.el("rate-box").hidden = this.sources.length === 0;
    this.el("spike-box").hidden = this.sources.length === 0;
    this.syncRateSlider();
  }

  syncRateSlider() {
    const rate = this.el("rate");
    const source = this.sources?.find((c) => c.id === this.el("rate-source").value);
    if (!rate || !source) return;
    const rps = Number(source.params?.rps ?? 100);
    rate.max = String(Math.max(100, Math.ceil((rps * 4) / 100) * 100));
    rate.step = String(Math.max(1, Math.round(Number(rate.max) / 200)));
    rate.value = String(rps);
    this.el("rate-value").textContent = `${formatRate(rps)} req/s`;
  }

  openNodeMenu(id, pos, isGroup = false) {
    if (!this.isOwner || this.ended) return;
    this.menuTarget = id;
    const menu = this.el("node-menu");
    this.el("menu-title").textContent = this.diagram?.labels.get(id) ?? id;
    const node = this.recording.frames.at(-1)?.nodes?.[id];
    const input = this.el("scale-instances");
    input.value = String(node?.inst ?? 1);
    // A data centre fails and recovers as a whole; it has no instances to scale.
    this.el("scale-row").hidden = isGroup || typeof node?.inst !== "number";
    this.el("fail-one-row").hidden = isGroup || !(node?.inst > 1);
    const component = this.design.components.find((c) => c.id === id);
    this.el("flush-row").hidden = !this.kinds.flushes(component?.kind);
    this.fillParams(component);
    menu.hidden = false;
    // Kept inside the diagram (a node near the right or bottom edge, a phone's width).
    const room = menu.parentElement;
    const x = Math.max(0, Math.min(pos.x + 20, (room?.clientWidth || Infinity) - menu.offsetWidth));
    const y = Math.max(0, Math.min(pos.y - 20, (room?.clientHeight || Infinity) - menu.offsetHeight));
    menu.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  }

  /** The menu's setting choices: the component's numeric parameters, as last set. */
  fillParams(component) {
    const params = changeableParams(component);
    const select = this.el("param-name");
    select.replaceChildren(...params.map(([name]) => h("option", { value: name }, [name.replaceAll("_", " ")])));
    this.el("param-row").hidden = params.length === 0;
    const showValue = () => {
      const current = this.paramValues.get(`${component.id} ${select.value}`);
      this.el("param-value").value = String(current ?? component.params[select.value] ?? "");
    };
    select.onchange = showValue;
    if (params.length) showValue();
  }

  closeNodeMenu() {
    this.el("node-menu").hidden = true;
  }

  replay(tick) {
    const label = this.el("timeline-label");
    if (tick === null || (!this.ended && tick >= this.recording.lastTick)) {
      this.replayTick = null;
      this.root.dataset.replaying = "false";
      label.textContent = this.ended ? "end of run" : "live";
      this.charts?.setMarker(null);
      const latest = this.recording.frames.at(-1);
      if (latest) {
        this.showFrame(latest);
        this.el("timeline").value = String(latest.tick);
      }
      return;
    }
    this.replayTick = tick;
    this.root.dataset.replaying = "true";
    this.showReplayed(false);
    if (!this.recording.has(tick)) this.fetchFrames(tick);
  }

  /** Show the frame of the replayed tick, or the nearest earlier one this page has. */
  showReplayed(fetched) {
    const frame = this.recording.at(this.replayTick);
    const label = this.el("timeline-label");
    if (frame?.tick === this.replayTick) label.textContent = `replaying tick ${frame.tick}`;
    else if (!fetched) label.textContent = `loading tick ${this.replayTick}…`;
    // Big designs record a frame every few ticks, and the newest ticks are saved in chunks.
    else label.textContent = `no frame of tick ${this.replayTick} is recorded${frame ? `; showing tick ${frame.tick}` : ""}`;
    if (!frame) return;
    this.showFrame(frame);
    this.charts?.setMarker(frame.t ?? frame.tick);
  }

  /** Fetch the recorded frames around `tick` (a page of REPLAY_PAGE ticks). */
  async fetchFrames(tick) {
    const from = Math.floor(tick / REPLAY_PAGE) * REPLAY_PAGE;
    if (this.fetchingPages.has(from)) return;
    this.fetchingPages.add(from);
    try {
      const url = `${this.root.dataset.replayUrl}?from=${from}&to=${from + REPLAY_PAGE - 1}`;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`replay: ${response.status}`);
      const body = await response.json();
      this.recording.add(...body.frames.map((f) => this.decoder.decode(f)));
      if (this.replayTick !== null) this.showReplayed(true);
    } catch {
      showMessage("Could not load that part of the recording; the timeline shows the nearest frame.", "error");
    } finally {
      this.fetchingPages.delete(from);
    }
  }

  updatePercentileChoices(global) {
    const available = new Set(availablePercentiles(global, this.metrics));
    const box = this.el("percentiles");
    if (!box.dataset.filled) {
      box.dataset.filled = "true";
      for (const p of this.metrics.percentiles()) {
        const label = document.createElement("label");
        const input = document.createElement("input");
        input.type = "checkbox";
        input.value = p.key;
        input.checked = this.percentiles.includes(p.key);
        label.append(input, ` ${p.label}`);
        box.append(label);
      }
    }
    for (const input of box.querySelectorAll("input")) {
      input.disabled = !available.has(input.value);
      input.parentElement.title = input.disabled ? "the engine does not report this percentile" : "";
    }
  }
}

const root = document.querySelector("[data-live-run]");
if (root) root.liveRun = new LiveRun(root);
