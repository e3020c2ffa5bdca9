"""Tests for examples.cancellation: catch-alls, cleanup, shield, threads that outlive a cancel."""

import asyncio
import threading

import pytest

from examples import cancellation


def test_cancelled_error_is_a_base_exception_only() -> None:
    """CancelledError is a BaseException, so `except Exception` lets it through."""
    assert issubclass(asyncio.CancelledError, BaseException)
    assert not issubclass(asyncio.CancelledError, Exception)


async def test_a_catch_all_swallows_the_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    """The timeout expires, but the catch-all returns a default and no TimeoutError is raised."""
    async with asyncio.timeout(0.05):
        result = await cancellation.fetch_with_a_catch_all(10)
    assert result == "a default"
    assert "caught CancelledError" in capsys.readouterr().out


async def test_fetch_properly_returns_the_data_in_time(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a cancel, fetch_properly returns the data and still closes the connection."""
    assert await cancellation.fetch_properly(0.01) == "the data"
    assert capsys.readouterr().out.endswith("  fetch: closed\n")


async def test_fetch_properly_lets_the_timeout_through_after_cleanup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The timeout raises TimeoutError, and the finally block's awaits completed first."""
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await cancellation.fetch_properly(10)
    assert capsys.readouterr().out == "  fetch: closing the connection...\n  fetch: closed\n"


async def test_a_second_cancel_interrupts_the_cleanup(capsys: pytest.CaptureFixture[str]) -> None:
    """Cancelled again while its finally awaits, the fetch ends without finishing the cleanup."""
    task = asyncio.create_task(cancellation.fetch_properly(10))
    await asyncio.sleep(0)  # the fetch starts its sleep
    task.cancel()
    await asyncio.sleep(0)  # the fetch takes the cancel and starts its finally's await
    assert capsys.readouterr().out == "  fetch: closing the connection...\n"
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()
    assert "closed" not in capsys.readouterr().out


async def test_handle_saves_when_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    """Not cancelled, the handler returns once the record is written."""
    await cancellation.handle("order 1")
    assert capsys.readouterr().out == "  save: order 1 written\n"


async def test_shield_lets_the_save_finish_when_the_handler_is_cancelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cancelled mid-save, the handler ends cancelled, but only after the save has finished."""
    task = asyncio.create_task(cancellation.handle("order 42"))
    await asyncio.sleep(0.05)  # well inside the 0.2 s save
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()
    assert capsys.readouterr().out == "  save: order 42 written\n"


async def test_cancelling_to_thread_leaves_the_thread_running(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The task ends when cancelled; the thread works on to the end of its 1 s sleep."""
    task_ended, thread_ended = await cancellation.cancel_a_thread(seconds=1.0, after=0.05)
    assert task_ended < 0.5 < 1.0 <= thread_ended  # coarse: the point is that they differ
    assert capsys.readouterr().out.startswith(f"task cancelled after {task_ended:.2f} s")


def test_stoppable_work_finishes_unless_stopped() -> None:
    """Left alone it reports finishing; with its event set it returns False at once."""
    stop = threading.Event()
    assert cancellation.stoppable_work(0.02, stop)
    stop.set()
    assert not cancellation.stoppable_work(10, stop)


async def test_run_stoppable_returns_the_threads_result(capsys: pytest.CaptureFixture[str]) -> None:
    """Not cancelled, run_stoppable returns True: the work finished."""
    assert await cancellation.run_stoppable(0.02)
    assert "finished=True" in capsys.readouterr().out


async def test_cancelling_run_stoppable_stops_its_thread_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cancelled, run_stoppable ends only after its thread returned early (finished=False)."""
    task = asyncio.create_task(cancellation.run_stoppable(10))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()
    assert "the thread has stopped, finished=False" in capsys.readouterr().out
