"""Tests for examples.cats: fetching cats one by one, with tasks, gather and a TaskGroup."""

import itertools
import time
from collections.abc import AsyncIterator
from http import HTTPStatus

import aiohttp
import pytest

from examples import cats
from examples.cat_server import status_cat_png

CONCURRENT = ["create_task", "gather", "TaskGroup"]  # names in cats.STRATEGIES
ONE_AT_A_TIME = ["one by one", "coroutines awaited in turn"]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """One client session per test, closed at the end."""
    async with aiohttp.ClientSession() as session:
        yield session


async def timed(name: str, session: aiohttp.ClientSession, url: str) -> float:
    """Seconds that strategy `name` takes to fetch the usual cats."""
    start = time.perf_counter()
    await cats.STRATEGIES[name](session, url)
    return time.perf_counter() - start


async def test_fetch_a_cat_returns_the_picture_for_its_status(
    session: aiohttp.ClientSession, cat_server_url: str
) -> None:
    """fetch_a_cat returns the server's PNG for that status, timed from start to finish."""
    cat = await cats.fetch_a_cat(session, cat_server_url, 418)
    assert cat.status == 418
    assert cat.image == status_cat_png(HTTPStatus.IM_A_TEAPOT)
    assert cat.finished > cat.started
    assert cat.seconds == cat.finished - cat.started


async def test_fetch_a_cat_rejects_a_code_that_is_not_a_status(
    session: aiohttp.ClientSession, cat_server_url: str
) -> None:
    """Asking for status 999 raises ValueError before any request is made."""
    with pytest.raises(ValueError, match="999"):
        await cats.fetch_a_cat(session, cat_server_url, 999)


@pytest.mark.parametrize("name", list(cats.STRATEGIES))
async def test_every_strategy_returns_the_right_cats_in_order(
    name: str, session: aiohttp.ClientSession, cat_server_url: str
) -> None:
    """Each strategy returns the pictures for 200, 418 and 500, in that order."""
    result = await cats.STRATEGIES[name](session, cat_server_url)
    assert [cat.status for cat in result] == list(cats.CATS)
    assert [cat.image for cat in result] == [status_cat_png(HTTPStatus(s)) for s in cats.CATS]


@pytest.mark.parametrize("name", ONE_AT_A_TIME)
async def test_one_at_a_time_strategies_start_each_request_after_the_last(
    name: str, session: aiohttp.ClientSession, cat_server_url: str
) -> None:
    """Sequential and awaited-in-turn never have two requests in flight."""
    result = await cats.STRATEGIES[name](session, cat_server_url)
    for before, after in itertools.pairwise(result):
        assert after.started >= before.finished


@pytest.mark.parametrize("name", CONCURRENT)
async def test_concurrent_strategies_start_every_request_before_any_ends(
    name: str, session: aiohttp.ClientSession, cat_server_url: str
) -> None:
    """With tasks, gather or a TaskGroup, all three requests are in flight together."""
    result = await cats.STRATEGIES[name](session, cat_server_url)
    assert max(cat.started for cat in result) < min(cat.finished for cat in result)


@pytest.mark.parametrize("name", CONCURRENT)
async def test_concurrent_strategies_take_under_half_the_sequential_time(
    name: str, session: aiohttp.ClientSession, cat_server_url: str
) -> None:
    """Three concurrent requests take about one latency; one by one takes about three."""
    sequential = await timed("one by one", session, cat_server_url)
    concurrent = await timed(name, session, cat_server_url)
    assert concurrent < 0.5 * sequential


async def test_awaiting_coroutines_in_turn_is_no_faster_than_sequential(
    session: aiohttp.ClientSession, cat_server_url: str
) -> None:
    """Creating the coroutines up front does not start them: it takes over half the time."""
    sequential = await timed("one by one", session, cat_server_url)
    awaited_in_turn = await timed("coroutines awaited in turn", session, cat_server_url)
    assert awaited_in_turn > 0.5 * sequential


async def test_coroutines_start_only_when_awaited(
    session: aiohttp.ClientSession, cat_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """No cat is requested before the parent starts awaiting the coroutines."""
    await cats.fetch_cats_awaited_in_turn(session, cat_server_url)
    out = capsys.readouterr().out
    assert out.index("parent: awaiting them in turn") < out.index("requesting")


async def test_taskgroup_cancels_the_siblings_of_a_failed_task(
    session: aiohttp.ClientSession, cat_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad status fails its task; the group cancels the other requests and raises a group."""
    with pytest.RaisesGroup(pytest.RaisesExc(ValueError, match="999")):
        await cats.fetch_cats_taskgroup(session, cat_server_url, statuses=(200, 418, 999))
    out = capsys.readouterr().out
    assert "cat 200: cancelled!" in out
    assert "cat 418: cancelled!" in out
    assert "got" not in out
    assert "parent: all done!" not in out


async def test_timeout_raises_the_builtin_timeout_error(
    session: aiohttp.ClientSession, cat_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A timeout shorter than the latency raises TimeoutError and cancels every request."""
    with pytest.raises(TimeoutError):
        await cats.fetch_with_timeout(session, cat_server_url, seconds=0.05)
    out = capsys.readouterr().out
    assert all(f"cat {status}: cancelled!" in out for status in cats.CATS)


async def test_generous_timeout_returns_all_the_cats(
    session: aiohttp.ClientSession, cat_server_url: str
) -> None:
    """With time to spare, fetch_with_timeout returns the three cats."""
    result = await cats.fetch_with_timeout(session, cat_server_url, seconds=30)
    assert [cat.status for cat in result] == list(cats.CATS)


async def test_main_times_every_strategy(
    drawn_pictures: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """main runs each strategy against its own server and prints one total per strategy."""
    totals = await cats.main(latency=0.05)
    assert list(totals) == list(cats.STRATEGIES)
    out = capsys.readouterr().out
    assert all(f"{name}: " in out for name in cats.STRATEGIES)
