"""Run every benchmark in turn and print its tables: `python -m benchmarks` (`make bench`).

Each runs in a process of its own, as `python -m benchmarks.NAME` would: what one leaves behind
(a bigger heap for the garbage collector, threads, imported libraries) cannot slow the next.
"""

import subprocess
import sys
import time

from benchmarks.common import PYTHON, ROOT

MODULES = ("build", "authoring", "concurrency", "kafka", "echo", "present")


def main() -> None:
    started = time.perf_counter()
    failed = []
    for name in MODULES:
        if subprocess.run([PYTHON, "-m", f"benchmarks.{name}"], cwd=ROOT).returncode != 0:
            failed.append(name)
    print(f"All benchmarks took {time.perf_counter() - started:.0f} s.")
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
