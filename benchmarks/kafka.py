"""Kafka producers against librdkafka's mock cluster: awaited one at a time, and 10k gathered.

    python -m benchmarks.kafka [--messages N] [--repeats N]

The producers: the talk's bridge (examples.kafka_producer), the seed talk's design
(examples.kafka_seed_producer), confluent_kafka.aio.AIOProducer when the installed
confluent-kafka has it, and a plain synchronous produce + flush, the practical limit.
"""

import argparse
import asyncio
import importlib.metadata
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Message, Producer

from benchmarks.common import median, percentile, run_main, seconds, table
from examples.kafka_cluster import kafka_cluster
from examples.kafka_producer import AsyncProducer
from examples.kafka_seed_producer import AsyncKafkaProducer

DESCRIPTION = "Kafka producers against the mock cluster: one at a time, and 10k gathered."
VALUE = b"x" * 100  # bytes per message
WARM_UP = 20  # messages sent first and not timed: topic creation, metadata, connections
GATHERED = 10_000  # messages in flight at once for the throughput runs
GUARD = 120.0  # seconds: only stops a hung producer from stalling `make bench`
Send = Callable[[bytes], Awaitable[object]]
Opener = Callable[[dict[str, Any], str], AbstractAsyncContextManager[Send]]


@asynccontextmanager
async def bridge(config: dict[str, Any], topic: str) -> AsyncIterator[Send]:
    async with AsyncProducer(config) as producer:

        async def send(value: bytes) -> object:
            return await producer.send(topic, value)

        yield send


@asynccontextmanager
async def seed(config: dict[str, Any], topic: str) -> AsyncIterator[Send]:
    producer = AsyncKafkaProducer(config, asyncio.get_running_loop())
    try:

        async def send(value: bytes) -> object:
            await producer.send(topic, value)  # its future's result is None
            return None

        yield send
    finally:
        producer._poll_handle.cancel()  # what its __del__ would do, some time later
        await asyncio.to_thread(producer.flush, 10)


@asynccontextmanager
async def bridge_futures(config: dict[str, Any], topic: str) -> AsyncIterator[Send]:
    """The bridge's produce(): a plain future per message, so gather makes no task for it."""
    async with AsyncProducer(config) as producer:

        def send(value: bytes) -> asyncio.Future[Message]:
            return producer.produce(topic, value)

        yield send


@asynccontextmanager
async def asyncio_alone(config: dict[str, Any], topic: str) -> AsyncIterator[Send]:
    """No Kafka at all: a coroutine that awaits a future the loop resolves at once."""
    loop = asyncio.get_running_loop()

    async def send(value: bytes) -> object:
        future: asyncio.Future[object] = loop.create_future()
        loop.call_soon(future.set_result, None)
        return await future

    yield send


def aio_producer(**options: Any) -> Opener:
    @asynccontextmanager
    async def open_aio(config: dict[str, Any], topic: str) -> AsyncIterator[Send]:
        from confluent_kafka.aio import AIOProducer

        producer = AIOProducer(config, **options)
        try:

            async def send(value: bytes) -> object:
                delivered = await producer.produce(topic, value)
                return await delivered

            yield send
        finally:
            await producer.close()

    return open_aio


def has_aio_producer() -> bool:
    try:
        from confluent_kafka.aio import AIOProducer  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Result:
    name: str
    latencies: list[float]
    rates: list[float]


async def measure_async(
    name: str, opener: Opener, config: dict[str, Any], awaited: int, repeats: int
) -> Result:
    async with asyncio.timeout(GUARD), opener(config, f"bench-{uuid.uuid4().hex}") as send:
        for _ in range(min(WARM_UP, awaited)):
            await send(VALUE)
        latencies = []
        for _ in range(awaited):
            started = time.perf_counter()
            await send(VALUE)
            latencies.append(time.perf_counter() - started)
        rates = []
        for _ in range(repeats):
            started = time.perf_counter()
            await asyncio.gather(*(send(VALUE) for _ in range(GATHERED)))
            rates.append(GATHERED / (time.perf_counter() - started))
    return Result(name, latencies, rates)


def measure_sync(config: dict[str, Any], awaited: int, repeats: int) -> Result:
    """Producer.produce + flush per message, then GATHERED produces and one flush."""
    producer = Producer(config)
    topic = f"bench-{uuid.uuid4().hex}"
    for _ in range(WARM_UP):
        producer.produce(topic, VALUE)
        producer.flush(GUARD)
    latencies = []
    for _ in range(awaited):
        started = time.perf_counter()
        producer.produce(topic, VALUE)
        producer.flush(GUARD)
        latencies.append(time.perf_counter() - started)
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(GATHERED):
            producer.produce(topic, VALUE)
            producer.poll(0)  # serve delivery reports as they come, as a real producer must
        if producer.flush(GUARD):
            raise RuntimeError("the sync producer did not deliver everything")
        rates.append(GATHERED / (time.perf_counter() - started))
    return Result("sync produce + flush", latencies, rates)


def row(result: Result) -> list[str]:
    latencies, rates = result.latencies, result.rates
    return [
        result.name,
        seconds(percentile(latencies, 0.5)),
        seconds(percentile(latencies, 0.99)),
        str(len(latencies)),
        f"{median(rates) / 1000:.1f}k ({min(rates) / 1000:.0f}k-{max(rates) / 1000:.0f}k)",
        str(len(rates)),
    ]


def measure(messages: int, repeats: int) -> Iterator[str]:
    results: list[Result] = []
    with kafka_cluster() as bootstrap:
        config = {"bootstrap.servers": bootstrap, "linger.ms": 0}
        slow = max(5, messages // 100)  # the designs that wait up to a second per message
        kinds: list[tuple[str, Opener, int]] = [
            ("talk's bridge (examples.kafka_producer)", bridge, messages),
            ("talk's bridge, produce() futures (no task each)", bridge_futures, messages),
            ("seed's design (examples.kafka_seed_producer)", seed, slow),
        ]
        if has_aio_producer():
            kinds += [
                ("confluent_kafka.aio.AIOProducer, defaults", aio_producer(), slow),
                ("AIOProducer(batch_size=1)", aio_producer(batch_size=1), slow),
            ]
        for name, opener, awaited in kinds:
            results.append(asyncio.run(measure_async(name, opener, config, awaited, repeats)))
        results.append(measure_sync(config, messages, repeats))
        floor = "asyncio alone: a coroutine awaiting a future set by call_soon"
        results.append(asyncio.run(measure_async(floor, asyncio_alone, config, messages, repeats)))
    yield table(
        "Kafka producers against librdkafka's mock cluster (linger.ms=0)",
        [
            "producer",
            "one at a time p50",
            "p99",
            "sends",
            f"{GATHERED // 1000}k gathered, msg/s (range)",
            "runs",
        ],
        [row(result) for result in results],
        [
            f"One at a time: each send awaited before the next ({len(VALUE)}-byte values, after "
            f"{WARM_UP} untimed sends, or as many as are timed). Gathered: {GATHERED} sends in "
            "one asyncio.gather; for the sync producer, produce + poll(0) in a loop, then flush.",
            "The seed polls once a second and AIOProducer flushes its buffer after batch_size "
            "messages (default 1000) or a second idle, so they get few one-at-a-time sends.",
            "The bridge's send() is a coroutine, so gathering it makes a task per message; its "
            "produce() returns a plain future, which gather awaits without one. The last row "
            "is the cost of a task per message with no Kafka at all.",
            f"confluent-kafka {confluent_version()}.",
        ],
    )


def confluent_version() -> str:
    from confluent_kafka import libversion

    return f"{importlib.metadata.version('confluent-kafka')}, librdkafka {libversion()[0]}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--messages", type=int, default=1000, help="one-at-a-time sends")
    parser.add_argument("--repeats", type=int, default=5, help="gathered runs of each")
    args = parser.parse_args(argv)
    run_main("Kafka", measure(args.messages, args.repeats))


if __name__ == "__main__":
    main()
