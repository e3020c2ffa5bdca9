"""Tests for examples.kafka_producer, against librdkafka's mock cluster or a real one."""

import asyncio
import gc
import logging
import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka import TopicPartition as AIOTopicPartition
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from examples.kafka_producer import AsyncProducer

pytestmark = pytest.mark.timeout(60)  # a hung send fails the test instead of stalling the suite

QUIET = {"log_level": 2}  # librdkafka logs connection failures to fd 2; the tests expect them
MESSAGE_TIMEOUT_MS = 1500  # how long librdkafka tries an unreachable broker before failing
NEVER = 10.0  # seconds: far beyond any expected wait; only stops a broken test from hanging
SMALL_QUEUE = {"queue.buffering.max.messages": 5}  # librdkafka's queue: BufferError beyond it
KEY = b"one-partition"  # one key: every message goes to the same partition, in order


def read_back(bootstrap: str, topic: str, count: int) -> list[Message]:
    """Read up to `count` messages of `topic` from offset 0 with a confluent Consumer."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "tests", "enable.auto.commit": False, **QUIET}
    )
    try:
        partitions = consumer.list_topics(topic, timeout=NEVER).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        messages: list[Message] = []
        deadline = time.monotonic() + NEVER
        while len(messages) < count and time.monotonic() < deadline:
            batch = consumer.consume(count - len(messages), timeout=0.5)
            messages += [m for m in batch if m.error() is None]
        return messages
    finally:
        consumer.close()


async def read_back_aiokafka(
    bootstrap: str, topic: str, partitions: set[int], count: int
) -> list[Any]:
    """Read up to `count` messages from offset 0 of `partitions` with aiokafka's consumer."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        assigned = [AIOTopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        for tp in assigned:
            consumer.seek(tp, 0)
        records: list[Any] = []
        async with asyncio.timeout(NEVER):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records += batch
        return records
    finally:
        await consumer.stop()


async def test_send_returns_the_delivered_message(bootstrap: str, topic: str) -> None:
    """An awaited send returns the message with the topic, partition and offset it got."""
    async with AsyncProducer({"bootstrap.servers": bootstrap}) as producer:
        delivered = await producer.send(topic, b"hello", key=b"greeting")
    assert delivered.topic() == topic
    assert delivered.value() == b"hello"
    assert delivered.key() == b"greeting"
    assert (delivered.partition() or 0) >= 0
    assert delivered.offset() == 0  # first message of a fresh topic partition


async def test_messages_round_trip_to_a_confluent_consumer(bootstrap: str, topic: str) -> None:
    """Concurrent sends all arrive, at the offsets send() reported, for an independent Consumer."""
    count = 50
    config = {"bootstrap.servers": bootstrap}
    async with AsyncProducer(config) as producer, asyncio.TaskGroup() as tg:
        sends = [tg.create_task(producer.send(topic, f"m{i}", f"k{i}")) for i in range(count)]
    received = await asyncio.to_thread(read_back, bootstrap, topic, count)
    expected = sorted(f"m{i}".encode() for i in range(count))
    assert sorted(m.value() or b"" for m in received) == expected
    assert {(m.key(), m.partition(), m.offset()) for m in received} == {
        (s.result().key(), s.result().partition(), s.result().offset()) for s in sends
    }


async def test_messages_round_trip_to_aiokafka(bootstrap: str, topic: str) -> None:
    """Messages sent through the bridge are read back by aiokafka's AIOKafkaConsumer."""
    count = 20
    config = {"bootstrap.servers": bootstrap}
    async with AsyncProducer(config) as producer, asyncio.TaskGroup() as tg:
        sends = [tg.create_task(producer.send(topic, f"m{i}")) for i in range(count)]
    partitions = {s.result().partition() or 0 for s in sends}
    records = await read_back_aiokafka(bootstrap, topic, partitions, count)
    assert sorted(r.value for r in records) == sorted(f"m{i}".encode() for i in range(count))


async def test_unreachable_broker_raises_kafka_exception(unreachable: str, topic: str) -> None:
    """With no broker, send() raises KafkaException once message.timeout.ms passes, never hangs."""
    config = {"bootstrap.servers": unreachable, "message.timeout.ms": MESSAGE_TIMEOUT_MS, **QUIET}
    async with AsyncProducer(config) as producer:
        with pytest.raises(KafkaException) as raised:
            async with asyncio.timeout(NEVER):
                await producer.send(topic, b"hello?")
    error = raised.value.args[0]
    assert isinstance(error, KafkaError)
    assert error.code() == KafkaError._MSG_TIMED_OUT


async def test_cancelled_send_leaves_the_producer_working(
    bootstrap: str, topic: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Cancelling a send while its report is pending breaks neither later sends nor the loop."""
    caplog.set_level(logging.ERROR, logger="asyncio")  # "Exception in callback settle(...)"
    async with AsyncProducer({"bootstrap.servers": bootstrap}) as producer:
        impatient = asyncio.create_task(producer.send(topic, b"never mind"))
        await asyncio.sleep(0)  # let it produce and start waiting for its report
        impatient.cancel()
        with pytest.raises(asyncio.CancelledError):
            await impatient
        async with asyncio.timeout(NEVER):
            delivered = [await producer.send(topic, f"after {i}") for i in range(3)]
    assert [m.value() for m in delivered] == [b"after 0", b"after 1", b"after 2"]
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def test_close_delivers_every_message_in_flight(bootstrap: str, topic: str) -> None:
    """close() flushes: thousands of sends still waiting when it is called all get delivered."""
    count = 3000
    producer = AsyncProducer({"bootstrap.servers": bootstrap})
    sends = [asyncio.create_task(producer.send(topic, f"m{i}")) for i in range(count)]
    await asyncio.sleep(0)  # every send has produced; hardly any report is back yet
    await producer.close()
    delivered = await asyncio.gather(*sends)
    assert len({(m.partition(), m.offset()) for m in delivered}) == count
    assert len(await asyncio.to_thread(read_back, bootstrap, topic, count)) == count


# A whole program that batches for up to a second (linger.ms), then leaves the block and exits.
SCRIPT = """
import asyncio, sys
from examples.kafka_producer import AsyncProducer

async def main(bootstrap: str, topic: str, count: str) -> None:
    config = {"bootstrap.servers": bootstrap, "linger.ms": 1000, "log_level": 2}
    async with AsyncProducer(config) as producer:
        sends = [asyncio.create_task(producer.send(topic, str(i))) for i in range(int(count))]
        await asyncio.sleep(0)
    await asyncio.gather(*sends)

asyncio.run(main(*sys.argv[1:]))
"""


def test_program_exiting_after_async_with_delivers_everything(bootstrap: str, topic: str) -> None:
    """Leaving `async with` flushes, so a program that exits right after loses nothing."""
    count = 1000
    subprocess.run(
        [sys.executable, "-c", SCRIPT, bootstrap, topic, str(count)], check=True, timeout=NEVER
    )
    assert len(read_back(bootstrap, topic, count)) == count


async def test_close_fails_the_undeliverable_sends(unreachable: str, topic: str) -> None:
    """If flush() times out, close() raises and the waiting sends fail instead of hanging."""
    producer = AsyncProducer({"bootstrap.servers": unreachable, **QUIET})
    sends = [asyncio.create_task(producer.send(topic, f"m{i}")) for i in range(3)]
    await asyncio.sleep(0)  # all three are queued, none can be delivered
    with pytest.raises(KafkaException, match="3 message"):
        await producer.close(flush_timeout=0.5)
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert all(isinstance(r, KafkaException) for r in results)


async def test_send_after_close_raises(bootstrap: str, topic: str) -> None:
    """A closed producer refuses new messages instead of queueing them for nobody."""
    producer = AsyncProducer({"bootstrap.servers": bootstrap})
    await producer.close()
    with pytest.raises(RuntimeError, match="closed"):
        await producer.send(topic, b"too late")


def test_construction_needs_a_running_loop(bootstrap: str) -> None:
    """Built outside a running event loop, the producer refuses instead of never polling."""
    with pytest.raises(RuntimeError, match="no running event loop"):
        AsyncProducer({"bootstrap.servers": bootstrap})


async def test_clean_under_asyncio_debug_mode(
    bootstrap: str, topic: str, caplog: pytest.LogCaptureFixture
) -> None:
    """In debug mode: no slow callbacks, no unretrieved exceptions, no thread-safety errors."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)  # also makes non-thread-safe calls from the poll thread raise
    # A blocking call (a flush, a poll with a timeout) holds the loop for a second or more; the
    # default 0.1 s also catches a step merely descheduled while other test processes run.
    loop.slow_callback_duration = 0.5
    caplog.set_level(logging.WARNING, logger="asyncio")
    async with AsyncProducer({"bootstrap.servers": bootstrap, **SMALL_QUEUE}) as producer:
        impatient = asyncio.create_task(producer.send(topic, b"never mind"))
        await asyncio.sleep(0)
        impatient.cancel()
        async with asyncio.timeout(NEVER), asyncio.TaskGroup() as tg:
            for i in range(20):  # debug mode records a traceback per task: keep steps short
                tg.create_task(producer.send(topic, f"m{i}"))
        async with asyncio.timeout(NEVER):  # and plain futures, some waiting for room
            await asyncio.gather(*(producer.produce(topic, f"p{i}") for i in range(20)))
    del impatient
    gc.collect()  # "never retrieved" is logged when an unobserved failed future is collected
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def test_produce_returns_a_future_of_the_delivered_message(
    bootstrap: str, topic: str
) -> None:
    """produce() is a plain method: it returns an asyncio.Future that resolves to the message."""
    async with AsyncProducer({"bootstrap.servers": bootstrap}) as producer:
        future = producer.produce(topic, b"hello", key=b"greeting")
        assert isinstance(future, asyncio.Future)
        delivered = await future
    assert (delivered.topic(), delivered.value(), delivered.key()) == (topic, b"hello", b"greeting")


async def test_gathered_produce_starts_no_task(bootstrap: str, topic: str) -> None:
    """Gathering produce() futures creates no task per message, unlike gathering send()."""
    count = 1000
    async with AsyncProducer({"bootstrap.servers": bootstrap}) as producer:
        before = len(asyncio.all_tasks())
        futures = [producer.produce(topic, f"m{i}") for i in range(count)]
        gathering = asyncio.gather(*futures)
        assert len(asyncio.all_tasks()) == before
        delivered = await gathering
    assert len({(m.partition(), m.offset()) for m in delivered}) == count


async def test_cancelling_the_awaiting_task_cancels_the_future(
    bootstrap: str, topic: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A task awaiting a produce() future cancels it; its late report is skipped, not an error."""
    caplog.set_level(logging.ERROR, logger="asyncio")
    async with AsyncProducer({"bootstrap.servers": bootstrap}) as producer:
        future = producer.produce(topic, b"never mind")
        waiter = asyncio.create_task(asyncio.wait_for(future, NEVER))
        await asyncio.sleep(0)  # the task starts awaiting the future
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert future.cancelled()
        async with asyncio.timeout(NEVER):
            after = await producer.send(topic, b"after")
    assert after.value() == b"after"
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_a_small_queue_makes_plain_produce_raise_buffer_error(bootstrap: str, topic: str) -> None:
    """The premise of the tests below: librdkafka refuses more than its queue holds."""
    producer = Producer({"bootstrap.servers": bootstrap, **SMALL_QUEUE})
    try:
        for i in range(SMALL_QUEUE["queue.buffering.max.messages"]):
            producer.produce(topic, f"m{i}")
        with pytest.raises(BufferError):
            producer.produce(topic, "one too many")
    finally:
        producer.flush(NEVER)


async def test_full_queue_makes_messages_wait_in_order(bootstrap: str, topic: str) -> None:
    """With far more sends than librdkafka's queue holds, all arrive, in the order produced."""
    count = 50 * SMALL_QUEUE["queue.buffering.max.messages"]
    config = {"bootstrap.servers": bootstrap, **SMALL_QUEUE}
    async with AsyncProducer(config) as producer:
        async with asyncio.timeout(NEVER):
            delivered = await asyncio.gather(
                *(producer.produce(topic, f"m{i}", KEY) for i in range(count))
            )
        async with asyncio.timeout(NEVER), asyncio.TaskGroup() as tg:  # send() waits too
            sent = [tg.create_task(producer.send(topic, f"s{i}", KEY)) for i in range(count)]
    assert [m.offset() for m in delivered] == list(range(count))
    assert [s.result().offset() for s in sent] == list(range(count, 2 * count))
    assert len(await asyncio.to_thread(read_back, bootstrap, topic, 2 * count)) == 2 * count


async def test_message_cancelled_while_waiting_for_room_is_never_sent(
    bootstrap: str, topic: str
) -> None:
    """A future cancelled before librdkafka had room for its message means nothing is sent."""
    config = {"bootstrap.servers": bootstrap, "queue.buffering.max.messages": 1, "linger.ms": 200}
    async with AsyncProducer(config) as producer:
        first = producer.produce(topic, b"first")  # fills the queue for up to linger.ms
        waiting = producer.produce(topic, b"cancelled")
        waiting.cancel()
        last = producer.produce(topic, b"last")
        async with asyncio.timeout(NEVER):
            await asyncio.gather(first, last)
    received = await asyncio.to_thread(read_back, bootstrap, topic, 3)
    assert sorted(m.value() or b"" for m in received) == [b"first", b"last"]


async def test_close_delivers_the_messages_waiting_for_room(bootstrap: str, topic: str) -> None:
    """close() right after producing more than the queue holds still delivers every message."""
    count = 20 * SMALL_QUEUE["queue.buffering.max.messages"]
    producer = AsyncProducer({"bootstrap.servers": bootstrap, **SMALL_QUEUE})
    futures = [producer.produce(topic, f"m{i}") for i in range(count)]
    await producer.close()
    assert all(f.done() for f in futures)
    assert len({(f.result().partition(), f.result().offset()) for f in futures}) == count


async def test_close_fails_messages_that_never_got_room(unreachable: str, topic: str) -> None:
    """With no broker, close() fails both the queued message and those waiting behind it."""
    config = {"bootstrap.servers": unreachable, "queue.buffering.max.messages": 1, **QUIET}
    producer = AsyncProducer(config)
    futures = [producer.produce(topic, f"m{i}") for i in range(3)]  # one queued, two waiting
    with pytest.raises(KafkaException, match="3 message"):
        await producer.close(flush_timeout=0.5)
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(r, KafkaException) for r in results), results


async def test_produce_error_is_raised_by_its_future(bootstrap: str, topic: str) -> None:
    """A message librdkafka refuses outright (too large) fails its own future, not the others."""
    config = {"bootstrap.servers": bootstrap, "message.max.bytes": 1000}
    async with AsyncProducer(config) as producer:
        too_large = producer.produce(topic, b"x" * 2000)
        fine = producer.produce(topic, b"fine")
        with pytest.raises(KafkaException) as raised:
            await too_large
        assert (await fine).value() == b"fine"
    assert raised.value.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE


async def test_produce_after_close_raises(bootstrap: str, topic: str) -> None:
    """A closed producer's produce() refuses at once rather than returning a future."""
    producer = AsyncProducer({"bootstrap.servers": bootstrap})
    await producer.close()
    with pytest.raises(RuntimeError, match="closed"):
        producer.produce(topic, b"too late")


def test_running_the_module_says_what_it_sent_where(bootstrap: str) -> None:
    """`python -m examples.kafka_producer` prints the count, topic, cluster, time and partitions."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    result = subprocess.run(
        [sys.executable, "-m", "examples.kafka_producer"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=NEVER,
    )
    first, *partitions = result.stdout.splitlines()
    assert re.fullmatch(rf"sent 1000 messages to topic '[\w-]+' on {bootstrap} in [\d.]+ s", first)
    counts = [
        re.fullmatch(r"  partition \d+: (\d+) messages, offsets \d+-\d+", p) for p in partitions
    ]
    assert sum(int(match[1]) for match in counts if match) == 1000
