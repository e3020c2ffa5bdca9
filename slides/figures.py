"""The talk's hidden helpers: the cartoons, cat pictures and timelines the slides show."""

import base64
import heapq
import io
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol

import matplotlib as mpl
from IPython import get_ipython
from IPython.core.interactiveshell import ExecutionResult
from IPython.display import HTML, SVG, Image, display
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

Activity = Literal["load", "carry", "back", "watch", "wait"]

COLOURS = {
    "load": "#4C72B0",  # loading books onto the cart
    "carry": "#DD8452",  # taking them to the fire
    "back": "#8C8C8C",  # walking back to the pile
    "watch": "#F2D479",  # standing by the fire, doing nothing useful
    "wait": "#F2D479",  # queueing for the fire, doing nothing useful either
    "burn": "#C44E52",  # books on fire
    "run": "#55A868",  # a task using the CPU
    "ready": "#E5E5E5",  # a task that could run but is not running
}
SVG_SALT = "asyncio-talk"  # fixed ids in the SVGs: the same picture gives the same output

# --------------------------------------------------------------------------- showing


def svg_text(fig: Figure) -> str:
    """The figure as SVG text, the same for the same picture (no random ids, no date)."""
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": SVG_SALT}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def show(fig: Figure, format: Literal["svg", "png"] = "svg") -> None:
    """Display a figure: as SVG by default, so that it stays crisp on the projector.

    Its label (`fig.set_label`, set by each figure below) says in words what it shows: the
    image's alternative text, what a screen reader reads of the published deck.
    """
    alt = str(fig.get_label())
    if format == "svg":
        display(SVG(svg_text(fig), metadata={"alt": alt}))
        return
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    display(Image(data=buffer.getvalue(), format="png", alt=alt))


# --------------------------------------------------------------------------- gophers


class Span(NamedTuple):
    """A gopher doing one thing for a while."""

    start: float
    length: float
    activity: Activity


class Burning(NamedTuple):
    """One cartload in the fire, and which gopher (0, 1, ...) brought it."""

    start: float
    length: float
    gopher: int


@dataclass
class Schedule:
    """Who does what when: each gopher's lane, and the cartloads in the fire."""

    lanes: dict[str, list[Span]] = field(default_factory=dict)
    fire: list[Burning] = field(default_factory=list)


def burn_books(
    gophers: int,
    loads: int,
    *,
    wait_by_fire: bool,
    fire_slots: int | None = None,
    burn: float = 3,
    load: float = 1,
    carry: float = 1,
    back: float = 1,
) -> Schedule:
    """Gophers share out `loads` cartloads of books and wheel them to a fire.

    The fire holds `fire_slots` cartloads at once (default: all of them). A gopher who waits by
    the fire watches its books burn before going back; one who doesn't leaves straight away.
    Durations are made-up units: the pictures are cartoons, not measurements.
    """
    if not 0 < gophers <= loads:
        raise ValueError(f"{gophers} gophers cannot share {loads} cartloads: each needs one")
    names = [f"gopher {g + 1}" if gophers > 1 else "gopher" for g in range(gophers)]
    schedule = Schedule({name: [] for name in names})
    left = [loads // gophers + (g < loads % gophers) for g in range(gophers)]
    slots: list[float] = [0] * (fire_slots or loads)  # when each place in the fire is free again
    arrivals: list[tuple[float, int]] = []  # (when a gopher reaches the fire, which gopher)
    for g, name in enumerate(names):
        schedule.lanes[name] += [Span(0, load, "load"), Span(load, carry, "carry")]
        heapq.heappush(arrivals, (load + carry, g))
    while arrivals:
        t, g = heapq.heappop(arrivals)
        lane = schedule.lanes[names[g]]
        slot = min(range(len(slots)), key=slots.__getitem__)
        start = max(t, slots[slot])
        if start > t:
            lane.append(Span(t, start - t, "wait"))
        schedule.fire.append(Burning(start, burn, g))
        slots[slot] = start + burn
        leave = start
        if wait_by_fire:  # the synchronous gopher watches its books burn
            lane.append(Span(start, burn, "watch"))
            leave = start + burn
        left[g] -= 1
        if left[g]:
            lane += [
                Span(leave, back, "back"),
                Span(leave + back, load, "load"),
                Span(leave + back + load, carry, "carry"),
            ]
            heapq.heappush(arrivals, (leave + back + load + carry, g))
    return schedule


def all_burnt(schedule: Schedule) -> float:
    """When the last cartload has burnt."""
    return max(start + length for start, length, _ in schedule.fire)


def tidy(ax: Axes, title: str, rows: Sequence[str]) -> None:
    """Lane names on the left, a bold title, no numbers on the time axis."""
    ax.set_yticks(range(len(rows)), rows[::-1], fontsize=15)
    ax.set_ylim(-0.6, len(rows) - 0.3)
    ax.set_title(title, loc="left", fontsize=17, fontweight="bold")
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(left=False, bottom=False, labelbottom=False)


def draw_schedule(ax: Axes, title: str, schedule: Schedule) -> None:
    """Each gopher's lane, then the fire's, with a line where the last books are burnt."""
    lanes = schedule.lanes
    rows = [*lanes, "fire"]
    for row, name in enumerate(lanes):
        y = len(rows) - 1 - row
        for start, length, what in lanes[name]:
            ax.broken_barh(
                [(start, length)], (y - 0.35, 0.7), facecolor=COLOURS[what], edgecolor="white"
            )
            dark = what not in ("watch", "wait")
            ax.text(
                start + length / 2,
                y,
                what,
                ha="center",
                va="center",
                fontsize=11,
                color="white" if dark else "black",
            )
    height = 0.7 / len(lanes)  # one thin strip per gopher's books
    for start, length, g in schedule.fire:
        ax.broken_barh(
            [(start, length)],
            (-0.35 + g * height, height * 0.9),
            facecolor=COLOURS["burn"],
            edgecolor="white",
        )
    finished = all_burnt(schedule)
    ax.axvline(finished, color="black", lw=1, ls=":")
    ax.text(finished + 0.15, len(rows) - 1, "all\nburnt", va="center", fontsize=12)
    tidy(ax, title, rows)


def gopher_timelines(panels: Mapping[str, Schedule]) -> Figure:
    """One panel per title and schedule, stacked on a shared time axis, with one legend."""
    heights = [len(schedule.lanes) + 1 for schedule in panels.values()]
    fig = Figure(figsize=(12, 1.2 + 0.6 * sum(heights) + 0.4 * len(panels)))
    axes = fig.subplots(
        len(panels), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights}
    )[:, 0]
    for ax, (title, schedule) in zip(axes, panels.items(), strict=True):
        draw_schedule(ax, title, schedule)
    axes[-1].set_xlim(0, max(map(all_burnt, panels.values())) + 1.2)
    axes[-1].set_xlabel("time →", fontsize=15)
    legend = [Patch(color=COLOURS[k], label=k) for k in ("load", "carry", "back", "burn")]
    legend.append(Patch(color=COLOURS["wait"], label="watch / wait: idle at the fire"))
    fig.legend(handles=legend, loc="lower center", ncol=5, frameon=False, fontsize=14)
    fig.subplots_adjust(hspace=0.7, bottom=0.16)
    finished = [f"{title}: all burnt at {all_burnt(s):g}" for title, s in panels.items()]
    fig.set_label("Timelines of gophers carting books to the fire. " + "; ".join(finished) + ".")
    return fig


# --------------------------------------------------------------------------- multitasking

Runs = dict[str, list[tuple[float, float]]]  # task -> (start, length) of each turn on the CPU

PREEMPTIVE: Runs = {  # round robin, one time slice each, whatever the task is doing
    "task A": [(0, 1), (3, 1), (5, 1), (7, 1)],
    "task B": [(1, 1), (4, 1)],
    "task C": [(2, 1), (6, 1), (8, 1)],
}
COOPERATIVE: Runs = {  # each runs until it reaches a yield; C takes its time
    "task A": [(0, 2), (7, 2)],
    "task B": [(2, 1), (9, 1)],
    "task C": [(3, 4)],
}
YIELDS = {"task A": [2], "task B": [3], "task C": [7]}  # where each cooperative task hands over


def multitasking(kind: Literal["preemptive", "cooperative"]) -> Figure:
    """Three tasks sharing one CPU: preempted on a timer, or each running until it yields."""
    if kind == "preemptive":
        plan, title = PREEMPTIVE, "Preemptive: a timer interrupts whoever is running"
    else:
        plan, title = COOPERATIVE, "Cooperative: each task runs until it yields"
    fig = Figure(figsize=(10, 3.2))
    turns = [f"{name} runs in {len(runs)} turns" for name, runs in plan.items()]
    fig.set_label(f"{title}: three tasks share one CPU; " + ", ".join(turns) + ".")
    ax: Axes = fig.subplots()
    end = max(s + n for runs in plan.values() for s, n in runs)
    for row, (name, runs) in enumerate(plan.items()):
        y = len(plan) - 1 - row
        ax.broken_barh([(0, runs[-1][0] + runs[-1][1])], (y - 0.3, 0.6), facecolor=COLOURS["ready"])
        ax.broken_barh(runs, (y - 0.3, 0.6), facecolor=COLOURS["run"], edgecolor="white")
        if kind == "cooperative":
            for t in YIELDS[name]:
                ax.annotate(
                    "yield",
                    (t, y + 0.3),
                    xytext=(t, y + 0.55),
                    ha="center",
                    va="bottom",
                    fontsize=13,
                    arrowprops={"arrowstyle": "->"},
                )
    handles: list[Patch | Line2D] = [
        Patch(color=COLOURS["run"], label="running"),
        Patch(color=COLOURS["ready"], label="ready, but not running"),
    ]
    if kind == "preemptive":
        for t in range(1, int(end)):
            ax.axvline(t, color=COLOURS["burn"], lw=1, ls="--")
        handles.append(Line2D([], [], color=COLOURS["burn"], ls="--", label="timer interrupt"))
    else:
        ax.text(5, 0, "C hogs the CPU", ha="center", va="center", fontsize=14, color="white")
    tidy(ax, title, list(plan))
    ax.set_ylim(-0.6, len(plan))
    ax.set_xlim(0, end + 0.2)
    ax.set_xlabel("time →", fontsize=15)
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=14)
    fig.subplots_adjust(bottom=0.36)
    return fig


# --------------------------------------------------------------------------- cats


class TimedCat(Protocol):
    """A cat picture with the timings of its request, as the tasks section's `Cat` has them."""

    @property
    def status(self) -> int: ...
    @property
    def image(self) -> bytes: ...
    @property
    def started(self) -> float: ...
    @property
    def finished(self) -> float: ...
    @property
    def seconds(self) -> float: ...


def png_data_url(picture: bytes) -> str:
    """A PNG inlined as a data: URL, so that the deck needs no picture files."""
    return f"data:image/png;base64,{base64.b64encode(picture).decode()}"


def cat_html(cat: bytes | TimedCat) -> str:
    """One picture; a timed cat is captioned with its status and how long its request took."""
    if isinstance(cat, bytes):
        picture = png_data_url(cat)
        return f'<img alt="a cat picture" src="{picture}" width="160" style="margin: 0 1em">'
    return (
        '<figure style="margin: 0 1em; text-align: center">'
        f'<img alt="the cat of HTTP status {cat.status}" width="140" '
        f'src="{png_data_url(cat.image)}">'
        f"<figcaption>{cat.status}: {cat.seconds:.2f} s</figcaption></figure>"
    )


def cats_html(cats: Iterable[bytes | TimedCat]) -> str:
    """The pictures side by side, centred."""
    pictures = "".join(map(cat_html, cats))
    return f'<div style="display: flex; justify-content: center">{pictures}</div>'


def show_cats(cats: Iterable[bytes | TimedCat]) -> None:
    """Display the pictures (bare PNGs, or timed cats with captions) side by side."""
    display(HTML(cats_html(cats)))


DEMO_CALL = re.compile(r"^\s*cats = await (\w+)\(", re.MULTILINE)  # in an `async with`, too


def keep_demo_timings(
    runs: dict[str, tuple[float, Sequence[TimedCat]]], rows: Mapping[str, str]
) -> None:
    """After every cell that runs a demo (`cats = await fetch_cats_...(`), file its timings.

    `rows` maps each demo's fetcher to its row in the timeline; the cell's `start` and `cats`
    go into `runs` under that row. Whether the cell ran at build time or was re-run on stage
    by `build.py present`, the timeline drawn afterwards shows the latest run of each demo.
    """
    shell = get_ipython()
    assert shell is not None, "keep_demo_timings runs in a kernel, where cells run"

    def keep(result: ExecutionResult) -> None:
        called = DEMO_CALL.search((result.info and result.info.raw_cell) or "")
        if result.success and called and called[1] in rows:
            runs[rows[called[1]]] = (shell.user_ns["start"], shell.user_ns["cats"])

    shell.events.register("post_run_cell", keep)


def requests_timeline(runs: Mapping[str, tuple[float, Sequence[TimedCat]]]) -> Figure:
    """One bar per request, from when it started to when its picture was read, per strategy.

    `runs` maps each strategy to when its parent started and the cats it fetched.
    """
    fig = Figure(figsize=(10, 5.5))
    ax: Axes = fig.subplots()
    labels = []
    for row, (name, (start, cats)) in enumerate(runs.items()):
        for lane, cat in enumerate(cats):
            y = -(row * (len(cats) + 1.5) + lane)
            ax.broken_barh(
                [(cat.started - start, cat.seconds)],
                (y - 0.4, 0.8),
                facecolor=f"C{row}",
                edgecolor="white",
            )
            ax.text(
                cat.started - start + cat.seconds / 2,
                y,
                str(cat.status),
                ha="center",
                va="center",
                color="white",
                fontsize=12,
                fontweight="bold",
            )
        total = max(cat.finished for cat in cats) - start
        middle = -(row * (len(cats) + 1.5) + (len(cats) - 1) / 2)
        ax.text(total + 0.05, middle, f"{total:.2f} s", va="center", fontsize=15)
        labels.append((middle, name))
    ax.set_yticks([y for y, _ in labels], [name for _, name in labels], fontsize=15)
    ax.tick_params(left=False, labelsize=14)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.set_xlabel("seconds since the parent started", fontsize=15)
    longest = max(max(cat.finished for cat in cats) - start for start, cats in runs.values())
    ax.set_xlim(0, longest + 0.45)
    totals = [
        f"{name}: {len(cats)} requests, done after {max(c.finished for c in cats) - start:.2f} s"
        for name, (start, cats) in runs.items()
    ]
    fig.set_label("One bar per request, from its start to its picture. " + "; ".join(totals) + ".")
    return fig


# --------------------------------------------------------------------------- heartbeat


def tick_times(gaps: Iterable[float]) -> list[float]:
    """When each tick happened, from the gaps before each one."""
    return list(itertools.accumulate(gaps))


def heartbeat_figure(runs: Iterable[tuple[str, Sequence[float], str]]) -> Figure:
    """Each heartbeat's ticks over time, as stems as tall as the gap before them.

    `runs` holds (label, gaps between ticks, matplotlib colour) per heartbeat.
    """
    runs = list(runs)  # drawn, then described
    fig = Figure(figsize=(10, 4))
    ax: Axes = fig.subplots()
    for label, gaps, color in runs:
        ticks = tick_times(gaps)
        ax.vlines(ticks, 0, gaps, color=color, label=label)
        ax.plot(ticks, gaps, "o", color=color)
    ax.set_xlabel("time since the heartbeat started (s)")
    ax.set_ylabel("gap before this tick (s)")
    ax.legend()
    gaps_said = [f"{label}: longest gap {max(gaps):.2f} s" for label, gaps, _ in runs]
    fig.set_label("Each heartbeat's ticks, as tall as the gap before them. " + "; ".join(gaps_said))
    return fig
