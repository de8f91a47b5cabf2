"""The base of every component kind: its catalog entry, its routing and its tick hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Problem, named
from ..request_classes import (  # noqa: F401 (the kinds take the classes from here)
    ALL_CLASSES,
    BACKGROUND,
    BACKGROUND_K,
    CLASSES,
    JOB,
    NCLASS,
    READ,
    STATIC,
    SYNC,
    WRITE,
)
from .look import PLAIN, Look
from .params import Param

if TYPE_CHECKING:
    from ..frame import NodeFrame
    from ..state import State

EPS = 1e-9  # tolerance for comparing simulated times and emptiness of backlogs
WARMUP_S = 60.0  # how long a cold cache or CDN without a warmup_s parameter takes to warm


@dataclass(frozen=True)
class Field:
    """A per-node state list a kind keeps on the engine's ``State`` (``state.<name>[i]``).

    ``initial(params)`` is a node of the declaring kind's value when the run starts;
    every other node holds ``blank``. ``flush`` and ``recover``, when set, are the value
    a node of the kind gets when it is flushed, or recovers after being down. ``watched``:
    a quiet tick may reuse the last one's numbers only while the list is unchanged.
    """

    name: str
    blank: Any = 0.0
    initial: Callable[[dict], Any] | None = None
    flush: Any = None
    recover: Any = None
    watched: bool = False


# A cache's or CDN's warmth (0 cold .. 1 warm): cold again after a flush or a recovery.
WARM = Field("warm", blank=1.0, flush=0.0, recover=0.0)


class Arrivals:
    """What reached a serving node this tick, for the ``refuse`` and ``serve`` hooks.

    ``lam`` and ``dropped`` are live arrival and drop rates per class (req/s; a hook may
    move rate from one to the other in place), ``n`` instances are up, each with ``c``
    servers of rate ``mu`` (1/s), and ``ca2`` is the arrivals' squared coefficient of
    variation.
    """

    __slots__ = ("c", "ca2", "dropped", "lam", "mu", "n")

    def __init__(self, lam: list[float], dropped: list[float], n: int, c: float, mu: float,
                 ca2: float) -> None:  # fmt: skip
        self.lam, self.dropped, self.n, self.c, self.mu, self.ca2 = lam, dropped, n, c, mu, ca2


class Outflow:
    """One class's served requests leaving a node, for the ``send_on`` hook.

    ``rate`` req/s; ``m1``, ``m2`` the first two moments of the latency so far (s, s^2);
    ``cd2`` the squared coefficient of variation of the node's departures, of which this
    class is ``share_out``.
    """

    __slots__ = ("cd2", "m1", "m2", "rate", "share_out")

    def __init__(self, rate: float, m1: float, m2: float, cd2: float, share_out: float) -> None:
        self.rate, self.m1, self.m2, self.cd2, self.share_out = rate, m1, m2, cd2, share_out


@dataclass(frozen=True)
class DesignLinks:
    """A design's checked components and links, for the rules a kind has on its links."""

    by_id: dict[str, dict]  # id -> checked component (parameters with their defaults)
    senders: dict[str, list[str]]  # id -> ids of the components linking to it
    targets: dict[str, list[str]]  # id -> ids of the components it links to

    @classmethod
    def of(cls, by_id: dict[str, dict], links: list[dict]) -> DesignLinks:
        senders: dict[str, list[str]] = {}
        targets: dict[str, list[str]] = {}
        for link in links:
            senders.setdefault(link["to"], []).append(link["from"])
            targets.setdefault(link["from"], []).append(link["to"])
        return cls(by_id, senders, targets)


class Kind:
    """One component kind: its catalog entry, its routing and its behaviour each tick.

    Class attributes describe it for the catalog: ``kind``, ``label``, ``group``
    (traffic, edge, compute, data, async, groups), ``help``, ``params`` and
    ``links_to`` (the kinds it may send requests to). ``role`` tells the engine
    how it behaves each tick: ``source`` emits traffic, ``router`` splits traffic
    without queueing, ``server`` queues and serves, ``group`` holds members.

    When a document is validated, ``check`` validates parameters together, ``link_rule``
    refuses links the kinds allow but the parameters do not, and ``check_links`` checks
    a component's links once all are known. At compile time ``route`` picks the linked
    targets of each request class. The engine keeps the generic machinery
    (fluid flows, queueing, latency moments, health) and asks the kind only where
    kinds differ, through the hooks below; each documents its arguments and what
    it returns, and the defaults describe a plain server. A serving node's tick:
    ``refuse`` (arrivals turned away before queueing) -> ``serve`` (a kind's own
    tick, else the engine queues and serves) -> per class ``answered`` (the share
    completing here) and ``send_on`` (the rest to the routes) -> ``extra`` (the
    frame's kind-specific numbers). A router's split comes from ``weights``;
    ``seen_dead`` is what senders lose at dead instances; ``resized`` runs between
    ticks when the instance count changes. The data attributes below (``queues``,
    ``side_store``, ``skipped_when_down``, ``detection_params``, ``cold_misses``)
    state the remaining differences as plain values, and so do those that shape the
    compiled routes (``replicates``, ``balances``, ``pulls_from_queues``,
    ``cache_aside``, ``data_tier``): ``compile_design`` reads them, never a kind's name.

    Hooks run on one shared instance per kind (``Model.kind_of``), so they keep no
    state of their own: per-node state lives in the run's ``State`` lists, indexed by
    node, and a kind declares the lists it needs in ``state_fields``. Hooks use the
    state's public port: ``state.flow`` to send and complete requests, ``state.event``
    to record what happened, ``state.count_alive``, ``state.dead_share`` and the like.
    What a hook derives from the live parameters and instances alone (a balancer's
    split) may be kept per node until the next change: ``memo`` and ``keep``.
    The engine calls ``refuse``, ``serve``, ``answered``, ``seen_dead`` and
    ``service_time_ms`` only for
    kinds that define their own (it has the defaults' answers without a call), so
    plain servers pay nothing for them.

    Adding a kind is one module with a ``Kind`` subclass plus one line in ``KINDS``
    (docs/architecture.md, "Add a kind").
    """

    kind: str = ""
    label: str = ""
    group: str = ""
    help: str = ""
    role: str = "server"
    look: Look = PLAIN  # how the browser draws it (shape, colour, id prefix)
    params: tuple[Param, ...] = ()
    links_to: tuple[str, ...] = ()
    # Kinds that may send requests to this one besides those naming it in their
    # ``links_to``: a new kind says where it plugs in without an edit to those kinds
    # (a request reaches it where the sender routes to every target, as a balancer does).
    linked_from: tuple[str, ...] = ()
    # False: it takes only what it can process (workers pull from a queue), so nothing
    # waits here and its latency is the service time alone.
    queues: bool = True
    # True: tiers linking to it consult it on the side of their requests (a session
    # store), so a link to it is no route. Its arrivals and drops count where they came
    # from, and those tiers forward their requests once it has served, carrying its
    # latency of the same tick.
    side_store: bool = False
    # True: when it is down, senders skip it and its requests go straight on along its
    # routes (a dead cache sends every read to the database: a stampede).
    skipped_when_down: bool = False
    # Parameters (seconds) whose sum is how long after a failure the kind's routing
    # still changes with time (health checks, failovers); the engine computes every
    # tick until the longest of them has passed.
    detection_params: tuple[str, ...] = ()
    # A kind that caches (cache, CDN): what misses while it is cold, where it goes and
    # that class's number, for the flush event; it is cold after a flush or a recovery.
    cold_misses: tuple[str, str, int] | None = None
    # True: it replicates (a database). A node whose ``role`` parameter is "primary" forms
    # one cluster with the nodes of its kind it links to, its replicas: links between two
    # nodes of the kind carry replication, not requests, and requests sent to any member
    # go where the cluster routes them (primary or replica, ``clusters.py``).
    replicates: bool = False
    # True: it balances (a load balancer): it deals a tier's arrivals to the tier's
    # instances itself, its algorithm setting their variability. A tier with any other
    # sender has its arrivals split over its instances at random, which makes them burstier.
    balances: bool = False
    # True: it pulls its work from the queues that link to it (workers); each queue feeds
    # its pullers only what they can process.
    pulls_from_queues: bool = False
    # True: it caches reads beside the tiers that link to it (a cache). When it links to
    # no ``data_tier`` itself, its misses go to the data tiers those tiers link to, and
    # the flow is reported on their links (cache-aside).
    cache_aside: bool = False
    # True: it holds the data behind a cache (database, shard router): where a
    # ``cache_aside`` kind's misses go.
    data_tier: bool = False
    # Request classes a node of the kind may complete: it takes them (a data tier stores
    # reads and writes, a queue takes jobs). A class ending anywhere else is warned about
    # (``simulation.design_warnings``).
    completes: tuple[str, ...] = ()
    # Classes it may also complete while the design has no component that takes them:
    # a lone web tier stands for the whole application.
    answers_alone: tuple[str, ...] = ()
    # (taken, sent): a class it takes and the class it sends on for it (a queue takes jobs
    # and hands them to its workers as background work), which must reach a taker too.
    passes_on: tuple[tuple[str, str], ...] = ()
    # The per-node state lists the kind keeps (``Field``); the run's ``State`` holds one
    # list per field of every registered kind.
    state_fields: tuple[Field, ...] = ()

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @classmethod
    def check(cls, params: dict[str, Any], path: str, problems: list[Problem]) -> None:
        """Rules across parameters; ``params`` already has defaults and valid types."""

    @classmethod
    def link_rule(cls, src: dict, dst: dict) -> str | None:
        """Why a link from ``src``, a component of this kind, to ``dst`` makes no sense for
        their parameters, or None (the default). ``links_to`` already allows ``dst``'s kind;
        both are checked components, parameters with their defaults."""
        return None

    @classmethod
    def check_links(
        cls, comp: dict, links: DesignLinks, path: str, problems: list[Problem]
    ) -> None:
        """Rules on the links of ``comp``, a component of this kind at ``path``
        (``components[3]``), once every link of the design is checked. Default: none."""

    @classmethod
    def emits(cls, params: dict[str, Any]) -> tuple[str, ...]:
        """The request classes a source of this kind sends, from its checked ``params``."""
        return ()

    @classmethod
    def warmup_s(cls, p: dict) -> float:
        """Seconds a cold (flushed or recovered) node of a caching kind takes to warm up."""
        return p.get("warmup_s", WARMUP_S)

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        """Ids of linked components that receive ``request_class`` from here.

        ``targets`` maps a kind to the ids this component links to. An empty list
        means requests of that class complete here.
        """
        return [t for ids in targets.values() for t in ids]

    # --- tick hooks ---------------------------------------------------------------------
    # The engine calls these on one shared instance per kind, looked up once per node
    # when the design is compiled. ``state`` is the run's State (its per-node lists are
    # indexed by ``i``), ``i`` the node's index and ``p`` its live parameters.

    def answered(self, state: State, i: int, p: dict, k: int) -> float:
        """Share (0..1) of class ``k``'s served requests that completes here.

        The rest goes on along the node's routes. Called only for a class that has
        routes (a class without any always completes here). Default 0: nothing is
        answered on the way.
        """
        return 0.0

    def service_time_ms(self, p: dict) -> float:
        """Mean service time (ms) of one request at one server, from the live parameters ``p``.

        Default: the ``service_ms`` parameter. A kind whose work per request depends on
        other parameters (a balancer's session-affinity lookup) defines its own.
        """
        return p["service_ms"]

    def refuse(self, state: State, i: int, p: dict, arrivals: Arrivals) -> str | None:
        """Refuse arrivals before they queue (a web tier that lost their sessions); why.

        Called when ``arrivals.n`` (> 0) instances are up and something arrived; the
        hook moves the refused rate from ``arrivals.lam`` to ``arrivals.dropped`` in
        place and returns the reason shown on the node, or None when it refused
        nothing (the default).
        """
        return None

    def serve(self, state: State, i: int, p: dict, arrivals: Arrivals) -> NodeFrame | None:
        """The node's whole tick when the kind does not queue and serve like a server.

        Called after ``refuse`` (``arrivals.dropped`` already holds what reached dead
        instances). Return the node's frame after sending its output on, or None (the
        default) to let the engine queue and serve.
        """
        return None

    def send_on(self, state: State, i: int, p: dict, k: int, out: Outflow) -> float:
        """Send class ``k``'s ``out`` leaving the node on; return the rate that found no target.

        The routes ``state.model.routes[i][k]`` (not empty) each get their share through
        ``state.flow.send``. Default: ``send_evenly``, which the engine calls directly
        for kinds that keep it.
        """
        return send_evenly(state, i, k, out.rate, out.m1, out.m2, out.cd2, out.share_out)

    def weights(self, state: State, i: int, p: dict, targets: list[tuple[int, int]]) -> list[float]:
        """A router's weight for each of ``targets`` ((node, link) pairs, in route order).

        A router (``role`` "router") splits each class over its routes in proportion
        to these; a zero weight sends nothing there, and all zero drops the class.
        Default: equal weights.
        """
        return [1.0] * len(targets)

    def seen_dead(self, state: State, i: int) -> float:
        """Share (0..1) of the flow its senders send to this node that reaches dead instances.

        Computed after every event, and each tick while a failure is being detected
        for kinds that define their own (a load balancer pair fails a dead instance's
        address over in time). Default: the dead instances' share, as seen by senders
        without health checks.
        """
        return state.dead_share(i, None)[1]

    def extra(self, state: State, i: int, p: dict) -> dict:
        """The frame's kind-specific numbers (``NodeFrame.x``) after the node has served.

        Called once per computed tick, so it may advance state that moves with time
        (a cache warming up, a replica's lag); it sets ``state.unsettled`` when that
        state is still changing. Default: no extra numbers.
        """
        return {}

    def resized(self, state: State, i: int, before: int) -> None:
        """The node went from ``before`` serving instances to ``state.inst[i]``.

        Called between ticks, when a resize takes effect (scale down, or new
        instances ready). Default: nothing to do.
        """

    @classmethod
    def to_json(cls) -> dict:
        return {
            "kind": cls.kind,
            "label": cls.label,
            "group": cls.group,
            "help": cls.help,
            "role": cls.role,
            "params": [p.to_json() for p in cls.params],
            "links_to": list(cls.links_to),
        }


def overrides(kind: Kind, hook: str) -> bool:
    """True when ``kind`` defines its own ``hook`` instead of the base class's default."""
    return getattr(type(kind), hook) is not getattr(Kind, hook)


def send_evenly(state: State, i: int, k: int, rate: float, m1: float, m2: float, cd2: float,
                share_out: float) -> float:  # fmt: skip
    """Split class ``k``'s ``rate`` leaving node ``i`` evenly over its routes; 0 (none lost).

    Each route's share reaching dead instances is the one its senders see
    (``state.passive_dead``). The departures' variability (``cd2``, of which this class
    is ``share_out``) thins with the split.
    """
    targets = state.model.routes[i][k]
    split = 1.0 / len(targets)
    ca2 = split * share_out * cd2 + 1.0 - split * share_out
    send, passive_dead = state.flow.send, state.passive_dead
    for j, li in targets:
        send(j, li, k, rate * split, m1, m2, ca2, passive_dead[j])
    return 0.0


def memo(state: State, i: int) -> Any:
    """What node ``i``'s kind derived (``keep``) since the state's last change, or None.

    A value derived from the live parameters and instances holds until a control, a
    fault or any other event changes something (``state.changes`` counts them).
    """
    held = state.kind_memo[i]
    if held is not None and held[0] == state.changes:
        return held[1]
    return None


def keep(state: State, i: int, value: Any) -> Any:
    """Keep ``value`` as what node ``i``'s kind derived, until the next change; return it."""
    state.kind_memo[i] = (state.changes, value)
    return value


def check_weights_link(
    comp: dict, allowed: set[str], links: DesignLinks, path: str, problems: list[Problem]
) -> None:
    """Each key of ``comp``'s ``weights`` parameter must be one of ``allowed``."""
    problems.extend(
        Problem(
            f"{path}.params.weights.{key}",
            f"{named(comp)} does not link to "
            + (named(links.by_id[key]) if key in links.by_id else repr(key)),
        )
        for key in comp["params"]["weights"]
        if key not in allowed
    )


def pick(targets: dict[str, list[str]], *kinds: str) -> list[str]:
    """Linked ids of the first of ``kinds`` (in order of preference) that has any."""
    for kind in kinds:
        if targets.get(kind):
            return list(targets[kind])
    return []


def pick_all(targets: dict[str, list[str]], *kinds: str) -> list[str]:
    """Linked ids of all ``kinds``."""
    return [t for kind in kinds for t in targets.get(kind, ())]
