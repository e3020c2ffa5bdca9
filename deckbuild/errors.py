"""The build's one kind of error and how errors and warnings are printed: one line each."""

from __future__ import annotations

import sys

ERROR_PREFIX = "build.py: error:"
WARNING_PREFIX = "build.py: warning:"


class BuildError(Exception):
    """A problem with the input or the environment, reported as one short message."""


def error_line(error: BuildError) -> str:
    """How the command line prints a BuildError: `build.py: error: <message>`."""
    return f"{ERROR_PREFIX} {error}"


SHOWN = {"warnings": True}  # `build.py build -q` turns warnings off: errors only


def show_warnings(shown: bool) -> None:
    SHOWN["warnings"] = shown


def warn(message: str) -> None:
    """Print a named warning on stderr (unless -q turned them off); the build goes on."""
    if SHOWN["warnings"]:
        print(f"{WARNING_PREFIX} {message}", file=sys.stderr, flush=True)
