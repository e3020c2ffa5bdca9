"""OneThreadExecutor behaves like ThreadPoolExecutor(max_workers=1) in every scenario."""

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Executor, Future, ThreadPoolExecutor

import pytest

from examples.one_thread_executor import OneThreadExecutor

JOIN_TIMEOUT = 10  # seconds: a generous bound, only reached when something is broken


def one_thread_pool() -> Executor:
    """The standard executor we compare against."""
    return ThreadPoolExecutor(max_workers=1)


@pytest.fixture(params=[OneThreadExecutor, one_thread_pool], ids=["OneThreadExecutor", "pool"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    """A fresh single-thread executor of each kind, shut down after the test."""
    make: Callable[[], Executor] = request.param
    executor = make()
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """An event that blocks the worker until the test opens it (always opened at the end)."""
    event = threading.Event()
    try:
        yield event
    finally:
        event.set()


def wait_for(event: threading.Event) -> str:
    """Block the worker until the event is set."""
    if not event.wait(JOIN_TIMEOUT):
        raise TimeoutError("nobody opened the gate")
    return "opened"


def fail(message: str) -> None:
    """A call that raises."""
    raise ValueError(message)


def test_results_come_back_in_submission_order(executor: Executor) -> None:
    """Each future holds its own call's result, and the calls ran in submission order."""
    ran: list[int] = []

    def record(n: int) -> int:
        ran.append(n)
        return n * n

    futures = [executor.submit(record, n) for n in range(20)]
    assert [f.result(JOIN_TIMEOUT) for f in futures] == [n * n for n in range(20)]
    assert ran == list(range(20))


def test_exception_is_delivered_through_the_future(executor: Executor) -> None:
    """An exception raised by the call is re-raised by result() and returned by exception()."""
    future = executor.submit(fail, "boom")
    with pytest.raises(ValueError, match="boom"):
        future.result(JOIN_TIMEOUT)
    assert isinstance(future.exception(), ValueError)


def test_worker_survives_an_exception(executor: Executor) -> None:
    """A call that raised does not stop the calls after it."""
    executor.submit(fail, "boom")
    assert executor.submit(str.upper, "still here").result(JOIN_TIMEOUT) == "STILL HERE"


def test_future_cancelled_before_it_starts_is_skipped(
    executor: Executor, gate: threading.Event
) -> None:
    """A pending future can be cancelled, and then its call never runs."""
    ran: list[str] = []
    first = executor.submit(wait_for, gate)
    second = executor.submit(ran.append, "second")
    third = executor.submit(ran.append, "third")
    assert second.cancel()
    gate.set()
    third.result(JOIN_TIMEOUT)
    assert first.result() == "opened"
    assert second.cancelled()
    with pytest.raises(CancelledError):
        second.result()
    assert ran == ["third"]


def test_running_future_cannot_be_cancelled(executor: Executor, gate: threading.Event) -> None:
    """Once its call has started, cancel() returns False and the call completes."""
    started = threading.Event()

    def start_then_wait() -> str:
        started.set()
        return wait_for(gate)

    future = executor.submit(start_then_wait)
    assert started.wait(JOIN_TIMEOUT)
    assert future.running()
    assert not future.cancel()
    gate.set()
    assert future.result(JOIN_TIMEOUT) == "opened"


def test_shutdown_wait_true_waits_for_pending_work(
    executor: Executor, gate: threading.Event
) -> None:
    """shutdown(wait=True) returns only once every submitted call has finished."""
    first = executor.submit(wait_for, gate)
    second = executor.submit(str.upper, "queued")
    done_when_returned: list[bool] = []

    def shut_down() -> None:
        executor.shutdown(wait=True)
        done_when_returned.append(first.done() and second.done())

    closer = threading.Thread(target=shut_down)
    closer.start()
    closer.join(0.2)  # a bounded look: shutdown must still be waiting for the gate
    assert closer.is_alive()
    gate.set()
    closer.join(JOIN_TIMEOUT)
    assert done_when_returned == [True]
    assert second.result() == "QUEUED"


def test_shutdown_wait_false_returns_while_work_runs(
    executor: Executor, gate: threading.Event
) -> None:
    """shutdown(wait=False) returns at once; the queued calls still run afterwards."""
    first = executor.submit(wait_for, gate)
    second = executor.submit(str.upper, "queued")
    executor.shutdown(wait=False)
    assert not first.done()
    gate.set()
    assert second.result(JOIN_TIMEOUT) == "QUEUED"


def test_shutdown_cancel_futures_cancels_pending_work(
    executor: Executor, gate: threading.Event
) -> None:
    """shutdown(cancel_futures=True) cancels what hasn't started and lets the running call end."""
    started = threading.Event()

    def start_then_wait() -> str:
        started.set()
        return wait_for(gate)

    running = executor.submit(start_then_wait)
    assert started.wait(JOIN_TIMEOUT)
    pending = [executor.submit(str.upper, "never") for _ in range(3)]
    executor.shutdown(wait=False, cancel_futures=True)
    assert all(f.cancelled() for f in pending)
    gate.set()
    assert running.result(JOIN_TIMEOUT) == "opened"


def test_submit_after_shutdown_raises(executor: Executor) -> None:
    """submit() after shutdown() raises RuntimeError."""
    executor.shutdown()
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(str.upper, "too late")


def test_shutdown_twice_is_harmless(executor: Executor) -> None:
    """A second shutdown() call returns without error."""
    executor.submit(str.upper, "work").result(JOIN_TIMEOUT)
    executor.shutdown()
    executor.shutdown(cancel_futures=True)


def test_context_manager_shuts_down_on_exit(executor: Executor) -> None:
    """Leaving the with block waits for the work and then refuses new work."""
    with executor:
        future = executor.submit(str.upper, "inside")
    assert future.done()
    with pytest.raises(RuntimeError):
        executor.submit(str.upper, "outside")


def test_map_returns_results_in_order(executor: Executor) -> None:
    """map() yields fn's results in the order of its inputs, over several iterables."""
    assert list(executor.map(pow, [2, 3, 4], [5, 2, 0], timeout=JOIN_TIMEOUT)) == [32, 9, 1]


def test_map_raises_timeout_error_when_results_are_late(
    executor: Executor, gate: threading.Event
) -> None:
    """Iterating map() raises TimeoutError when a result is not ready before the timeout."""
    results = executor.map(wait_for, [gate, gate], timeout=0.05)
    with pytest.raises(TimeoutError):
        list(results)


def test_map_reraises_the_call_exception(executor: Executor) -> None:
    """Iterating map() re-raises an exception raised by one of the calls."""
    with pytest.raises(ValueError, match="bad"):
        list(executor.map(fail, ["bad"]))


async def test_run_in_executor_from_asyncio(executor: Executor) -> None:
    """loop.run_in_executor awaits a call made on the executor, results and exceptions both."""
    loop = asyncio.get_running_loop()
    results = await asyncio.gather(*(loop.run_in_executor(executor, abs, -n) for n in range(5)))
    assert results == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="async boom"):
        await loop.run_in_executor(executor, fail, "async boom")


async def test_wrap_future_awaits_a_submitted_call(executor: Executor) -> None:
    """asyncio.wrap_future turns a submitted call's future into an awaitable one."""
    assert await asyncio.wrap_future(executor.submit(str.upper, "wrapped")) == "WRAPPED"


def test_all_work_happens_on_one_thread(executor: Executor) -> None:
    """Every call runs on the same thread, and it is not the caller's thread."""
    futures = [executor.submit(threading.get_ident) for _ in range(10)]
    thread_ids = {f.result(JOIN_TIMEOUT) for f in futures}
    assert len(thread_ids) == 1
    assert threading.get_ident() not in thread_ids


def test_done_callback_sees_the_finished_future(executor: Executor) -> None:
    """A done callback receives the future once its result is set."""
    seen: list[int] = []
    finished = threading.Event()

    def on_done(future: Future[int]) -> None:
        seen.append(future.result())
        finished.set()

    executor.submit(len, "four").add_done_callback(on_done)
    assert finished.wait(JOIN_TIMEOUT)
    assert seen == [4]


def test_worker_thread_ends_after_shutdown() -> None:
    """After shutdown(wait=True) the OneThreadExecutor's worker thread is gone."""
    executor = OneThreadExecutor()
    worker_id = executor.submit(threading.get_ident).result(JOIN_TIMEOUT)
    executor.shutdown(wait=True)
    assert worker_id not in {t.ident for t in threading.enumerate()}


def test_second_shutdown_with_cancel_futures_still_lets_the_worker_stop(
    executor: Executor, gate: threading.Event
) -> None:
    """shutdown(wait=False) then shutdown(cancel_futures=True) cancels pending work and ends."""
    started = threading.Event()

    def start_then_wait() -> str:
        started.set()
        return wait_for(gate)

    running = executor.submit(start_then_wait)
    assert started.wait(JOIN_TIMEOUT)
    pending = executor.submit(str.upper, "never")
    executor.shutdown(wait=False)
    executor.shutdown(wait=False, cancel_futures=True)
    assert pending.cancelled()
    gate.set()
    closer = threading.Thread(target=executor.shutdown)  # wait=True: must return
    closer.start()
    closer.join(JOIN_TIMEOUT)
    assert not closer.is_alive()
    assert running.result() == "opened"
