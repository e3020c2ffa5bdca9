"""Blocking calls moved off the event loop: cats fetched from threads, and a heartbeat."""

import asyncio
import threading
import time

import pytest
import requests

from examples import threads


async def expected_cats(base_url: str) -> list[bytes]:
    """The pictures the server sends for the three cats, fetched one by one off the loop."""

    def fetch_all() -> list[bytes]:
        return [requests.get(f"{base_url}/{cat}", timeout=10).content for cat in threads.CATS]

    return await asyncio.to_thread(fetch_all)


def is_png(data: bytes) -> bool:
    """Whether the bytes start with the PNG signature."""
    return data.startswith(b"\x89PNG\r\n\x1a\n")


async def test_fetch_a_cat_sync_returns_the_png(cat_server_url: str) -> None:
    """The blocking fetch, run in a thread, returns the server's PNG for that status."""
    picture = await asyncio.to_thread(threads.fetch_a_cat_sync, cat_server_url, 418)
    assert is_png(picture)


async def test_fetch_cats_threadpool_returns_each_cat_in_order(cat_server_url: str) -> None:
    """run_in_executor fetches return the three cats' pictures, in the order of CATS."""
    pictures = await threads.fetch_cats_threadpool(cat_server_url)
    assert pictures == await expected_cats(cat_server_url)
    assert len(set(pictures)) == len(threads.CATS)  # three different cats


async def test_fetch_cats_to_thread_returns_each_cat_in_order(cat_server_url: str) -> None:
    """to_thread fetches return the three cats' pictures, in the order of CATS."""
    assert await threads.fetch_cats_to_thread(cat_server_url) == await expected_cats(cat_server_url)


async def test_threadpool_fetches_overlap(cat_server_url: str) -> None:
    """The three blocking requests wait concurrently: much faster than one after the other."""
    start = time.perf_counter()
    await expected_cats(cat_server_url)  # one by one (this also has the server draw each cat once)
    sequential = time.perf_counter() - start
    start = time.perf_counter()
    await threads.fetch_cats_threadpool(cat_server_url)
    concurrent = time.perf_counter() - start
    assert concurrent < 0.6 * sequential


async def test_fetches_print_one_timing_per_cat(
    cat_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each blocking fetch prints one line naming its cat."""
    await threads.fetch_cats_to_thread(cat_server_url)
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split(":")[0].strip() for line in lines) == [
        f"cat {cat}" for cat in threads.CATS
    ]


async def test_blocking_call_stalls_the_heartbeat() -> None:
    """A blocking call on the loop leaves a heartbeat gap far longer than with to_thread."""
    nap = 0.5
    blocked = await threads.heartbeat_gaps(threads.on_the_loop, nap)
    threaded = await threads.heartbeat_gaps(threads.in_a_thread, nap)
    assert max(blocked) >= nap  # the loop could not tick during the whole call
    assert max(threaded) < 0.5 * max(blocked)  # coarse ratio: the heartbeat barely noticed
    assert len(threaded) > len(blocked)  # and it kept ticking meanwhile


async def test_in_a_thread_runs_the_call_on_another_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """in_a_thread runs the slow call off the loop's thread; on_the_loop runs it on it."""
    callers: list[int] = []
    monkeypatch.setattr(
        threads, "slow_library_call", lambda _: callers.append(threading.get_ident())
    )
    await threads.on_the_loop(0)
    await threads.in_a_thread(0)
    assert callers[0] == threading.get_ident()
    assert callers[1] != threading.get_ident()
