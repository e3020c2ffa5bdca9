"""Tests for examples.shutdown: a cancelled main lets every worker clean up, even via SIGINT."""

import asyncio

import pytest

from examples import shutdown
from examples.ctrl_c import interrupt_when_ready


async def test_cancelling_main_runs_every_workers_cleanup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cancelled once ready, main ends cancelled after both workers have cleaned up."""
    task = asyncio.create_task(shutdown.main())
    out = ""
    for _ in range(10):  # a few turns of the loop: main says ready after its workers start
        await asyncio.sleep(0)
        out += capsys.readouterr().out
        if "ready" in out:
            break
    assert out == "main: ready, Ctrl-C to stop\n"
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines[:2]) == ["  worker 1: cleaned up", "  worker 2: cleaned up"]
    assert lines[2:] == ["main: cancelled, all workers cleaned up"]


async def test_sigint_to_the_program_cancels_main_and_exits_130() -> None:
    """`python -m examples.shutdown`, sent SIGINT once ready, cleans up and exits with 130."""
    output, status = await interrupt_when_ready("examples.shutdown")
    lines = output.splitlines()
    assert lines[0] == "main: ready, Ctrl-C to stop"
    assert sorted(lines[1:3]) == ["  worker 1: cleaned up", "  worker 2: cleaned up"]
    assert lines[3:] == ["main: cancelled, all workers cleaned up", "program: interrupted, exiting"]
    assert status == 130
