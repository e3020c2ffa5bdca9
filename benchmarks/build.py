"""Build times: cold build vs nbconvert file by file, cached rebuilds, --jobs 1 vs 2.

    python -m benchmarks.build [--rounds N] [--repeats N]

Every build runs on a snapshot of slides/ copied to a temporary folder (so that edits made by
others during the run change nothing), with a temporary BUILD_CACHE_DIR and --out.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import PYTHON, ROOT, median, run_main, seconds, table
from deckbuild.paths import DEFAULT_SOURCES

DESCRIPTION = "Build times: cold vs nbconvert, cached rebuilds, --jobs 1 vs 2."
TIMEOUT = 60  # seconds per cell, for our build and the baseline alike (build.py's default)
KERNEL = "bench-venv"  # the baseline's kernelspec: this interpreter, not whatever python3 is
CODE_MARKER = re.compile(r"^# %%(?P<meta>(?! \[markdown\]).*)$")
MARKDOWN_MARKER = re.compile(r"^# %% \[markdown\]")


@dataclass
class Run:
    """One timed build: how long it took and how many sources it executed."""

    seconds: float
    executed: int


class Bench:
    """A scratch folder with a slides snapshot, a cache, outputs and a kernelspec."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.slides = scratch / "slides"
        shutil.copytree(ROOT / "slides", self.slides, ignore=shutil.ignore_patterns(".*"))
        self.sources = sorted(self.slides.glob(Path(DEFAULT_SOURCES).name))  # not figures.py
        self.cache = scratch / "cache"
        self.jupyter = scratch / "jupyter"
        spec = self.jupyter / "kernels" / KERNEL
        spec.mkdir(parents=True)
        argv = [PYTHON, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        kernel = {"argv": argv, "display_name": "bench (project venv)", "language": "python"}
        (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
        self.runs = 0

    def out(self) -> Path:
        self.runs += 1
        return self.scratch / f"out{self.runs}"

    def build(self, *options: str, cache: Path | None = None) -> Run:
        """`build.py build` on the snapshot; raises with build.py's message if it fails."""
        command = [PYTHON, str(ROOT / "build.py"), "build", *map(str, self.sources)]
        command += ["--out", str(self.out()), "--timeout", str(TIMEOUT), *options]
        env = {**os.environ, "BUILD_CACHE_DIR": str(cache or self.cache)}
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
        executed = sum(line.startswith("executed ") for line in done.stderr.splitlines())
        return Run(elapsed, executed)

    def cold(self, jobs: int) -> Run:
        return self.build("--no-cache", "--jobs", str(jobs), cache=self.scratch / "unused")

    def baseline(self) -> Run:
        """What a user would otherwise run: jupytext to .ipynb, then nbconvert, file by file."""
        env = {
            **os.environ,
            "JUPYTER_PATH": str(self.jupyter),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # as build.py sets it for its kernels
        }
        out = self.out()
        started = time.perf_counter()
        for source in self.sources:
            notebook = source.with_suffix(".ipynb")  # next to the source: cells run in slides/
            steps = [
                ["-m", "jupytext", "--quiet", "--to", "ipynb", str(source), "-o", str(notebook)],
                [
                    *("-m", "nbconvert", "--to", "slides", "--execute", "--log-level=ERROR"),
                    f"--ExecutePreprocessor.kernel_name={KERNEL}",
                    f"--ExecutePreprocessor.timeout={TIMEOUT}",
                    *("--output-dir", str(out), str(notebook)),
                ],
            ]
            for step in steps:
                done = subprocess.run([PYTHON, *step], capture_output=True, text=True, env=env)
                if done.returncode != 0:
                    raise RuntimeError(f"baseline {' '.join(step)} failed:\n{done.stderr[-2000:]}")
        elapsed = time.perf_counter() - started
        for notebook in self.slides.glob("*.ipynb"):
            notebook.unlink()
        return Run(elapsed, len(self.sources))


def edit_line(path: Path, marker: re.Pattern[str], make: str, number: int) -> str:
    """Change the first cell under `marker` in path: the prose or code edit of the benchmark."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        match = marker.match(line)
        if match is None or "tags=" in line or index + 1 >= len(lines):
            continue
        following = lines[index + 1]
        if make == "prose" and following.startswith("# ") and following.strip() != "#":
            lines[index + 1] = following.rstrip("\n") + f" (edit {number})\n"
        elif make == "code" and following.strip() and not following.startswith(("# %", "%")):
            lines.insert(index + 1, f"_benchmark_edit = {number}  # a code edit\n")
        else:
            continue
        path.write_text("".join(lines), encoding="utf-8")
        return path.name
    raise ValueError(f"{path.name}: no cell to make a {make} edit in")


def editable(sources: Sequence[Path], marker: re.Pattern[str], make: str) -> Path:
    for source in sources:
        copy = source.read_text(encoding="utf-8")
        try:
            edit_line(source, marker, make, 0)
        except ValueError:
            continue
        source.write_text(copy, encoding="utf-8")
        return source
    raise ValueError(f"no source has a cell for a {make} edit")


def ratio_row(name: str, runs: Sequence[Run], reference: float | None) -> list[str]:
    middle = median([run.seconds for run in runs])
    executed = "/".join(sorted({str(run.executed) for run in runs}))
    shown = f"{middle / reference:.2f}x" if reference else "1.00x"
    return [name, seconds(middle), shown, executed, str(len(runs))]


def measure(rounds: int, repeats: int) -> Iterator[str]:
    header = ["build", "median", "ratio", "sources executed", "runs"]
    with tempfile.TemporaryDirectory(prefix="bench-build-") as scratch:
        bench = Bench(Path(scratch))
        count = len(bench.sources)
        # the comparisons that need kernels, interleaved so that a load spike hits all of them
        cold2: list[Run] = []
        cold1: list[Run] = []
        nbconvert: list[Run] = []
        for _ in range(rounds):
            cold2.append(bench.cold(jobs=2))
            nbconvert.append(bench.baseline())
            cold1.append(bench.cold(jobs=1))
        reference = median([run.seconds for run in cold2])
        yield table(
            f"Cold build of the {count} slide files vs nbconvert file by file",
            header,
            [
                ratio_row(
                    "nbconvert baseline (jupytext, then nbconvert --execute)", nbconvert, None
                ),
                ratio_row("build.py build --no-cache --jobs 2", cold2, median_of(nbconvert)),
                ratio_row("build.py build --no-cache --jobs 1", cold1, median_of(nbconvert)),
            ],
            [
                "Ratios are to the baseline. The baseline runs a kernelspec of this venv's python "
                f"and the same per-cell timeout ({TIMEOUT} s); it also writes one deck per file.",
            ],
        )
        yield table(
            "Cold build, --jobs 1 vs --jobs 2",
            header,
            [
                ratio_row("--jobs 1", cold1, None),
                ratio_row("--jobs 2", cold2, median_of(cold1)),
            ],
        )
        first = bench.build()  # an empty cache: executes everything and fills the cache
        unchanged = [bench.build() for _ in range(repeats)]
        prose_file = editable(bench.sources, MARKDOWN_MARKER, "prose")
        code_file = editable(bench.sources, CODE_MARKER, "code")
        prose: list[Run] = []
        code: list[Run] = []
        for number in range(1, repeats + 1):
            edit_line(prose_file, MARKDOWN_MARKER, "prose", number)
            prose.append(bench.build())
        for number in range(1, max(2, repeats // 2) + 1):
            edit_line(code_file, CODE_MARKER, "code", number)
            code.append(bench.build())
        yield table(
            "Rebuilds with the execution cache (--jobs 2), against the cold build",
            header,
            [
                ratio_row("cold: build.py build --no-cache", cold2, None),
                ratio_row("first build into an empty cache", [first], reference),
                ratio_row("no change", unchanged, reference),
                ratio_row(
                    f"prose-only edit (a markdown line of {prose_file.name})", prose, reference
                ),
                ratio_row(f"one code-cell edit (in {code_file.name})", code, reference),
            ],
            [
                "Each edit run changes the line again (edit 1, edit 2, ...): none is a no-change.",
            ],
        )


def median_of(runs: Sequence[Run]) -> float:
    return median([run.seconds for run in runs])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument(
        "--rounds", type=int, default=1, help="cold builds and baselines of each kind (default 1)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="cached rebuilds of each kind (default 3)"
    )
    args = parser.parse_args(argv)
    run_main("Build", measure(args.rounds, args.repeats))


if __name__ == "__main__":
    main()
