"""Tests for examples.toy_loop: a coroutine driven by hand, a toy loop, and asyncio's select()."""

import asyncio
import re
import time
import types
from collections.abc import Generator

import pytest

from examples import toy_loop

WAIT = re.compile(r"loop: nothing to run: select\(timeout=([0-9.]+|None)\)")


def test_send_runs_a_coroutine_to_its_pause_and_stopiteration_carries_its_result() -> None:
    """send(None) returns the wake-up time sleep yields; the next send ends with the result."""
    coro = toy_loop.greet()
    before = time.monotonic()
    wake_at = coro.send(None)
    assert before + 0.1 <= wake_at <= time.monotonic() + 0.1
    with pytest.raises(StopIteration) as stop:
        coro.send(None)
    assert stop.value.value == "done"


def test_toy_loop_interleaves_two_sleeping_coroutines(capsys: pytest.CaptureFixture[str]) -> None:
    """Each ticker's first tick comes before either one's second: they take turns."""
    toy_loop.run(toy_loop.ticker("fast", 0.05, 3), toy_loop.ticker("slow", 0.12, 2))
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines.index("  fast: tick 0")
        < lines.index("  slow: tick 0")
        < lines.index("  fast: tick 1")
    )
    assert lines.index("  slow: tick 0") < lines.index("  slow: tick 1")
    fast = [line for line in lines if "fast" in line]
    assert fast == ["  fast: tick 0", "  fast: tick 1", "  fast: tick 2", "  fast: done"]
    assert len(lines) == 7


def test_toy_loop_overlaps_the_sleeps() -> None:
    """Two tickers take at least the longer one's sleeps, and well under the sum of both."""
    start = time.perf_counter()
    toy_loop.run(toy_loop.ticker("fast", 0.2, 3), toy_loop.ticker("slow", 0.5, 2))
    elapsed = time.perf_counter() - start
    assert 1.0 <= elapsed < 0.6 + 1.0  # slow sleeps 2 x 0.5 s; sequential would be 1.6 s


def test_toy_loop_passes_a_coroutines_error_to_its_caller() -> None:
    """An exception raised inside a coroutine comes out of run()."""

    async def failing() -> None:
        await toy_loop.sleep(0.01)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        toy_loop.run(failing())


def test_toy_loop_refuses_what_it_does_not_understand() -> None:
    """A coroutine that yields anything but a wake-up time gets a TypeError naming it."""

    @types.coroutine
    def foreign() -> Generator[str, None, None]:
        yield "a future from another library"

    async def waiter() -> None:
        await foreign()

    coro = waiter()
    with pytest.raises(TypeError, match="only understands sleep"):
        toy_loop.run(coro)
    coro.close()


def test_asyncio_loop_waits_in_select_for_the_next_timer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Between ticks asyncio's loop waits in select(), never longer than the next timer."""
    toy_loop.run_on_asyncio(
        toy_loop.ticker("fast", 0.1, 3, asyncio.sleep),
        toy_loop.ticker("slow", 0.25, 2, asyncio.sleep),
    )
    out = capsys.readouterr().out
    lines = out.splitlines()
    waits = [float(timeout) for timeout in WAIT.findall(out)]
    assert waits, out
    assert all(0 < wait <= 0.25 for wait in waits), waits
    between = lines[lines.index("  fast: tick 0") : lines.index("  fast: tick 1")]
    assert any(WAIT.search(line) for line in between)
    assert lines.index("  fast: done") < lines.index("  slow: done")


def test_a_socket_wakes_the_loop_out_of_select(capsys: pytest.CaptureFixture[str]) -> None:
    """The reader gets what the timer wrote, after the loop waited at most the delay."""
    with asyncio.Runner(
        loop_factory=lambda: asyncio.SelectorEventLoop(toy_loop.PrintingSelector())
    ) as runner:
        assert runner.run(toy_loop.wait_for_a_socket(0.1)) == b"meow"
    out = capsys.readouterr().out
    timeouts = WAIT.findall(out)
    assert float(timeouts[0]) <= 0.1
    assert out.endswith("  reader: got b'meow'\n")


async def test_cancelling_the_socket_reader_cancels_its_timer(
    loop_errors: list[dict[str, object]],
) -> None:
    """Cancelled before the write, the reader leaves no timer to write to its closed socket."""
    reader = asyncio.create_task(toy_loop.wait_for_a_socket(0.05))
    await asyncio.sleep(0)  # the reader runs up to its sock_recv
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    await asyncio.sleep(0.1)  # past the write's time: a live timer would have failed by now
    assert loop_errors == []


async def test_asyncio_rejects_the_toy_sleep() -> None:
    """A task expects futures: our toy sleep's float is a 'bad yield'."""
    with pytest.raises(RuntimeError, match="Task got bad yield"):
        await toy_loop.ticker("toy", 0.1, 1)
