"""Tests for examples.fibonacci, the generator that shows a coroutine pausing."""

import itertools

from examples.fibonacci import fibonacci


def test_fibonacci_yields_the_fibonacci_sequence() -> None:
    """The first twelve values are 1, 1, 2, 3, 5, 8, ... 144."""
    assert list(itertools.islice(fibonacci(), 12)) == [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]


def test_each_value_is_the_sum_of_the_two_before() -> None:
    """From the third value on, every value is the sum of the previous two."""
    values = list(itertools.islice(fibonacci(), 60))
    assert all(c == a + b for a, b, c in zip(values, values[1:], values[2:], strict=False))


def test_a_paused_generator_resumes_where_it_stopped() -> None:
    """Each generator keeps its own place: a fresh one starts over, the old one carries on."""
    first = fibonacci()
    assert [next(first) for _ in range(4)] == [1, 1, 2, 3]
    second = fibonacci()
    assert next(second) == 1
    assert next(first) == 5
