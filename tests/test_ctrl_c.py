"""Tests for examples.ctrl_c: run a program, "press Ctrl-C" once it is ready, leave nothing."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.ctrl_c import interrupt_when_ready


def children() -> set[int]:
    """The process ids whose parent is this process (Linux: from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


@pytest.fixture
def no_new_children() -> Iterator[None]:
    """Fails the test if it leaves a child process behind."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs Linux's /proc to list child processes")
    before = children()
    yield None
    assert children() - before == set()


async def test_a_program_that_says_ready_is_interrupted(no_new_children: None) -> None:
    """The cat server prints its URL; told that is its ready line, it gets SIGINT and exits 0."""
    output, status = await interrupt_when_ready("examples.cat_server", ready="serving on")
    assert output.startswith("cat server: serving on http://127.0.0.1:")
    assert status == 0


async def test_a_program_that_never_says_ready_is_an_error_and_is_killed(
    no_new_children: None,
) -> None:
    """A first line without the ready word raises RuntimeError; the program does not linger."""
    with pytest.raises(RuntimeError, match=r"examples\.cat_server did not say it was ready"):
        await interrupt_when_ready("examples.cat_server", ready="a word it never prints")


async def test_a_program_that_exits_silently_is_an_error(no_new_children: None) -> None:
    """A program that ends without a word raises RuntimeError showing the empty output."""
    with pytest.raises(RuntimeError, match=r"examples\.fibonacci did not say it was ready: ''"):
        await interrupt_when_ready("examples.fibonacci")
