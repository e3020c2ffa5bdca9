"""Benchmarks of the build and of the talk's examples: `make bench`, or `python -m benchmarks.X`."""
