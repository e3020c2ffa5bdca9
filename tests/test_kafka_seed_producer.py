"""Tests that pin down the seed's Kafka bridge's failure modes (examples.kafka_seed_producer)."""

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition

from examples.kafka_seed_producer import AsyncKafkaProducer

pytestmark = pytest.mark.timeout(60)  # a hung send fails the test instead of stalling the suite

QUIET = {"log_level": 2}  # librdkafka logs connection failures to fd 2; the tests expect them
POLL_INTERVAL = 1.0  # seconds between the seed's polls (its call_later(1, ...))
NEVER = 10.0  # seconds: far beyond any expected wait; only stops a broken test from hanging


@pytest.fixture
async def loop_errors() -> AsyncIterator[tuple[list[dict[str, Any]], asyncio.Event]]:
    """What the loop's exception handler receives during the test, and an event set on each."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    arrived = asyncio.Event()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        errors.append(context)
        arrived.set()

    previous = loop.get_exception_handler()
    loop.set_exception_handler(handler)
    yield errors, arrived
    loop.set_exception_handler(previous)


def stop_polling(producer: AsyncKafkaProducer) -> None:
    """Cancel the poll loop: the seed's __del__ never runs while that loop holds the producer."""
    producer._poll_handle.cancel()


def count_messages(bootstrap: str, topic: str) -> int:
    """How many messages the cluster holds for `topic`: the sum of its high watermarks."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "tests", **QUIET})
    try:
        partitions = consumer.list_topics(topic, timeout=NEVER).topics[topic].partitions
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=NEVER)[1]
            for p in partitions
        )
    finally:
        consumer.close()


async def test_messages_are_delivered(bootstrap: str, topic: str) -> None:
    """On the happy path the seed's bridge works: a send completes and the message arrives."""
    producer = AsyncKafkaProducer({"bootstrap.servers": bootstrap})
    try:
        async with asyncio.timeout(NEVER):
            await producer.send(topic, b"hello")
    finally:
        stop_polling(producer)
    assert await asyncio.to_thread(count_messages, bootstrap, topic) == 1


async def test_each_send_waits_for_the_next_poll(bootstrap: str, topic: str) -> None:
    """Sequential sends take about one poll interval each, though the broker answers in ms."""
    sends = 3
    producer = AsyncKafkaProducer({"bootstrap.servers": bootstrap})
    try:
        start = time.perf_counter()
        async with asyncio.timeout(NEVER):
            for i in range(sends):
                await producer.send(topic, f"m{i}".encode())
        elapsed = time.perf_counter() - start
    finally:
        stop_polling(producer)
    # a lower bound only: load can make it slower, never faster than the polls
    assert elapsed >= (sends - 1) * POLL_INTERVAL


async def test_delivery_error_escapes_except_exception(unreachable: str, topic: str) -> None:
    """A failed delivery raises the raw KafkaError, which is no BaseException subclass."""
    config = {"bootstrap.servers": unreachable, "message.timeout.ms": 1500, **QUIET}
    producer = AsyncKafkaProducer(config)
    raised: object = None
    try:
        async with asyncio.timeout(NEVER):
            await producer.send(topic, b"hello?")
    except Exception:  # what an application would write; it does not see the KafkaError
        pytest.fail("except Exception caught the seed's delivery error")
    except:  # noqa: E722 -- only a bare except sees an "exception" outside the hierarchy
        raised = sys.exc_info()[1]
    finally:
        stop_polling(producer)
    assert isinstance(raised, KafkaError)
    assert not isinstance(raised, BaseException)


async def test_cancelled_send_kills_the_poll_loop(
    bootstrap: str, topic: str, loop_errors: tuple[list[dict[str, Any]], asyncio.Event]
) -> None:
    """The report for a cancelled send makes _poll_loop raise, so later sends never complete."""
    errors, arrived = loop_errors
    producer = AsyncKafkaProducer({"bootstrap.servers": bootstrap, **QUIET})
    try:
        impatient = asyncio.create_task(producer.send(topic, b"never mind"))
        await asyncio.sleep(0)  # let it produce and start waiting for its report
        impatient.cancel()
        async with asyncio.timeout(NEVER):
            await arrived.wait()  # the next poll serves the report of the cancelled send
        assert "_poll_loop" in errors[0]["message"]
        assert isinstance(errors[0]["exception"], Exception)  # InvalidStateError, as re-raised
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(3 * POLL_INTERVAL):
                await producer.send(topic, b"anyone there?")
    finally:
        stop_polling(producer)


# A whole program: produce and forget, then exit, as a logger or a short job would. It batches
# for up to a second (linger.ms), far longer than the program takes to exit.
SCRIPT = """
import asyncio, sys
from examples.kafka_seed_producer import AsyncKafkaProducer

async def main(bootstrap: str, topic: str, count: str) -> None:
    config = {"bootstrap.servers": bootstrap, "linger.ms": 1000, "log_level": 2}
    producer = AsyncKafkaProducer(config)
    for i in range(int(count)):
        producer.produce(topic, f"m{i}".encode())

asyncio.run(main(*sys.argv[1:]))
"""


def test_exiting_without_flush_loses_messages(bootstrap: str, topic: str) -> None:
    """A program that produces and exits never flushes: its batched messages never arrive."""
    count = 1000
    subprocess.run(
        [sys.executable, "-c", SCRIPT, bootstrap, topic, str(count)], check=True, timeout=NEVER
    )
    assert count_messages(bootstrap, topic) == 0
