"""Counting primes on thread and process pools, awaited from asyncio."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from examples.executors import count_on, count_primes
from examples.one_thread_executor import OneThreadExecutor


def test_count_primes_counts_primes_below_the_limit() -> None:
    """count_primes(n) counts the primes strictly below n."""
    assert [count_primes(n) for n in (0, 2, 3, 10, 11, 100)] == [0, 0, 1, 4, 4, 25]


async def test_count_on_a_thread_pool_returns_results_in_order() -> None:
    """count_on gathers one count per limit, in the order of the limits."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert await count_on(pool, [100, 10, 1000]) == [25, 4, 168]


async def test_count_on_a_process_pool_returns_results_in_order() -> None:
    """count_primes pickles by reference, so a forkserver process pool can run it."""
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        assert await count_on(pool, [100, 10, 1000]) == [25, 4, 168]


async def test_count_on_the_one_thread_executor_returns_results_in_order() -> None:
    """Our own executor works with count_on like the standard ones."""
    with OneThreadExecutor() as executor:
        assert await count_on(executor, [100, 10, 1000]) == [25, 4, 168]
