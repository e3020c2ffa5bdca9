"""Tests for examples.running: the ways to start a coroutine, and the legacy way failing."""

import asyncio
import re

import pytest

from examples.cat_server import t_rex_png
from examples.running import fetch_the_legacy_way, fetch_with_runner, main, other_func


@pytest.fixture(autouse=True)
def local_dinosaur(monkeypatch: pytest.MonkeyPatch, drawn_pictures: None) -> None:
    """The examples fetch the local stand-in's dinosaur, drawn before any test starts."""
    monkeypatch.delenv("T_REX_URL", raising=False)


def test_asyncio_run_runs_main(capsys: pytest.CaptureFixture[str]) -> None:
    """asyncio.run(main()) from synchronous code fetches the dinosaur and reports its size."""
    asyncio.run(main())
    output = capsys.readouterr().out
    assert re.fullmatch(rf"main: {len(t_rex_png())} bytes in \d+\.\d\d s\n", output)


async def test_asyncio_run_refuses_to_run_inside_a_running_loop() -> None:
    """Inside a running event loop (a coroutine, a notebook), asyncio.run raises RuntimeError."""
    coro = main()
    with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
        asyncio.run(coro)
    coro.close()  # never started: nothing to warn about


async def test_asyncio_run_works_in_a_worker_thread(capsys: pytest.CaptureFixture[str]) -> None:
    """A worker thread has no running loop, so asyncio.run works there."""
    await asyncio.to_thread(asyncio.run, main())
    assert capsys.readouterr().out.startswith(f"main: {len(t_rex_png())} bytes")


def test_runner_keeps_a_server_across_runs() -> None:
    """A server started in one Runner.run still answers in the next run on the same loop."""
    assert fetch_with_runner() == len(t_rex_png())


async def test_awaiting_inside_a_coroutine_runs_it() -> None:
    """Awaiting other_func from a coroutine runs it to completion."""
    assert await other_func() == len(t_rex_png())


async def test_legacy_way_fails_in_a_thread() -> None:
    """get_event_loop() in a thread without a loop raises RuntimeError (Python 3.11)."""
    with pytest.raises(RuntimeError, match="There is no current event loop in thread"):
        await asyncio.to_thread(fetch_the_legacy_way)
