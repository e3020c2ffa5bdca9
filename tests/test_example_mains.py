"""`python -m examples.NAME`, as the outro tells readers to run them: each prints what it showed."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from deckbuild.paths import ROOT

EXAMPLES = ROOT / "examples"
# What each runnable example must print, as a pattern. The servers and `shutdown` run until
# interrupted and have tests of their own (test_cat_server, test_echo_server, test_teapot,
# test_shutdown), as does the client.
PRINTS = {
    "cats": r"TaskGroup: \d+\.\d\d s",
    "running": r"main: \d+ bytes in \d+\.\d\d s",
    "threads": r"to_thread: the longest heartbeat gap was \d\.\d{3} s",
    "executors": r"ProcessPoolExecutor: \[17984, 17984\] in \d+\.\d\d s",
    "futures_bridge": r"5\. a thread runs a coroutine on the loop: 499500",
    "one_thread_executor": r"squares, in order: \[0, 1, 4, 9, 16\]",
    "kafka_producer": r"sent 1000 messages to topic '[\w-]+' on [\d.:]+ in \d+\.\d\d s",
    "toy_loop": r"both done in 0\.\d\d s \(their sleeps add up to 0\.80 s\)",
    "cancellation": r"task cancelled after 0\.\d\d s, its thread ended after 1\.\d\d s",
    "bounded": r"Semaphore\(50\): 1000 cats, +50 connections",
    "debug_mode": r"main: done",
}
SERVERS_AND_CLIENTS = {"cat_server", "echo_server", "teapot", "echo_client", "shutdown"}


def runnable_examples() -> set[str]:
    """The example modules that do something when run: they have a __main__ block."""
    found = set()
    for path in EXAMPLES.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(
            isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body
        ):
            found.add(path.stem)
    return found


def defines_main(name: str) -> bool:
    tree = ast.parse((EXAMPLES / f"{name}.py").read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "main"
        for node in tree.body
    )


def test_every_example_with_a_main_can_be_run_and_is_checked_here() -> None:
    with_main = {path.stem for path in EXAMPLES.glob("*.py") if defines_main(path.stem)}
    assert with_main <= runnable_examples(), "a main that `python -m` would not call"
    assert runnable_examples() == set(PRINTS) | SERVERS_AND_CLIENTS


@pytest.mark.parametrize("name", sorted(PRINTS))
def test_running_an_example_prints_what_it_did(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"examples.{name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(PRINTS[name], result.stdout), result.stdout
    assert "Traceback" not in result.stderr, result.stderr


def test_the_outro_lists_every_runnable_example() -> None:
    """The outro's "Take it home" names exactly the examples that do something when run."""
    outro = (ROOT / "slides" / "12_outro.py").read_text(encoding="utf-8")
    listed = re.findall(r"python -m examples\.(\w+)", outro)
    assert len(listed) == len(set(listed)), "an example listed twice"
    assert set(listed) == runnable_examples()
