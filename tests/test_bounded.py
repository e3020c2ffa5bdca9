"""Tests for examples.bounded: 1,000 cats without 1,000 connections, counted on the cat server."""

import functools
import resource

import aiohttp
import pytest

from examples import bounded


@pytest.mark.parametrize(
    "fetch",
    [
        functools.partial(bounded.fetch_bounded, limit=3),
        functools.partial(bounded.fetch_with_workers, workers=3),
    ],
    ids=["semaphore", "workers"],
)
async def test_bounded_fetches_return_each_status_in_url_order(
    fetch: bounded.Fetch, cat_server_url: str
) -> None:
    """Known codes answer 200 and unknown ones 404, each in the place of its URL."""
    urls = [f"{cat_server_url}/{code}" for code in (200, 999, 418, 7, 500, 404, 201)]
    async with aiohttp.ClientSession() as session:
        assert await fetch(session, urls) == [200, 404, 200, 404, 200, 200, 200]


@pytest.mark.parametrize(
    "fetch",
    [
        functools.partial(bounded.fetch_bounded, limit=5),
        functools.partial(bounded.fetch_with_workers, workers=5),
    ],
    ids=["semaphore", "workers"],
)
async def test_bounded_fetches_open_at_most_limit_connections(
    fetch: bounded.Fetch, drawn_pictures: None
) -> None:
    """60 cats through a limit of 5 reach the server on at most 5 connections."""
    cats, connections, _ = await bounded.measure(fetch, 60, latency=0.02)
    assert cats == 60
    assert 1 <= connections <= 5


async def test_all_at_once_opens_a_connection_per_cat(drawn_pictures: None) -> None:
    """60 cats started together, each answered after 1 s, need 60 connections."""
    # 1 s: far longer than starting 60 requests takes, even on a busy machine
    cats, connections, _ = await bounded.measure(bounded.fetch_all_at_once, 60, latency=1.0)
    assert (cats, connections) == (60, 60)


async def test_a_failed_request_reaches_the_caller(unreachable: str) -> None:
    """A connection refused fails the fetch: the TaskGroup raises it in an ExceptionGroup."""
    async with aiohttp.ClientSession() as session:
        with pytest.RaisesGroup(aiohttp.ClientConnectionError):
            await bounded.fetch_bounded(session, [f"http://{unreachable}/200"], limit=2)


def test_allow_open_files_raises_the_soft_limit_never_lowers_it() -> None:
    """The soft limit on open files grows to what is asked; asking for less changes nothing."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = soft - 100  # lowering is always allowed, and going back up to `soft` too
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        bounded.allow_open_files(lowered + 50)
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (lowered + 50, hard)
        bounded.allow_open_files(lowered)
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (lowered + 50, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_main_prints_what_the_server_saw_for_each_way(
    drawn_pictures: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """main prints one line per strategy: cats fetched and connections counted."""
    await bounded.main(count=30, latency=0.01)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0].strip() for line in lines] == list(bounded.STRATEGIES)
    assert all("30 cats" in line for line in lines)
