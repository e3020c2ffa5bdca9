"""Fault tests for examples.kafka_producer: the broker disappears while sends are pending."""

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from examples.kafka_producer import AsyncProducer

pytestmark = pytest.mark.timeout(60)  # a hung send fails the test instead of stalling the suite

QUIET = {"log_level": 2}  # after the take-down librdkafka logs refused connections to fd 2
TOPIC = "faults"  # each test owns its cluster, so one name is enough
KEY = b"one-partition"  # one key: every message goes to the same partition, in order
BATCH = 10  # batch.num.messages: a full batch leaves at once, a partial one waits for linger
LINGER_MS = 1500  # how long the partial batch waits: it is pending when the broker goes
MESSAGE_TIMEOUT_MS = 2000  # librdkafka gives up on a message after this (must exceed linger)
STREAMED = 20 * BATCH  # full batches: all delivered while the broker lives
PENDING = BATCH // 2  # a partial batch, queued when the broker disappears
NEVER = 10.0  # seconds: far beyond any expected wait; only stops a broken test from hanging


@dataclass
class Reader:
    """A Consumer on its own thread, reading TOPIC from offset 0 while the cluster lives."""

    bootstrap: str
    loop: asyncio.AbstractEventLoop
    read: set[int] = field(default_factory=set)  # offsets seen; written by the reader thread
    progress: asyncio.Event = field(default_factory=asyncio.Event)  # set on the loop per batch
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": "faults",  # required by Consumer; assign() never joins the group
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,  # hand over new messages promptly
                "topic.metadata.refresh.interval.ms": 100,  # find the topic soon after creation
                **QUIET,
            }
        )
        try:
            partitions = consumer.list_topics(TOPIC, timeout=NEVER).topics[TOPIC].partitions
            consumer.assign([TopicPartition(TOPIC, p, 0) for p in partitions])
            while not self.stop.is_set():
                batch = consumer.consume(100, timeout=0.05)
                offsets = {m.offset() or 0 for m in batch if m.error() is None}
                if offsets:
                    self.read = self.read | offsets  # one rebinding: the loop sees old or new
                    self.loop.call_soon_threadsafe(self.progress.set)
        finally:
            consumer.close()


@dataclass
class Outcome:
    """What happened around the take-down."""

    delivered: list[Message]  # reported delivered before the cluster went away
    read_before: set[int]  # offsets the reader had seen at that moment
    pending: list[BaseException | Message]  # what the sends pending at take-down ended with
    close_error: BaseException | None  # what close() raised afterwards, if anything


@pytest.fixture
def cluster() -> Iterator[tuple[str, Producer]]:
    """A mock cluster owned by the test: its bootstrap servers and the handle that owns it."""
    owner = Producer({"test.mock.num.brokers": 1, "log_level": 2})
    brokers = owner.list_topics(timeout=NEVER).brokers.values()
    yield ",".join(f"{b.host}:{b.port}" for b in brokers), owner
    owner.close()  # closing an already closed handle is harmless (returns True)


async def send_batches(producer: AsyncProducer, prefix: str, batches: int) -> list[Message]:
    """Send full batches concurrently (none waits for linger.ms) and return them delivered."""
    async with asyncio.TaskGroup() as tg:
        sends = [
            tg.create_task(producer.send(TOPIC, f"{prefix}{i}", KEY))
            for i in range(batches * BATCH)
        ]
    return [s.result() for s in sends]


async def take_down_mid_stream(bootstrap: str, owner: Producer) -> Outcome:
    """Stream full batches, queue a partial one, then close the cluster's owner handle."""
    loop = asyncio.get_running_loop()
    config = {
        "bootstrap.servers": bootstrap,
        "batch.num.messages": BATCH,
        "linger.ms": LINGER_MS,
        "message.timeout.ms": MESSAGE_TIMEOUT_MS,
        **QUIET,
    }
    producer = AsyncProducer(config)
    reader = Reader(bootstrap, loop)
    try:
        async with asyncio.timeout(NEVER):
            delivered = await send_batches(producer, "w", 1)  # creates the topic
            reading = asyncio.create_task(asyncio.to_thread(reader.run))
            delivered += await send_batches(producer, "m", STREAMED // BATCH)
            pending = [
                asyncio.create_task(producer.send(TOPIC, f"p{i}", KEY)) for i in range(PENDING)
            ]
            await asyncio.sleep(0)  # each pending send queues its message in the partial batch
            wanted = {m.offset() or 0 for m in delivered}
            while not wanted <= reader.read:  # meanwhile the partial batch waits for linger.ms
                reader.progress.clear()
                await reader.progress.wait()
            read_before = set(reader.read)
            assert not any(p.done() for p in pending), "the partial batch left before the cut"
            # -- the cut: no await between the checks above and the take-down, so no send can
            #    complete in between (delivery reports are settled on this loop) --
            owner.close()  # the mock broker disappears with the handle that owns it
    finally:
        reader.stop.set()  # the reader thread ends within one consume() timeout
    async with asyncio.timeout(MESSAGE_TIMEOUT_MS / 1000 + NEVER):  # generous for a loaded CI
        results = await asyncio.gather(*pending, return_exceptions=True)
        close_error: BaseException | None = None
        try:
            await producer.close()
        except KafkaException as exc:
            close_error = exc
        await reading
    return Outcome(delivered, read_before, list(results), close_error)


async def test_pending_sends_fail_with_kafka_exception(cluster: tuple[str, Producer]) -> None:
    """Sends still queued when the broker disappears raise KafkaException instead of hanging."""
    outcome = await take_down_mid_stream(*cluster)
    assert len(outcome.pending) == PENDING
    assert all(isinstance(r, KafkaException) for r in outcome.pending), outcome.pending
    # librdkafka's verdict once message.timeout.ms has passed without a broker to send to
    assert {r.args[0].code() for r in outcome.pending if isinstance(r, KafkaException)} == {
        KafkaError._MSG_TIMED_OUT
    }


async def test_delivered_messages_were_readable(cluster: tuple[str, Producer]) -> None:
    """Every send reported delivered before the take-down was readable by a consumer."""
    outcome = await take_down_mid_stream(*cluster)
    offsets = {m.offset() or 0 for m in outcome.delivered}
    assert len(offsets) == len(outcome.delivered) == STREAMED + BATCH
    assert offsets <= outcome.read_before


async def test_close_after_the_take_down_returns(cluster: tuple[str, Producer]) -> None:
    """Once the pending sends have failed, close() has nothing left to flush and returns."""
    outcome = await take_down_mid_stream(*cluster)
    assert outcome.close_error is None
