"""Blocking calls moved off the event loop: cats fetched from threads, and a heartbeat."""

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from examples import threads
from examples.cat_server import serving_in_thread

SLOW_LATENCY = 0.5  # seconds: a stall ten heartbeats long, unmistakable even on a busy machine


@pytest.fixture
def slow_cat_server_url(drawn_pictures: None) -> Iterator[str]:
    """Base URL of a cat server on its own thread, answering after SLOW_LATENCY."""
    with serving_in_thread(latency=SLOW_LATENCY) as url:
        yield url


async def expected_cats(base_url: str) -> list[bytes]:
    """The pictures the server sends for the three cats, fetched one by one off the loop."""

    def fetch_all() -> list[bytes]:
        return [requests.get(f"{base_url}/{cat}", timeout=10).content for cat in threads.CATS]

    return await asyncio.to_thread(fetch_all)


def is_png(data: bytes) -> bool:
    """Whether the bytes start with the PNG signature."""
    return data.startswith(b"\x89PNG\r\n\x1a\n")


async def test_fetch_a_cat_sync_returns_the_png(threaded_cat_server_url: str) -> None:
    """The blocking fetch, run in a thread, returns the server's PNG for that status."""
    picture = await asyncio.to_thread(threads.fetch_a_cat_sync, threaded_cat_server_url, 418)
    assert is_png(picture)


async def test_fetch_cats_threadpool_returns_each_cat_in_order(
    threaded_cat_server_url: str,
) -> None:
    """run_in_executor fetches return the three cats' pictures, in the order of CATS."""
    pictures = await threads.fetch_cats_threadpool(threaded_cat_server_url)
    assert pictures == await expected_cats(threaded_cat_server_url)
    assert len(set(pictures)) == len(threads.CATS)  # three different cats


async def test_fetch_cats_to_thread_returns_each_cat_in_order(threaded_cat_server_url: str) -> None:
    """to_thread fetches return the three cats' pictures, in the order of CATS."""
    pictures = await threads.fetch_cats_to_thread(threaded_cat_server_url)
    assert pictures == await expected_cats(threaded_cat_server_url)


async def test_threadpool_fetches_overlap(threaded_cat_server_url: str) -> None:
    """The three blocking requests wait concurrently: much faster than one after the other."""
    start = time.perf_counter()
    await expected_cats(threaded_cat_server_url)  # one request after the other
    sequential = time.perf_counter() - start
    start = time.perf_counter()
    await threads.fetch_cats_threadpool(threaded_cat_server_url)
    concurrent = time.perf_counter() - start
    assert concurrent < 0.6 * sequential


async def test_fetches_print_one_timing_per_cat(
    threaded_cat_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each blocking fetch prints one line naming its cat."""
    await threads.fetch_cats_to_thread(threaded_cat_server_url)
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split(":")[0].strip() for line in lines) == [
        f"cat {cat}" for cat in threads.CATS
    ]


async def test_blocking_call_stalls_the_heartbeat(slow_cat_server_url: str) -> None:
    """A blocking request on the loop leaves a heartbeat gap far longer than with to_thread."""
    blocked = await threads.heartbeat_gaps(threads.cat_on_the_loop(slow_cat_server_url))
    threaded = await threads.heartbeat_gaps(threads.cat_in_a_thread(slow_cat_server_url))
    assert max(blocked) >= SLOW_LATENCY  # the loop could not tick during the whole request
    assert max(threaded) < 0.5 * max(blocked)  # coarse ratio: the heartbeat barely noticed
    assert len(threaded) > len(blocked)  # it kept ticking meanwhile


async def test_cat_on_the_loop_blocks_the_loop_thread(
    threaded_cat_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cat_on_the_loop fetches on the loop's own thread; cat_in_a_thread on another one."""
    callers: list[int] = []
    real_fetch = threads.fetch_a_cat_sync

    def spy(base_url: str, number: int) -> bytes:
        callers.append(threading.get_ident())
        return real_fetch(base_url, number)

    monkeypatch.setattr(threads, "fetch_a_cat_sync", spy)
    on_loop = await threads.cat_on_the_loop(threaded_cat_server_url)
    in_thread = await threads.cat_in_a_thread(threaded_cat_server_url)
    assert is_png(on_loop)
    assert on_loop == in_thread
    assert callers[0] == threading.get_ident()
    assert callers[1] != threading.get_ident()
