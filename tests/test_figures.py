"""Tests for slides/figures.py, the helpers that draw the talk's pictures."""

import base64
import itertools
from typing import Any, Literal

import pytest
from bs4 import BeautifulSoup
from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure

import figures
from examples.cats import Cat
from figures import (
    COOPERATIVE,
    PREEMPTIVE,
    YIELDS,
    Runs,
    Schedule,
    all_burnt,
    burn_books,
    cats_html,
    gopher_timelines,
    heartbeat_figure,
    multitasking,
    requests_timeline,
    show,
    svg_text,
    tick_times,
)

# (gophers, loads, fire_slots): a fire with room for every cartload, and stoves that make queues
CROWDS = [(1, 4, None), (2, 4, None), (2, 3, 1), (2, 5, 1), (3, 8, 2), (4, 9, 1)]


def activities(schedule: Schedule, lane: str) -> list[str]:
    return [span.activity for span in schedule.lanes[lane]]


def most_in_the_fire(schedule: Schedule) -> int:
    """The largest number of cartloads burning at the same moment."""
    events = sorted(
        (time, change)
        for start, length, _ in schedule.fire
        for time, change in ((start, 1), (start + length, -1))
    )  # at a tie the cartload that has burnt out (-1) goes first: it makes room
    return max(itertools.accumulate(change for _, change in events))


def test_one_gopher_who_waits_by_the_fire_watches_every_cartload() -> None:
    """Synchronous: load, carry, watch it burn, go back; the last trip ends at the fire."""
    schedule = burn_books(1, 3, wait_by_fire=True)
    assert activities(schedule, "gopher") == ["load", "carry", "watch", "back"] * 2 + [
        "load",
        "carry",
        "watch",
    ]


def test_one_gopher_who_leaves_the_fire_goes_straight_back() -> None:
    """Asynchronous: load, carry, back, ... with no time spent at the fire."""
    schedule = burn_books(1, 4, wait_by_fire=False)
    assert activities(schedule, "gopher") == ["load", "carry", "back"] * 3 + ["load", "carry"]


def test_lanes_are_named_gopher_or_numbered() -> None:
    """A lone gopher's lane is "gopher"; with friends they are "gopher 1", "gopher 2", ..."""
    assert list(burn_books(1, 2, wait_by_fire=False).lanes) == ["gopher"]
    assert list(burn_books(3, 3, wait_by_fire=False).lanes) == ["gopher 1", "gopher 2", "gopher 3"]


@pytest.mark.parametrize(("gophers", "loads", "fire_slots"), CROWDS)
@pytest.mark.parametrize("wait_by_fire", [True, False])
def test_a_gopher_is_busy_or_waiting_until_its_last_cartload(
    gophers: int, loads: int, fire_slots: int | None, wait_by_fire: bool
) -> None:
    """Each span of a lane starts where the one before it ended, from time 0."""
    schedule = burn_books(gophers, loads, wait_by_fire=wait_by_fire, fire_slots=fire_slots)
    for spans in schedule.lanes.values():
        assert spans[0].start == 0
        for before, after in itertools.pairwise(spans):
            assert after.start == before.start + before.length


@pytest.mark.parametrize(("gophers", "loads", "fire_slots"), CROWDS)
@pytest.mark.parametrize("wait_by_fire", [True, False])
def test_every_cartload_is_burnt_once_and_shared_out_evenly(
    gophers: int, loads: int, fire_slots: int | None, wait_by_fire: bool
) -> None:
    """The fire gets `loads` cartloads; no gopher carries two more than another."""
    schedule = burn_books(gophers, loads, wait_by_fire=wait_by_fire, fire_slots=fire_slots)
    assert len(schedule.fire) == loads
    per_gopher = [sum(b.gopher == g for b in schedule.fire) for g in range(gophers)]
    assert max(per_gopher) - min(per_gopher) <= 1


@pytest.mark.parametrize(("gophers", "loads", "fire_slots"), CROWDS)
@pytest.mark.parametrize("wait_by_fire", [True, False])
def test_a_cartload_burns_once_its_gopher_has_brought_it(
    gophers: int, loads: int, fire_slots: int | None, wait_by_fire: bool
) -> None:
    """Each cartload goes in the fire as its gopher's carry, or wait for room, ends."""
    schedule = burn_books(gophers, loads, wait_by_fire=wait_by_fire, fire_slots=fire_slots)
    lanes = list(schedule.lanes.values())
    for start, _, g in schedule.fire:
        arrived = [s for s in lanes[g] if s.start + s.length == start]
        assert [s.activity for s in arrived if s.activity in ("carry", "wait")] != []


@pytest.mark.parametrize(("gophers", "loads", "fire_slots"), CROWDS)
def test_the_fire_never_holds_more_than_its_slots(
    gophers: int, loads: int, fire_slots: int | None
) -> None:
    """At no moment do more cartloads burn than the fire has room for."""
    schedule = burn_books(gophers, loads, wait_by_fire=False, fire_slots=fire_slots)
    assert most_in_the_fire(schedule) <= (fire_slots or loads)


def test_a_full_stove_makes_gophers_wait() -> None:
    """Two gophers and a one-cartload stove: the second queues, and the burns never overlap."""
    schedule = burn_books(2, 2, wait_by_fire=False, fire_slots=1, burn=4)
    assert activities(schedule, "gopher 1") == ["load", "carry"]
    assert activities(schedule, "gopher 2") == ["load", "carry", "wait"]
    assert schedule.lanes["gopher 2"][-1].length == 4  # as long as the first cartload burns
    assert most_in_the_fire(schedule) == 1


def test_a_gopher_who_waits_by_the_fire_watches_its_own_cartloads() -> None:
    """Each "watch" span is exactly one of that gopher's cartloads burning."""
    schedule = burn_books(2, 5, wait_by_fire=True, fire_slots=1)
    for g, spans in enumerate(schedule.lanes.values()):
        watched = [(s.start, s.length) for s in spans if s.activity == "watch"]
        assert watched == [(b.start, b.length) for b in schedule.fire if b.gopher == g]


def test_a_gopher_who_leaves_never_watches() -> None:
    """Without wait_by_fire no lane has a "watch" span."""
    schedule = burn_books(2, 5, wait_by_fire=False, fire_slots=1)
    assert all(s.activity != "watch" for spans in schedule.lanes.values() for s in spans)


def test_concurrency_and_parallelism_finish_sooner() -> None:
    """Leaving the fire beats watching it; a second gopher beats leaving it."""
    watching = all_burnt(burn_books(1, 4, wait_by_fire=True))
    leaving = all_burnt(burn_books(1, 4, wait_by_fire=False))
    helped = all_burnt(burn_books(2, 4, wait_by_fire=False))
    assert helped < leaving < watching


@pytest.mark.parametrize(("gophers", "loads"), [(0, 3), (3, 2)])
def test_each_gopher_needs_a_cartload(gophers: int, loads: int) -> None:
    """No gophers, or more gophers than cartloads, is refused."""
    with pytest.raises(ValueError, match="each needs one"):
        burn_books(gophers, loads, wait_by_fire=False)


def test_gopher_timelines_draws_one_titled_panel_per_schedule() -> None:
    """Each schedule gets its own panel, in order, with a lane per gopher and one for the fire."""
    panels = {
        "alone": burn_books(1, 2, wait_by_fire=True),
        "with a friend": burn_books(2, 2, wait_by_fire=False),
    }
    axes = gopher_timelines(panels).axes
    assert [ax.get_title(loc="left") for ax in axes] == ["alone", "with a friend"]
    assert [[t.get_text() for t in ax.get_yticklabels()] for ax in axes] == [
        ["fire", "gopher"],
        ["fire", "gopher 2", "gopher 1"],
    ]


@pytest.mark.parametrize("plan", [PREEMPTIVE, COOPERATIVE], ids=["preemptive", "cooperative"])
def test_the_cpu_runs_one_task_at_a_time_and_is_never_idle(plan: Runs) -> None:
    """The tasks' turns, taken together, tile the time line without overlaps or gaps."""
    turns = sorted(turn for runs in plan.values() for turn in runs)
    assert turns[0][0] == 0
    for (start, length), (next_start, _) in itertools.pairwise(turns):
        assert next_start == start + length


def test_preemptive_turns_are_single_time_slices() -> None:
    """The timer interrupts every task after one unit, whatever it is doing."""
    assert {length for runs in PREEMPTIVE.values() for _, length in runs} == {1}


def test_cooperative_tasks_hand_over_only_where_they_yield() -> None:
    """Every drawn yield is the end of one of that task's turns."""
    for name, times in YIELDS.items():
        ends = {start + length for start, length in COOPERATIVE[name]}
        assert set(times) <= ends


def test_svg_text_is_the_same_for_the_same_picture() -> None:
    """Fixed ids and no date: drawing the same cartoon twice gives the same SVG."""
    first, second = svg_text(multitasking("cooperative")), svg_text(multitasking("cooperative"))
    assert first == second
    assert "<svg" in first
    assert "<dc:date>" not in first


def cat(status: int, started: float, seconds: float) -> Cat:
    return Cat(status, f"picture {status}".encode(), started, started + seconds)


def test_timed_cats_are_captioned_with_status_and_seconds() -> None:
    """A timed cat's caption is its status and its request's duration to the hundredth."""
    soup = BeautifulSoup(cats_html([cat(200, 1.0, 0.5), cat(418, 1.0, 0.517)]), "html.parser")
    assert [c.get_text() for c in soup.find_all("figcaption")] == ["200: 0.50 s", "418: 0.52 s"]


def test_bare_pictures_have_no_caption() -> None:
    """Pictures without timings are shown as they are."""
    soup = BeautifulSoup(cats_html([b"one", b"two"]), "html.parser")
    assert len(soup.find_all("img")) == 2
    assert soup.find_all("figcaption") == []


@pytest.mark.parametrize("timed", [True, False])
def test_pictures_are_inlined_in_order(timed: bool) -> None:
    """Each <img> carries its own picture as a PNG data: URL, in the order given."""
    cats = [cat(status, 0, 0.5) for status in (500, 200, 418)]
    pictures = [c.image for c in cats]
    soup = BeautifulSoup(cats_html(cats if timed else pictures), "html.parser")
    sources = [str(img["src"]) for img in soup.find_all("img")]
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    assert [base64.b64decode(src.partition(",")[2]) for src in sources] == pictures


def test_requests_timeline_draws_one_bar_per_request() -> None:
    """A bar per cat, a label per strategy, and each strategy's total written by its bars."""
    runs = {
        "one by one": (10.0, [cat(200, 10.0, 0.5), cat(418, 10.5, 0.5)]),
        "gather": (20.0, [cat(200, 20.0, 0.5), cat(418, 20.01, 0.5)]),
    }
    (ax,) = requests_timeline(runs).axes
    assert len(ax.collections) == 4
    assert [t.get_text() for t in ax.get_yticklabels()] == ["one by one", "gather"]
    texts = {t.get_text() for t in ax.texts}
    assert {"1.00 s", "0.51 s"} <= texts


def test_ticks_happen_at_the_running_sum_of_the_gaps() -> None:
    """A tick happens the gap before it after the tick before it."""
    assert tick_times([0.5, 0.25, 1.0]) == [0.5, 0.75, 1.75]
    assert tick_times([]) == []


def words(fig: Figure) -> str:
    return str(fig.get_label())


def test_each_figure_says_in_words_what_it_shows() -> None:
    """A figure's label is its alternative text: it names what is drawn and the measured values."""
    one, two = burn_books(1, 4, wait_by_fire=True), burn_books(2, 4, wait_by_fire=True)
    gophers = words(gopher_timelines({"One gopher": one, "Two gophers": two}))
    assert gophers.startswith("Timelines of gophers")
    assert f"One gopher: all burnt at {all_burnt(one):g}; Two gophers: " in gophers
    assert "three tasks share one CPU" in words(multitasking("preemptive"))
    assert "task C runs in 1 turns" in words(multitasking("cooperative"))
    runs = {"gather": (20.0, [cat(200, 20.0, 0.5), cat(418, 20.01, 0.5)])}
    assert "gather: 2 requests, done after 0.51 s" in words(requests_timeline(runs))
    beats = heartbeat_figure(iter([("blocked", [0.1, 1.5], "C3"), ("free", [0.1, 0.1], "C0")]))
    assert words(beats).endswith("blocked: longest gap 1.50 s; free: longest gap 0.10 s")
    assert len(beats.axes[0].collections) == 2  # a generator of runs is drawn, then described


@pytest.mark.parametrize("format", ["svg", "png"])
def test_show_gives_the_image_its_figures_words(
    format: Literal["svg", "png"], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[dict[str, Any], dict[str, Any]]] = []
    formatter = DisplayFormatter()  # what IPython sends of an object: (data, metadata)
    monkeypatch.setattr(figures, "display", lambda obj: shown.append(formatter.format(obj)))  # type: ignore[no-untyped-call]
    show(multitasking("preemptive"), format=format)
    ((data, metadata),) = shown
    mime = "image/svg+xml" if format == "svg" else "image/png"
    assert mime in data
    assert metadata[mime]["alt"] == words(multitasking("preemptive"))
