"""The headless interface: ``python -m simulation validate|run``.

Exit codes: 0 success, 1 when a scenario check failed, 2 on invalid input (every
problem is printed on stderr as ``path: message``).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from simulation import DesignError, Engine, design_warnings, validate_document, validate_scenario
from simulation.component_series import MAX_POINTS, ComponentSeries
from simulation.examples import get_example, list_examples
from simulation.frame import Frame

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_INVALID = 2

# Below this many ticks a run is over before a progress bar would be worth drawing.
PROGRESS_MIN_TICKS = 1000


class InputError(Exception):
    """Input the CLI cannot use; ``problems`` are the lines to print on stderr."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args)
        if args.command == "examples":
            return _examples()
        return _run(args)
    except InputError as error:
        for line in error.problems:
            print(line, file=sys.stderr)
        return EXIT_INVALID


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulation",
        description="Validate and run architecture designs (format v1) without the web app.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser(
        "validate", help="check a design (and a scenario) and say why not"
    )
    validate.add_argument("design", help="a design JSON file or a built-in example slug")
    validate.add_argument("--scenario", help="a scenario JSON file to check against the design")

    commands.add_parser("examples", help="list the built-in examples")

    run = commands.add_parser("run", help="run a design tick by tick and report")
    run.add_argument(
        "design",
        help="a design JSON file or a built-in example slug; a file <name>.scenario.json "
        "beside <name>.json (and an example's own scenario) is used unless --scenario is given",
    )
    run.add_argument("--scenario", help="a scenario JSON file")
    length = run.add_mutually_exclusive_group()
    length.add_argument("--ticks", type=_positive_int, help="run this many ticks")
    length.add_argument(
        "--until", type=_positive_float, metavar="SECONDS", help="run to this simulated time"
    )
    run.add_argument(
        "--seed", type=_seed, help="random seed (default: the scenario's seed, else 0)"
    )
    run.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    run.add_argument(
        "--components",
        metavar="all|ID,ID",
        help="with --format json or csv: per-component time series of these components "
        "(json: key component_series; csv: one row per tick and component instead of the "
        f"run's series); at most {MAX_POINTS:,} components x ticks",
    )
    run.add_argument(
        "--every",
        type=_positive_int,
        default=1,
        metavar="N",
        help="with --components: sample every Nth tick (default 1)",
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2^63-1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text}")
    return value


# --- input ---------------------------------------------------------------------------------


def _load_design(spec: str) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """The raw design, its companion scenario (if any) and a name for messages."""
    path = Path(spec)
    if path.is_file():
        document = _read_json(path)
        companion = path.with_name(path.name.removesuffix(".json") + ".scenario.json")
        scenario = _read_json(companion) if companion.is_file() and companion != path else None
        return document, scenario, str(path)
    if spec.endswith(".json") or "/" in spec:
        raise InputError([f"{spec}: no such file"])
    try:
        example = get_example(spec)
    except KeyError:
        known = ", ".join(example.slug for example in list_examples())
        raise InputError(
            [f"{spec}: no such file, and no built-in example of that name (examples: {known})"]
        ) from None
    return example.document, example.scenario, f"example {example.slug}"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError([f"{path}: cannot read: {error.strerror}"]) from None
    except UnicodeDecodeError:
        raise InputError([f"{path}: not UTF-8 text"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            [f"{path}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
        ) from None
    if not isinstance(data, dict):
        raise InputError([f"{path}: must hold a JSON object, not {type(data).__name__}"])
    return data


def _checked(
    design: dict[str, Any], scenario: dict[str, Any] | None, name: str, scenario_name: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Validate the design, then the scenario against it; raise with every problem found."""
    problems: list[str] = []
    document = None
    try:
        document = validate_document(design)
    except DesignError as error:
        problems += [f"{name}: {problem}" for problem in error.problems]
    checked_scenario = None
    # A scenario is checked against the components of a valid design only.
    if scenario is not None and document is not None:
        try:
            checked_scenario = validate_scenario(scenario, document)
        except DesignError as error:
            problems += [f"{scenario_name}: {problem}" for problem in error.problems]
    if problems:
        raise InputError(problems)
    assert document is not None
    return document, checked_scenario


# --- validate ------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    design, scenario, name = _load_design(args.design)
    scenario_name = f"{name} (scenario)"
    if args.scenario:
        scenario, scenario_name = _read_json(Path(args.scenario)), args.scenario
    document, checked = _checked(design, scenario, name, scenario_name)
    print(
        f"{name}: valid ({len(document['components'])} components, {len(document['links'])} links)"
    )
    if checked is not None:
        print(
            f"{scenario_name}: valid ({_number(checked['duration_s'])} s, "
            f"{len(checked['faults'])} faults, {len(checked['checks'])} checks)"
        )
    # Warnings do not make the design invalid: it still runs, and the exit code stays 0.
    for warning in design_warnings(design):
        print(f"{name}: warning: {warning}")
    return EXIT_OK


def _examples() -> int:
    for example in list_examples():
        print(f"{example.slug:<20} {example.title}")
    return EXIT_OK


# --- run -----------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    design, scenario, name = _load_design(args.design)
    scenario_name = f"{name} (scenario)"
    if args.scenario:
        scenario, scenario_name = _read_json(Path(args.scenario)), args.scenario
    document, scenario = _checked(design, scenario, name, scenario_name)
    engine = Engine(document, scenario, seed=args.seed)
    ticks = _planned_ticks(args, engine)
    series = _component_series(args, document, ticks)
    _advance(engine, ticks, sys.stderr, on_frame=series.add if series else None)
    report = engine.report()
    if args.format == "json":
        if series:
            report["component_series"] = series.to_json()
        json.dump(report, sys.stdout, separators=(",", ":"))
        sys.stdout.write("\n")
    elif series:
        csv.writer(sys.stdout, lineterminator="\n").writerows(series.csv_rows())
    elif args.format == "csv":
        _write_csv(report["series"], sys.stdout)
    else:
        sys.stdout.write(render_table(report, document))
    failed = [check for check in report["checks"] if not check["passed"]]
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def _planned_ticks(args: argparse.Namespace, engine: Engine) -> int:
    """--ticks, else the ticks to reach --until, else the scenario's duration."""
    if args.ticks is not None:
        return args.ticks
    until = args.until if args.until is not None else engine.duration
    # A float quotient like 600.0000001 still means 600 ticks.
    return max(1, math.ceil(until / engine.dt - 1e-9))


def _component_series(
    args: argparse.Namespace, document: dict[str, Any], ticks: int
) -> ComponentSeries | None:
    """The collector --components asks for (None without it), checked against the limit."""
    if args.components is None:
        if args.every != 1:
            raise InputError(["--every: samples the per-component series; add --components"])
        return None
    if args.format == "table":
        raise InputError(["--components: needs --format json or csv"])
    known = [component["id"] for component in document["components"]]
    if args.components.strip() == "all":
        ids = known
    else:
        ids = list(dict.fromkeys(i.strip() for i in args.components.split(",") if i.strip()))
        unknown = [i for i in ids if i not in known]
        if unknown or not ids:
            raise InputError(
                [
                    f"--components: no component with id {', '.join(map(repr, unknown))}"
                    if unknown
                    else "--components: name at least one component, or all",
                    f"--components: the design's components: {', '.join(known)}",
                ]
            )
    samples = ticks // args.every
    points = len(ids) * samples
    if points > MAX_POINTS:
        every = math.ceil(len(ids) * ticks / MAX_POINTS)
        raise InputError(
            [
                f"--components: {len(ids)} components x {samples:,} ticks = {points:,} "
                f"points, over the limit of {MAX_POINTS:,}; name fewer components or "
                f"sample with --every {every} (or more)"
            ]
        )
    return ComponentSeries(ids, args.every)


def _advance(
    engine: Engine,
    ticks: int,
    progress: TextIO,
    on_frame: Callable[[Frame], None] | None = None,
) -> None:
    """Step ``ticks`` times, or until an aborting check ends the run; draw progress on a tty.

    An explicit length may run past the scenario's duration: traffic then stays as the
    scenario left it. ``on_frame`` is given each tick's frame.
    """
    show = ticks >= PROGRESS_MIN_TICKS and progress.isatty()
    every = max(1, ticks // 100)
    started = time.perf_counter()
    for done in range(1, ticks + 1):
        frame = engine.step()
        if on_frame is not None:
            on_frame(frame)
        if engine.aborted:
            break
        if show and (done % every == 0 or done == ticks):
            _draw_progress(progress, done, ticks, time.perf_counter() - started)
    if show:
        progress.write("\r" + " " * 64 + "\r")
        progress.flush()


def _draw_progress(stream: TextIO, done: int, total: int, elapsed: float) -> None:
    width = 30
    filled = width * done // total
    bar = "#" * filled + "-" * (width - filled)
    stream.write(f"\r[{bar}] {100 * done // total:3d}%  tick {done}/{total}  {elapsed:.1f}s")
    stream.flush()


def _write_csv(series: dict[str, list[Any]], out: TextIO) -> None:
    columns = ["t", *[key for key in series if key != "t"]]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*(series[column] for column in columns), strict=True))


# --- table ---------------------------------------------------------------------------------


def render_table(report: dict[str, Any], document: dict[str, Any]) -> str:
    """The report as plain text for a terminal: components, global metrics, events, checks."""
    kinds = {component["id"]: component["kind"] for component in document["components"]}
    lines = [
        f"{report['design']}  (seed {report['seed']}, {report['ticks']} ticks of "
        f"{_number(report['tick_s'])} s)",
        _averages_line(report),
        *(["run aborted by a check"] if report.get("aborted") else []),
        "",
        *_component_table(report["components"], kinds),
        "",
        *_summary_lines(report["summary"]),
        "",
        *_bottleneck_lines(report.get("bottlenecks", [])),
        *_event_lines(report.get("events", [])),
        *_check_lines(report.get("checks", [])),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _averages_line(report: dict[str, Any]) -> str:
    warmup = _number(report.get("warmup_s"))
    if report.get("warmup_cut_short"):
        return f"averages over every tick: the run ended before its {warmup}-s warm-up did"
    return f"averages after a warm-up of {warmup} s"


_COLUMNS = (
    ("component", "<"),
    ("kind", "<"),
    ("status", "<"),
    ("offered/s", ">"),
    ("served/s", ">"),
    ("dropped/s", ">"),
    ("util", ">"),
    ("queue", ">"),
    ("mean ms", ">"),
    ("p99 ms", ">"),
)


def _component_table(components: dict[str, dict[str, Any]], kinds: dict[str, str]) -> list[str]:
    rows = [[title for title, _ in _COLUMNS]]
    for component_id, numbers in components.items():
        latency = numbers.get("latency_ms", {})
        rows.append(
            [
                component_id,
                kinds.get(component_id, ""),
                str(numbers.get("status", "")),
                _number(numbers.get("offered_rps")),
                _number(numbers.get("served_rps")),
                _number(numbers.get("dropped_rps")),
                _percent(numbers.get("utilization")),
                _number(numbers.get("queue")),
                _number(latency.get("mean")),
                _number(latency.get("p99")),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if align == "<" else cell.rjust(width)
            for cell, width, (_, align) in zip(row, widths, _COLUMNS, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _summary_lines(summary: dict[str, Any]) -> list[str]:
    latency = summary.get("latency_ms", {})
    return [
        f"offered      {_number(summary.get('offered_rps'))} req/s",
        f"served       {_number(summary.get('served_rps'))} req/s",
        f"dropped      {_number(summary.get('dropped_rps'))} req/s",
        f"availability {_percent(summary.get('availability'), digits=3)}",
        f"error rate   {_percent(summary.get('error_rate'), digits=3)}",
        f"latency      mean {_number(latency.get('mean'))} ms, p50 {_number(latency.get('p50'))}"
        f" ms, p95 {_number(latency.get('p95'))} ms, p99 {_number(latency.get('p99'))} ms",
        f"cost         ${_number(summary.get('cost_per_hour'))}/hour",
    ]


def _bottleneck_lines(bottlenecks: list[dict[str, Any]]) -> list[str]:
    if not bottlenecks:
        return ["bottlenecks: none saturated", ""]
    return ["bottlenecks, in the order they saturated:",
            *[f"  {k}. {item['text']}" for k, item in enumerate(bottlenecks, 1)], ""]  # fmt: skip


def _event_lines(events: list[dict[str, Any]]) -> list[str]:
    if not events:
        return ["events: none", ""]
    return [
        "events:",
        *[f"  t={_number(event.get('t'))}s  {event.get('text', '')}" for event in events],
        "",
    ]


def _check_lines(checks: list[dict[str, Any]]) -> list[str]:
    if not checks:
        return ["checks: none"]
    lines = ["checks:"]
    for check in checks:
        verdict = "PASS" if check.get("passed") else "FAIL"
        detail = check.get("detail") or check.get("text") or ""
        lines.append(f"  {verdict}  {check.get('name', '')}" + (f"  ({detail})" if detail else ""))
    return lines


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100 or value == int(value):
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def _percent(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{100 * float(value):.{digits}f}%"
