"""Futures from threads and from asyncio, and the bridges between them."""

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from examples import futures_bridge
from examples.futures_bridge import FutureInterface

INTERFACE = sorted(name for name in vars(FutureInterface) if not name.startswith("_"))


def test_concurrent_future_satisfies_the_interface() -> None:
    """concurrent.futures.Future has every method of the typed listing (mypy checks the types)."""
    future: FutureInterface[int] = Future[int]()
    assert len(INTERFACE) == 10
    assert all(callable(getattr(future, name, None)) for name in INTERFACE)


async def test_asyncio_future_lacks_the_thread_side_methods() -> None:
    """asyncio.Future is a different class: no running() and no set_running_or_notify_cancel()."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    missing = [name for name in INTERFACE if not hasattr(future, name)]
    assert missing == ["running", "set_running_or_notify_cancel"]


def test_add_up_sums_below_n() -> None:
    """add_up(n) is the sum of 0..n-1."""
    assert futures_bridge.add_up(5) == 10


def test_consumer_gets_the_producer_result(capsys: pytest.CaptureFixture[str]) -> None:
    """The consumer blocks until the producer thread sets the result, then returns it."""
    assert futures_bridge.consumer(100) == 4950
    out = capsys.readouterr().out
    assert "consumer: got 4950" in out
    assert "callback: done, cancelled=False" in out


def test_producer_skips_a_cancelled_future(capsys: pytest.CaptureFixture[str]) -> None:
    """A future cancelled before the producer starts is left cancelled, and no work is done."""
    future: Future[int] = Future()
    assert future.cancel()
    futures_bridge.producer(future, 100)
    assert future.cancelled()
    assert "producer" not in capsys.readouterr().out


async def test_wait_for_asyncio_future_returns_meow(capsys: pytest.CaptureFixture[str]) -> None:
    """The awaited asyncio.Future is filled in later by the loop, and awaiting returns it."""
    assert await futures_bridge.wait_for_asyncio_future() == "meow"
    assert capsys.readouterr().out.splitlines() == [
        "parent: awaiting the future...",
        "parent: got 'meow'",
    ]


async def test_await_executor_future_returns_the_result() -> None:
    """wrap_future lets a coroutine await a call submitted to an executor."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert await futures_bridge.await_executor_future(pool, 100) == 4950


async def test_await_result_from_thread_returns_the_result() -> None:
    """A plain thread completes an asyncio.Future through call_soon_threadsafe."""
    assert await futures_bridge.await_result_from_thread(100) == 4950


async def test_set_result_unless_done_leaves_a_cancelled_future_alone() -> None:
    """Setting a result on an already cancelled future is skipped instead of raising."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    future.cancel()
    futures_bridge.set_result_unless_done(future, 1)
    assert future.cancelled()


async def test_deliver_sets_the_result_from_the_loop_thread() -> None:
    """The result is set on the loop's own thread, not on the delivering thread."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()
    setters: list[int] = []
    # registered before the await, so it runs before the awaiting task resumes
    future.add_done_callback(lambda _: setters.append(threading.get_ident()))
    thread = threading.Thread(target=futures_bridge.deliver, args=(loop, future, 100))
    thread.start()
    assert await future == 4950
    await asyncio.to_thread(thread.join)
    assert setters == [threading.get_ident()]


async def test_ask_the_loop_runs_a_coroutine_from_a_thread() -> None:
    """run_coroutine_threadsafe lets a plain thread run a coroutine on the loop and wait."""
    loop = asyncio.get_running_loop()
    assert await asyncio.to_thread(futures_bridge.ask_the_loop, loop, 100) == 4950
