"""examples.kafka_producer under cancellation and thread races: close() and the report hand-over."""

import asyncio
import contextlib
import functools
import sys
import threading
import time
from types import FrameType
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Message, Producer

from examples import kafka_producer
from examples.kafka_producer import AsyncProducer, PollThread, Report

pytestmark = pytest.mark.timeout(120)  # a hung close fails the test instead of stalling the suite

QUIET = {"log_level": 2}  # librdkafka logs refused connections to fd 2; the tests expect them
NEVER = 10.0  # seconds: far beyond any expected wait; only stops a broken test from hanging
SENT = 3  # messages each close test leaves pending
ROUNDS = 20  # produce-then-flush rounds of the race test
PER_ROUND = 100  # messages per round
SWITCH = 0.0001  # seconds the traced flush thread sleeps before each bytecode of on_delivery


def poll_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "kafka-poll" and t.is_alive()}


def settled(futures: list[asyncio.Future[Message]]) -> bool:
    """Every future is done: failed with KafkaException, or cancelled (none can be delivered)."""
    return all(f.cancelled() or isinstance(f.exception(), KafkaException) for f in futures)


async def test_timed_out_close_leaves_no_poll_thread_and_no_pending_future(
    unreachable: str, topic: str
) -> None:
    """asyncio.timeout around `async with` cuts close() short: the thread stops, futures settle."""
    before = poll_threads()
    futures: list[asyncio.Future[Message]] = []

    async def produce_and_leave() -> None:
        async with AsyncProducer({"bootstrap.servers": unreachable, **QUIET}) as producer:
            futures.extend(producer.produce(topic, f"m{i}") for i in range(SENT))

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):  # far less than close()'s flush_timeout of 30 s
            await produce_and_leave()
    assert poll_threads() - before == set()
    assert len(futures) == SENT
    assert all(f.done() for f in futures), futures
    errors = [f.exception() for f in futures]
    assert all(isinstance(e, KafkaException) for e in errors), errors
    # purged, not delivered: what the timeout interrupted says so
    assert {e.args[0].code() for e in errors if isinstance(e, KafkaException)} == {
        KafkaError._PURGE_QUEUE
    }


@pytest.mark.parametrize("room", [False, True], ids=["flushing", "waiting-for-room"])
@pytest.mark.parametrize("steps", [0, 1, 2, 5])
@pytest.mark.parametrize("twice", [False, True], ids=["once", "twice"])
async def test_close_cancelled_at_any_point_is_finished_by_the_next_close(
    unreachable: str, topic: str, room: bool, steps: int, twice: bool
) -> None:
    """Cancelled (once, or again while it stops), a later close() leaves no thread, no future."""
    before = poll_threads()
    config: dict[str, Any] = {"bootstrap.servers": unreachable, **QUIET}
    if room:  # one message fits in librdkafka's queue; the others wait in the outbox
        config["queue.buffering.max.messages"] = 1
    producer = AsyncProducer(config)
    futures = [producer.produce(topic, f"m{i}") for i in range(SENT)]
    closing = asyncio.create_task(producer.close(flush_timeout=NEVER))
    for _ in range(steps):  # each step lets close() run on to its next await
        await asyncio.sleep(0)
    closing.cancel()
    if twice:  # and once more, while the first cancellation is being handled
        await asyncio.sleep(0)
        closing.cancel()
    async with asyncio.timeout(NEVER):
        await asyncio.wait([closing])
        with contextlib.suppress(KafkaException):  # nothing can be delivered: it may say so
            await producer.close(flush_timeout=0.2)  # finishes the job, however far the first got
    assert closing.cancelled()
    assert poll_threads() - before == set()
    assert settled(futures), futures
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_close_after_a_finished_close_returns(bootstrap: str, topic: str) -> None:
    """A second close() after a complete one has nothing to do and raises nothing."""
    producer = AsyncProducer({"bootstrap.servers": bootstrap})
    delivered = await producer.send(topic, b"hello")
    await producer.close()
    await producer.close()
    assert delivered.value() == b"hello"


class FlushRecorder(Producer):
    """A Producer that notes the timeout of every flush() call."""

    timeouts: list[float]

    def flush(self, timeout: float = -1) -> int:
        self.timeouts.append(timeout)
        return super().flush(timeout)


async def test_close_is_bounded_by_one_flush_timeout(
    unreachable: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting for room and flushing share one budget: the flush gets what the wait left."""
    timeouts: list[float] = []
    monkeypatch.setattr(FlushRecorder, "timeouts", timeouts, raising=False)
    monkeypatch.setattr(kafka_producer, "Producer", FlushRecorder)
    config = {"bootstrap.servers": unreachable, "queue.buffering.max.messages": 1, **QUIET}
    producer = AsyncProducer(config)
    futures = [producer.produce(topic, f"m{i}") for i in range(SENT)]  # one queued, two waiting
    with pytest.raises(KafkaException, match=f"{SENT} message\\(s\\) not delivered within 0.5 s"):
        await producer.close(flush_timeout=0.5)  # the two never get room: the wait takes it all
    assert timeouts == [pytest.approx(0.0, abs=0.01)]  # not another 0.5 s on top
    assert settled(futures)


def flush_preempted(producer: Producer) -> int:
    """producer.flush(), with this thread stepping aside before every bytecode of on_delivery.

    A free-threaded Python (3.13t, 3.14t) may run another thread between any two bytecodes; the
    GIL build only switches at a few. Sleeping at each one makes this thread behave like the
    former, so a hand-over that relies on where the GIL switches is caught losing reports.
    """

    def each_opcode(frame: FrameType, event: str, arg: object) -> Any:
        if event == "opcode":
            time.sleep(SWITCH)
        return each_opcode

    def on_call(frame: FrameType, event: str, arg: object) -> Any:
        if frame.f_code.co_name != "on_delivery":
            return None
        frame.f_trace_opcodes = True
        return each_opcode

    sys.settrace(on_call)
    try:
        return producer.flush(NEVER)
    finally:
        sys.settrace(None)


async def test_racing_flush_and_poll_threads_lose_no_report(
    bootstrap: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reports served by flush() in a worker thread while the poll thread hands over all arrive."""
    monkeypatch.setattr(kafka_producer, "POLL_TIMEOUT", 0.001)  # many hand-overs per second
    loop = asyncio.get_running_loop()
    handed: list[Report] = []
    producer = Producer({"bootstrap.servers": bootstrap, **QUIET})
    poller = PollThread(producer, handed.extend)
    try:
        for _ in range(ROUNDS):
            for i in range(PER_ROUND):
                callback = functools.partial(poller.on_delivery, loop.create_future())
                producer.produce(topic, f"m{i}", on_delivery=callback)
            assert await asyncio.to_thread(flush_preempted, producer) == 0
    finally:
        await poller.stop()
        producer.close()
    assert len(handed) == ROUNDS * PER_ROUND
    assert len({id(future) for future, _, _ in handed}) == ROUNDS * PER_ROUND
