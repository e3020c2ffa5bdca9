#!/usr/bin/env python3
"""Build the talk: execute percent-format slides into one offline reveal.js deck, extract examples.

    python build.py build [SOURCES...] [--out DIR] [--timeout SECONDS] [--jobs N] [--no-cache] [-q]
                          [--theme light|dark]
    python build.py extract [--check] [SOURCES...]
    python build.py serve [SOURCES...] [--port N] [--out DIR]
    python build.py present [SOURCES...] [--port N] [--out DIR]
    python build.py pdf [--out DIR]

Run `python build.py --help` or `python build.py COMMAND --help` for details. This file is the
command line only: the work is done by the modules of the `deckbuild` package.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from deckbuild.errors import BuildError, error_line, show_warnings
from deckbuild.paths import (
    DEFAULT_CACHE,
    DEFAULT_EXAMPLES,
    DEFAULT_OUT,
    DEFAULT_SOURCES,
    display_path,
)
from deckbuild.theme import THEMES  # the --theme choices: colours only, nothing heavy

CACHE_VARIABLE = "BUILD_CACHE_DIR"


def cache_folder() -> Path:
    """Where the execution cache lives: $BUILD_CACHE_DIR, else .cache/execution/."""
    return Path(os.environ.get(CACHE_VARIABLE, DEFAULT_CACHE))


def add_sources(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help=f"percent-format .py files (default: {DEFAULT_SOURCES})",
    )


def add_out(command: argparse.ArgumentParser, what: str = "output folder") -> None:
    command.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"{what} (default: build/)")


def add_timeout(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--timeout", type=int, default=60, help="per-cell timeout in seconds (default: 60)"
    )


def add_server_options(command: argparse.ArgumentParser) -> None:
    """What serve and present share: the sources, the port, the output folder, the timeout."""
    add_sources(command)
    command.add_argument(
        "--port", type=int, default=8000, help="0 picks a free port (default: 8000)"
    )
    add_out(command)
    add_timeout(command)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="build.py",
        description="Build the talk from jupytext percent-format slides.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_cmd = commands.add_parser(
        "build",
        help="execute the sources and render one offline reveal.js deck",
        description="Execute each source in a fresh kernel of this interpreter, then render them, "
        "in order, into OUT/index.html (one self-contained file) and OUT/notebooks/*.ipynb. "
        "A failed build leaves the previous deck untouched.",
    )
    add_sources(build_cmd)
    add_out(build_cmd)
    add_timeout(build_cmd)
    build_cmd.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="sources executed in parallel kernels (default: the number of cores)",
    )
    build_cmd.add_argument(
        "--no-cache",
        dest="use_cache",
        action="store_false",
        help="execute and render every source even if the cached results are still valid; "
        "the fresh results replace them "
        f"(the cache lives in {display_path(cache_folder())}/, or ${CACHE_VARIABLE})",
    )
    build_cmd.add_argument(
        "--theme",
        choices=list(THEMES),
        help="light for a lit room, dark for a dark one (default: [tool.deckbuild] theme "
        "in pyproject.toml, else light); only the rendering changes, nothing runs again",
    )
    build_cmd.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print errors only: no progress, no summary, no warnings",
    )

    extract_cmd = commands.add_parser(
        "extract",
        help="write the tagged code cells into examples/ modules",
        description="Join the code cells tagged example:NAME into examples/NAME.py, "
        "in source order, formatted with ruff. "
        "With --check, write nothing and exit 1 if examples/ differs.",
    )
    add_sources(extract_cmd)
    extract_cmd.add_argument(
        "--examples",
        type=Path,
        default=DEFAULT_EXAMPLES,
        help="the examples package (default: examples/)",
    )
    extract_cmd.add_argument("--check", action="store_true", help="report drift instead of writing")

    serve_cmd = commands.add_parser(
        "serve",
        help="serve the deck on 127.0.0.1, rebuild it on changes and reload the browser",
        description="Build the sources into OUT/, serve OUT/ on 127.0.0.1, rebuild whenever a file "
        "in the sources' folders or the templates changes, and make open browsers reload. "
        "The served HTML gets a small reload script; the built file never does. Ctrl-C stops.",
    )
    add_server_options(serve_cmd)

    present_cmd = commands.add_parser(
        "present",
        help="serve the deck with a kernel per slide file: every code cell can be edited and run",
        description="Everything serve does, and: each source gets a kernel of this interpreter "
        "that replays its code cells, so that in the served deck any code cell can be edited, "
        "run, interrupted, and its file's kernel restarted. Only 127.0.0.1, and only with the "
        "secret address it prints: open that. The built file stays as it was. Ctrl-C stops.",
    )
    add_server_options(present_cmd)

    pdf_cmd = commands.add_parser(
        "pdf",
        help="print the built deck to OUT/talk.pdf, one page per slide",
        description="Open OUT/index.html in headless Chromium with reveal.js's print view "
        "(?print-pdf) and print it to OUT/talk.pdf: one page per slide, fragments shown, "
        "and a page per step for stepped code that does not fit its page whole. "
        "Needs Chromium ($CHROMIUM, or `chromium` on the PATH) and a built deck.",
    )
    add_out(pdf_cmd, "the built deck's folder")
    return main


def run(argv: Sequence[str] | None = None) -> int:
    """Each command imports only what it needs: `build` starts in a fraction of a second."""
    args = parser().parse_args(argv)
    try:
        if args.command == "build":
            from deckbuild.cache import ExecutionCache
            from deckbuild.pipeline import build
            from deckbuild.progress import progress_for

            cache = ExecutionCache(cache_folder())
            show_warnings(not args.quiet)
            progress = progress_for(args.quiet)  # a line per source, then the summary
            build(
                args.sources,
                args.out,
                args.timeout,
                args.jobs,
                cache,
                args.use_cache,
                progress=progress,
                theme=args.theme,
            )
            return 0
        if args.command == "extract":
            from deckbuild.extract import extract

            return extract(args.sources, args.examples, args.check)
        if args.command in ("serve", "present"):
            from deckbuild.serve import present, serve

            start = serve if args.command == "serve" else present
            return start(args.sources, args.out, args.port, args.timeout, cache_folder())
        if args.command == "pdf":
            from deckbuild.pdf import print_pdf

            pdf = print_pdf(args.out)
            print(f"wrote {display_path(pdf)}", file=sys.stderr)
            return 0
    except BuildError as error:
        print(error_line(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build.py: interrupted; the previous deck is untouched", file=sys.stderr)
        return 128 + signal.SIGINT
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(run())
