"""Run every benchmark in turn and print its tables: `python -m benchmarks` (`make bench`)."""

import time

from benchmarks import build, concurrency, echo, kafka


def main() -> None:
    started = time.perf_counter()
    for module in (build, concurrency, kafka, echo):
        module.main([])
    print(f"All benchmarks took {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
