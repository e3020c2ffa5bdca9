"""Tests for examples.debug_mode: what debug mode adds to a never-awaited coroutine and a stall."""

import inspect
import os
import re

import pytest

from examples import debug_mode

LONG = "Executing <Task finished " + "word " * 25 + "took 0.2 seconds"  # 150 characters
SLOW_STEP = re.compile(r"Executing <Task .*? took (\d+\.\d+) seconds", re.DOTALL)


def created_at() -> str:
    """The traceback line of the frame where main creates the coroutine it never awaits."""
    lines, first = inspect.getsourcelines(debug_mode.main)
    offset = next(i for i, line in enumerate(lines) if line.strip().startswith("fetch_data()"))
    return f'File "examples/debug_mode.py", line {first + offset}, in main'


async def test_main_warns_of_the_coroutine_it_never_awaited(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Run in-process, main triggers the RuntimeWarning and still finishes."""
    with pytest.warns(RuntimeWarning, match="coroutine 'fetch_data' was never awaited"):
        await debug_mode.main()
    assert capsys.readouterr().out == "main: done\n"


@pytest.mark.parametrize(
    ("flags", "env"),
    [(("-X", "dev"), None), ((), {"PYTHONASYNCIODEBUG": "1"})],
    ids=["-X dev", "PYTHONASYNCIODEBUG=1"],
)
async def test_debug_mode_shows_where_the_coroutine_was_made_and_the_slow_step(
    flags: tuple[str, ...], env: dict[str, str] | None
) -> None:
    """Debug mode adds the coroutine's origin, and logs the step that held the loop 0.2 s."""
    output = await debug_mode.run_program(*flags, env=env)
    shown = debug_mode.shorten(output)
    assert "coroutine 'fetch_data' was never awaited" in shown
    assert "Coroutine created at (most recent call last)" in shown
    assert created_at() in shown
    slow = SLOW_STEP.search(output)
    assert slow is not None, output
    assert float(slow[1]) >= 0.2


async def test_without_debug_mode_the_warning_is_bare_and_the_stall_silent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No origin for the coroutine and no word about the 0.2 s stall."""
    monkeypatch.delenv("PYTHONASYNCIODEBUG", raising=False)
    monkeypatch.delenv("PYTHONDEVMODE", raising=False)
    output = await debug_mode.run_program()
    assert "coroutine 'fetch_data' was never awaited" in output
    assert "Coroutine created at" not in output
    assert SLOW_STEP.search(output) is None
    assert "main: done" in output


def test_shorten_keeps_our_frames_with_relative_paths_and_wraps_long_lines() -> None:
    """Frames outside examples/ go with their source lines; long lines wrap within 88 columns."""
    project, stdlib = debug_mode.PROJECT, debug_mode.ASYNCIO
    output = "\n".join(
        [
            "Coroutine created at (most recent call last)",
            '  File "<frozen runpy>", line 198, in _run_module_as_main',
            f'  File "{project}examples/debug_mode.py", line 73, in <module>',
            "    asyncio.run(main())",
            f'  File "{stdlib}{os.sep}runners.py", line 190, in run',
            "    return runner.run(main)",
            "main: done",
            LONG,
        ]
    )
    lines = debug_mode.shorten(output).splitlines()
    assert lines[:4] == [
        "Coroutine created at (most recent call last)",
        '  File "examples/debug_mode.py", line 73, in <module>',
        "    asyncio.run(main())",
        "main: done",
    ]
    assert len(lines) == 6
    assert all(len(line) <= 88 for line in lines)
    assert " ".join(line.strip() for line in lines[4:]) == LONG
