# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=4
# # Example time: Kafka
#
# Bridging a callback-based library with `asyncio`
#
# - `confluent-kafka` wraps librdkafka (C): fast, battle-tested, and not async at all
# - `produce()` only *queues* a message; librdkafka's own threads send it
# - the outcome arrives as a **delivery report**: a callback that runs *inside* `poll()` or
#   `flush()`, in whichever thread called them
#
# What we want: `message = await producer.send(topic, value)`

# %% [markdown] slideshow={"slide_type": "notes"}
# The third item on the seed's "Example time" list. This is the real-world version of the
# future/executor slides: a library that calls you back from somewhere else, and a future as
# the bridge between that callback and a coroutine.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## No broker? librdkafka brings its own
#
# `test.mock.num.brokers` starts a mock cluster *inside* a client: real TCP listeners on
# 127.0.0.1 that any client can use while that handle lives. Set `KAFKA_BOOTSTRAP_SERVERS` to
# use a real cluster instead.

# %% tags=["example:kafka_cluster"] steps="1-7|10-15|16-22"
import os
from collections.abc import Iterator
from contextlib import contextmanager

from confluent_kafka import Producer

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"  # set it to use a real cluster instead of the mock


@contextmanager
def kafka_cluster() -> Iterator[str]:
    """Yield bootstrap servers: a real cluster from the environment, else a mock we own."""
    if servers := os.environ.get(BOOTSTRAP_ENV):
        yield servers
        return
    # log_level 4 hides librdkafka's "mock cluster enabled" notice; warnings still show
    owner = Producer({"test.mock.num.brokers": 1, "log_level": 4})
    try:
        brokers = owner.list_topics(timeout=10).brokers.values()
        yield ",".join(f"{broker.host}:{broker.port}" for broker in brokers)
    finally:
        owner.close()  # the mock brokers shut down with the handle that owns them


# %% slideshow={"slide_type": "subslide"} tags=["backup"]
import asyncio
import contextlib
import socket
import statistics
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

deck = contextlib.ExitStack()  # holds the mock cluster for as long as this kernel runs
bootstrap = deck.enter_context(kafka_cluster())
print("bootstrap servers:", bootstrap)


# %% tags=["remove-cell"]
# Slide-only helpers: count what reached the cluster, find a port nobody listens on, and
# catch errors the event loop would otherwise only log.
QUIET = {"log_level": 2}  # librdkafka writes its logs straight to fd 2; keep them off the slides


def config(**overrides: object) -> dict[str, object]:
    """Producer settings for the demos: our cluster, librdkafka's logs kept quiet."""
    return {"bootstrap.servers": bootstrap, **QUIET, **overrides}


def count_messages(topic: str) -> int:
    """How many messages the cluster holds for `topic`: the sum of its high watermarks."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "deck", **QUIET})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        )
    finally:
        consumer.close()


def closed_port() -> int:
    """A port on 127.0.0.1 with nobody listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def loop_errors() -> Iterator[tuple[list[dict[str, object]], asyncio.Event]]:
    """Collect what the running loop's exception handler receives, instead of logging it."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    arrived = asyncio.Event()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        errors.append(context)
        arrived.set()

    previous = loop.get_exception_handler()
    loop.set_exception_handler(handler)
    try:
        yield errors, arrived
    finally:
        loop.set_exception_handler(previous)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## The original bridge
#
# The seed's code, fixed only enough to run and type-check (`bytes` instead of `dict`, type
# hints). **Don't copy this one.**

# %% tags=["example:kafka_seed_producer"] steps="8-17|19-22|24-31|33-39|41-42"
import asyncio
import functools
from typing import Any

from confluent_kafka import KafkaError, Message, Producer


class AsyncKafkaProducer(Producer):
    """The seed talk's Kafka bridge, kept with its bugs to show what goes wrong."""

    def __init__(
        self, config: dict[str, Any], loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        super().__init__(config)
        if loop is None:
            loop = asyncio.get_event_loop()  # legacy: outside a loop this never runs the poll
        self._poll_handle: asyncio.Handle = loop.call_soon(self._poll_loop)

    def _poll_loop(self) -> None:
        loop = asyncio.get_running_loop()
        self.poll(0)  # delivery reports are only served here: once a second
        self._poll_handle = loop.call_later(1, self._poll_loop)

    def _send_callback(
        self, future: asyncio.Future[None], err: KafkaError | None, msg: Message
    ) -> None:
        if err is not None:
            # the bug: KafkaError is no exception
            future.set_exception(err)  # type: ignore[arg-type]
        else:
            future.set_result(None)  # InvalidStateError if the sender was cancelled

    async def send(self, topic: str, message: bytes) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        on_delivery_cb = functools.partial(self._send_callback, fut)
        self.produce(topic, message, callback=on_delivery_cb)
        loop.call_soon(self.poll, 0)
        return await fut

    def __del__(self) -> None:
        self._poll_handle.cancel()


# %% [markdown] slideshow={"slide_type": "notes"}
# Walk through it: the future is smuggled into the callback with functools.partial, the poll
# loop reschedules itself with call_later, and send() polls once right after producing (too
# early: the broker has not answered yet). Four things go wrong; let's measure each one.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Problem 1: one message a second

# %%
SENDS = 5  # sequential sends: each waits for the previous one's acknowledgement

seed = AsyncKafkaProducer(config())
start = time.perf_counter()
for i in range(SENDS):
    await seed.send("seed-latency", f"message {i}".encode())
seed_latency = (time.perf_counter() - start) / SENDS
print(f"seed: {seed_latency * 1000:.0f} ms per message")
seed._poll_handle.cancel()  # what __del__ was meant to do: the poll loop keeps `seed` alive

# %% [markdown] slideshow={"slide_type": "fragment"}
# The broker answers in milliseconds; the report then sits in librdkafka's queue until the
# next `poll()`, up to a second later. The `poll(0)` in `send()` runs before the answer exists.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Problem 2: an error that is not an exception
#
# Nobody listens on the port, so the message times out after `message.timeout.ms`.

# %%
broken = AsyncKafkaProducer(config(**{
    "bootstrap.servers": f"127.0.0.1:{closed_port()}",
    "message.timeout.ms": 1500,  # give up on the message after 1.5 s
}))
try:
    await broken.send("seed-errors", b"hello?")
except Exception as exc:
    print("except Exception caught:", repr(exc))
except:  # noqa: E722 -- only a bare except sees what comes out
    err = sys.exc_info()[1]
    print("slipped past `except Exception`:")
    print(f"  {err!r}")
    print("isinstance(err, BaseException):", isinstance(err, BaseException))
broken._poll_handle.cancel()

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Problem 2: why it slips through
#
# `KafkaError` is an error *code*, not an exception. CPython's C code accepts it as one anyway
# (its type carries the "exception" flag), but it is no subclass of `BaseException`: every
# `except Exception` in your program lets it through.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Problem 3: one cancelled send stops everything

# %%
victim = AsyncKafkaProducer(config())
with loop_errors() as (errors, arrived):
    impatient = asyncio.create_task(victim.send("seed-cancel", b"never mind"))
    await asyncio.sleep(0)  # let it produce; now it waits for its report
    impatient.cancel()
    await arrived.wait()  # the next poll serves the report for the cancelled future
for context in errors:
    print(context["message"])
    print(repr(context["exception"]))

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Problem 3: and the next send?

# %%
try:
    async with asyncio.timeout(3):  # three poll intervals
        await victim.send("seed-cancel", b"anyone there?")
    seed_after_cancel = "the next send completes"
except TimeoutError:
    seed_after_cancel = "the poll loop is dead: the next send never completes"
print(seed_after_cancel)

# %% [markdown] slideshow={"slide_type": "fragment"}
# `set_result()` on a cancelled future raises `InvalidStateError` inside the callback;
# `poll()` re-raises it (this confluent-kafka version garbles it into the `SystemError`
# above), and `_poll_loop()` never reschedules itself. A timeout is a cancellation too.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Problem 4: no flush, no messages
#
# A program that fires off messages and exits, with a producer tuned for throughput: it
# batches for up to half a second (`linger.ms`) before sending.

# %% slideshow={"slide_type": "subslide"} tags=["backup"]
LOST = 1000  # messages each script produces before it exits
LINGER_MS = 500  # librdkafka waits this long to fill a batch (the default is 5 ms)

SEED_SCRIPT = """
import asyncio, sys
from examples.kafka_seed_producer import AsyncKafkaProducer

async def main(bootstrap: str, topic: str, count: str, linger_ms: str) -> None:
    config = {"bootstrap.servers": bootstrap, "linger.ms": linger_ms, "log_level": 2}
    producer = AsyncKafkaProducer(config)
    sends = [asyncio.create_task(producer.send(topic, f"message {i}".encode()))
             for i in range(int(count))]  # fire and forget: never awaited
    await asyncio.sleep(0)  # each send queues its message, then waits for its report

asyncio.run(main(*sys.argv[1:]))  # then the program ends: nobody flushed
"""


# %% slideshow={"slide_type": "subslide"} tags=["backup"]
async def run_script(source: str, topic: str) -> None:
    """Run `source` as a separate Python program (it exits like a real one) and wait for it."""
    program = await asyncio.create_subprocess_exec(
        sys.executable, "-c", source, bootstrap, topic, str(LOST), str(LINGER_MS)
    )
    assert await program.wait() == 0


await run_script(SEED_SCRIPT, "seed-lost")
print(f"seed: {count_messages('seed-lost')} of {LOST} messages arrived")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Nothing ever calls `flush()`. With the default `linger.ms` (5 ms) it is a race with the
# interpreter's exit: some runs deliver everything, others nothing.

# %% [markdown] slideshow={"slide_type": "notes"}
# In a long-running process the producer would leak instead (its poll loop keeps it alive)
# and librdkafka would send the batch eventually; it is the exit that loses the queue.
# Also in the seed: built outside a running loop, get_event_loop() hands back a loop nobody
# runs, so the poll never happens (and get_event_loop() there is deprecated; an error in 3.14).
# And __del__ never runs while the poll loop holds a reference to the producer.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Doing it properly
#
# - `settle()`, on the loop: `KafkaError` wrapped in `KafkaException` (a real exception);
#   a future that is already done (cancelled sender) is skipped
# - `PollThread` blocks in `poll(0.1)`, waking as soon as a report arrives; each poll's
#   reports go to the loop in **one** `loop.call_soon_threadsafe()`; a `threading.Lock`
#   guards them, as `flush()` adds reports from another thread (free-threaded 3.13+: no GIL)
# - `try_produce()` + `Outbox`: librdkafka's queue is bounded (`BufferError`); when it is
#   full, messages wait their turn instead of failing
# - `AsyncProducer`: `produce()` returns a future (no task per message), `send()` awaits
#   it; `async with` flushes in a worker thread and fails loudly if anything is left; a
#   cancelled `close()` still stops the thread and settles every future

# %% [markdown] slideshow={"slide_type": "notes"}
# Also: built with get_running_loop(), so no running loop means no producer (a RuntimeError,
# not a poll that never happens). Small pieces, one job each: settle() runs on the loop; the
# poll thread is the only code outside it; try_produce() and the outbox deal with the bounded
# queue (queue.buffering.max.messages, 100000 by default: beyond it produce() raises
# BufferError; our messages wait in order until delivery reports make room, and one
# cancelled while waiting is never sent); AsyncProducer is the API.
# Why the lock: flush() in a worker thread runs delivery callbacks too, so two threads add
# reports while the poll thread swaps the list out. With the GIL that happens to work (a thread
# switch never falls between reading the attribute and the append); free-threaded Python 3.13
# and 3.14 run both at once, and an append then lands in a list already handed to the loop:
# tests/test_kafka_close.py replays that by pausing at every bytecode: 1-2% of reports lost
# without the lock. And close(): whatever cancels it (a timeout around `async with`), it purges
# what is left, waits for the flush and poll threads, closes librdkafka's handle and settles
# every future before the cancellation goes on; a second cancellation cannot cut that short
# (shield), and the next close() waits for it.

# %% slideshow={"slide_type": "subslide"} tags=["backup", "example:kafka_producer"]
import asyncio
import functools
import threading
from asyncio import Future
from collections import deque
from collections.abc import Callable
from typing import Any, Self

from confluent_kafka import KafkaError, KafkaException, Message, Producer

POLL_TIMEOUT = 0.1  # poll() returns as soon as a report arrives; this only bounds close()

# A delivery report: the future its sender awaits, and what librdkafka said about the message.
Report = tuple[Future[Message], KafkaError | None, Message]


def settle(reports: list[Report]) -> None:
    """Resolve the futures of one batch of delivery reports, on the event loop."""
    for future, error, message in reports:
        if future.done():  # its sender was cancelled; the message went anyway
            continue
        if error is not None:
            future.set_exception(KafkaException(error))  # KafkaError is not an exception
        else:
            future.set_result(message)


# %% slideshow={"slide_type": "subslide"} tags=["backup", "example:kafka_producer"] steps="1-11|13-16|18-22|24-31|33-37"
class PollThread:
    """Polls a producer in its own thread and hands each batch of reports to the loop."""

    def __init__(self, producer: Producer, on_reports: Callable[[list[Report]], None]) -> None:
        self._producer, self._on_reports = producer, on_reports
        self._loop = asyncio.get_running_loop()
        self._reports: list[Report] = []  # filled by on_delivery() during poll() or flush()
        self._lock = threading.Lock()  # guards _reports: two threads fill it, one empties it
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafka-poll", daemon=True)
        self._thread.start()

    def on_delivery(self, future: Future[Message], error: KafkaError | None, msg: Message) -> None:
        # runs inside poll() or flush(), in the thread that called them: not the loop's
        with self._lock:
            self._reports.append((future, error, msg))

    def _take(self) -> list[Report]:
        # without the lock, an append racing this swap can land in a list already handed over
        with self._lock:
            reports, self._reports = self._reports, []
        return reports

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(POLL_TIMEOUT)
            if reports := self._take():
                try:  # one thread-safe call per poll, however many reports it served
                    self._loop.call_soon_threadsafe(self._on_reports, reports)
                except RuntimeError:  # the loop is closed: nobody is waiting any more
                    return

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.to_thread(self._thread.join)  # at most one POLL_TIMEOUT
        self._producer.poll(0)  # serves the last reports (of a purge), here on the loop
        self._on_reports(self._take())  # the thread is gone: these are ours to hand out


# %% slideshow={"slide_type": "subslide"} tags=["backup", "example:kafka_producer"]
Value = bytes | str  # what librdkafka accepts as a message's value or key
# A message on its way to librdkafka: the future its sender awaits, topic, value, key.
Outgoing = tuple[Future[Message], str, Value, Value | None]


def try_produce(producer: Producer, on_delivery: Callable[..., None], message: Outgoing) -> bool:
    """Queue the message in librdkafka unless it was cancelled; False if the queue is full."""
    future, topic, value, key = message
    if future.done():  # cancelled while it waited for room: send nothing
        return True
    try:
        callback = functools.partial(on_delivery, future)
        producer.produce(topic, value, key, on_delivery=callback)  # only queues it
    except BufferError:  # queue.buffering.max.messages (or .kbytes) in flight: no room
        return False
    except Exception as exc:  # e.g. a value too large: that sender's error
        future.set_exception(exc)
    return True


# %% slideshow={"slide_type": "subslide"} tags=["backup", "example:kafka_producer"] steps="1-10|12-14|16-19|21-27|29-37|39-46|48-53"
class Outbox:
    """Hands messages to librdkafka in order (when its queue is full, they wait here)."""

    def __init__(self, producer: Producer) -> None:
        self._producer = producer
        self._poller = PollThread(producer, self._delivered)
        self._produce = functools.partial(try_produce, producer, self._poller.on_delivery)
        self._waiting: deque[Outgoing] = deque()
        self._flushing: Future[int] | None = None  # flush() in a worker thread
        self._stopped: asyncio.Task[None] | None = None  # one stop, however many close() calls

    def put(self, message: Outgoing) -> None:
        if self._waiting or not self._produce(message):  # behind others, or no room
            self._waiting.append(message)

    def _delivered(self, reports: list[Report]) -> None:
        settle(reports)
        while not self._stopped and self._waiting and self._produce(self._waiting[0]):
            self._waiting.popleft()  # they made room

    async def close(self, flush_timeout: float) -> int:
        """Deliver what is queued within flush_timeout, then stop; count what was not."""
        try:
            return 0 if self._stopped else await self._flush(flush_timeout)
        finally:  # delivered, late, or cancelled: stop polling, settle every future
            self._stopped = self._stopped or asyncio.create_task(self._stop())
            await asyncio.shield(self._stopped)  # cancelled again? the next close() waits

    async def _flush(self, flush_timeout: float) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + flush_timeout  # one budget for both steps
        if self._waiting:  # the poll thread still runs: its reports make room
            await asyncio.wait([future for future, *_ in self._waiting], timeout=flush_timeout)
        late = self._fail_waiting(KafkaError._MSG_TIMED_OUT)
        left = max(0.0, deadline - loop.time())
        self._flushing = loop.run_in_executor(None, self._producer.flush, left)
        return late + await asyncio.shield(self._flushing)  # cancelled: _stop() waits for it

    async def _stop(self) -> None:
        self._fail_waiting(KafkaError._PURGE_QUEUE)  # never handed to librdkafka
        self._producer.purge()  # what librdkafka still holds fails: its reports say so
        if self._flushing is not None:
            await self._flushing  # a flush cut short by a cancellation ends with the purge
        await self._poller.stop()  # serves the last reports
        if close := getattr(self._producer, "close", None):  # older clients have none
            await asyncio.to_thread(close)  # nothing left to flush: quick

    def _fail_waiting(self, code: int) -> int:
        stuck = [future for future, *_ in self._waiting if not future.done()]
        self._waiting.clear()
        for future in stuck:
            future.set_exception(KafkaException(KafkaError(code)))
        return len(stuck)


# %% slideshow={"slide_type": "subslide"} tags=["backup", "example:kafka_producer"] steps="1-7|9-15|17-19|21-26|28-32"
class AsyncProducer:
    """Awaitable Kafka sends: a poll thread collects delivery reports, the loop settles them."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._loop = asyncio.get_running_loop()  # no running loop: RuntimeError, not a hang
        self._outbox = Outbox(Producer(config))
        self._closing = False

    def produce(self, topic: str, value: Value, key: Value | None = None) -> Future[Message]:
        """Queue one message; the future resolves to it once the broker has it."""
        if self._closing:
            raise RuntimeError("produce() on a closed AsyncProducer")
        future: Future[Message] = self._loop.create_future()
        self._outbox.put((future, topic, value, key))
        return future

    async def send(self, topic: str, value: Value, key: Value | None = None) -> Message:
        """Produce one message; return it (topic, partition, offset) once the broker has it."""
        return await self.produce(topic, value, key)

    async def close(self, flush_timeout: float = 30.0) -> None:
        """Deliver what is queued within flush_timeout, then stop; raise if some of it failed."""
        self._closing = True
        if undelivered := await self._outbox.close(flush_timeout):
            reason = f"{undelivered} message(s) not delivered within {flush_timeout} s"
            raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, reason))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


# %% tags=["example:kafka_producer", "remove-cell"]
# For `python -m examples.kafka_producer`; the slides below measure the producer themselves.
import time
from collections import defaultdict

from examples.kafka_cluster import kafka_cluster


async def main(count: int = 1000, topic: str = "kafka-producer-demo") -> None:
    """Send `count` messages in one gather() and print where they landed and how long it took."""
    with kafka_cluster() as bootstrap:  # $KAFKA_BOOTSTRAP_SERVERS, else librdkafka's mock
        start = time.perf_counter()
        async with AsyncProducer({"bootstrap.servers": bootstrap, "log_level": 2}) as producer:
            sent = [producer.produce(topic, f"message {i}") for i in range(count)]
            delivered = await asyncio.gather(*sent)
        elapsed = time.perf_counter() - start
    offsets: defaultdict[int, list[int]] = defaultdict(list)
    for message in delivered:
        offsets[message.partition() or 0].append(message.offset() or 0)
    print(f"sent {count} messages to topic {topic!r} on {bootstrap} in {elapsed:.2f} s")
    for partition, numbers in sorted(offsets.items()):
        print(f"  partition {partition}: {len(numbers)} messages, offsets "
              f"{min(numbers)}-{max(numbers)}")


# %% tags=["example:kafka_producer", "skip-execution", "remove-cell"]
if __name__ == "__main__":
    asyncio.run(main())


# %% [markdown] slideshow={"slide_type": "notes"}
# Why a thread and not run_in_executor(poll) per send: poll() blocks, and a dedicated thread
# blocking in poll() is exactly what librdkafka expects. Batching matters at volume: one
# call_soon_threadsafe per report means one wake-up of the loop (a write to its self-pipe)
# per message; one per poll is one per batch. And produce() returning a plain future matters
# too: gathering 10k send() coroutines makes 10k tasks, gathering 10k futures makes none.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## The same four checks

# %%
ONE_BY_ONE = 100  # sequential sends again, more of them: we report the median


async def per_message(**options: object) -> tuple[float, Message]:
    """Median seconds per awaited send, one at a time; and the last message delivered."""
    async with AsyncProducer(config(**options)) as producer:
        times = []
        for i in range(ONE_BY_ONE):
            start = time.perf_counter()
            delivered = await producer.send("ours-latency", f"message {i}".encode())
            times.append(time.perf_counter() - start)
    return statistics.median(times), delivered


ours_latency, delivered = await per_message()  # librdkafka's defaults
print(f"ours: {ours_latency * 1000:.1f} ms per message, median "
      f"(seed: {seed_latency * 1000:.0f} ms, {seed_latency / ours_latency:.0f}x slower)")
print("last one:", delivered.topic(), "partition", delivered.partition(),
      "offset", delivered.offset())

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Where do those milliseconds go? `linger.ms`
#
# librdkafka holds a message for up to `linger.ms` (default 5 ms) hoping to fill a batch;
# a lone, awaited message always waits the full time. For latency, don't wait:

# %%
no_linger, _ = await per_message(**{"linger.ms": 0})
print(f"linger.ms=5 (default): {ours_latency * 1000:5.2f} ms per message (median of {ONE_BY_ONE})")
print(f"linger.ms=0:           {no_linger * 1000:5.2f} ms per message (median of {ONE_BY_ONE})")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The rest is the round trip to the broker and back through the poll thread: `poll()` wakes
# as soon as a report arrives. Many concurrent sends want the batching: keep the default there.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## 10 000 at once: a task each, or a future each?

# %%
GATHERED = 10_000  # messages in flight at once
ROUNDS = 5  # alternating, then the median of each: the machine is shared and noisy
VALUE = b"x" * 100


async def per_second(producer: AsyncProducer, way: str) -> float:
    """Messages per second for GATHERED sends in one asyncio.gather()."""
    start = time.perf_counter()
    if way == "send()":  # a coroutine each: gather() wraps every one in a task
        await asyncio.gather(*(producer.send("ours-rate", VALUE) for _ in range(GATHERED)))
    else:  # a future each: nothing to wrap
        await asyncio.gather(*(producer.produce("ours-rate", VALUE) for _ in range(GATHERED)))
    return GATHERED / (time.perf_counter() - start)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### 10 000 at once: the output

# %%
rates: dict[str, list[float]] = {"send()": [], "produce()": []}
async with AsyncProducer(config()) as producer:  # librdkafka's defaults: linger.ms=5
    await producer.send("ours-rate", VALUE)  # creates the topic
    for _ in range(ROUNDS):
        for way, measured in rates.items():
            measured.append(await per_second(producer, way))
print(f"measured now, building this deck (mock cluster, {os.cpu_count()} cores):")
for way, measured in rates.items():
    print(f"  gather() of {GATHERED} {way:10} {statistics.median(measured):9,.0f} msg/s"
          f" (median of {ROUNDS})")

# %% [markdown] slideshow={"slide_type": "notes"}
# gather() over coroutines creates a task per message: most of the loop's time goes to
# asyncio's own bookkeeping, not Kafka. produce() returns the future the delivery report
# resolves, so gather() just waits on it. Same idea as aiokafka's send() (returns a future)
# versus send_and_wait(). Cancelling a task that awaits the future cancels the future.

# %% slideshow={"slide_type": "subslide"} tags=["backup"]
async with AsyncProducer(config(**{
    "bootstrap.servers": f"127.0.0.1:{closed_port()}", "message.timeout.ms": 1500,
})) as producer:
    start = time.perf_counter()
    try:
        await producer.send("ours-errors", b"hello?")
    except KafkaException as exc:
        error = exc.args[0]
        print(f"KafkaException after {time.perf_counter() - start:.1f} s: {error.name()}")

# %% slideshow={"slide_type": "subslide"} tags=["backup"]
async with AsyncProducer(config()) as producer:
    impatient = asyncio.create_task(producer.send("ours-cancel", b"never mind"))
    await asyncio.sleep(0)  # let it produce
    impatient.cancel()
    delivered = await producer.send("ours-cancel", b"anyone there?")
    print(f"after a cancelled send, the next one lands in partition {delivered.partition()}"
          f" at offset {delivered.offset()}")
print("messages in the topic:", count_messages("ours-cancel"))  # the cancelled one went too


# %% slideshow={"slide_type": "subslide"} tags=["backup"]
OUR_SCRIPT = """
import asyncio, sys
from examples.kafka_producer import AsyncProducer

async def main(bootstrap: str, topic: str, count: str, linger_ms: str) -> None:
    config = {"bootstrap.servers": bootstrap, "linger.ms": linger_ms, "log_level": 2}
    async with AsyncProducer(config) as producer:  # the one difference from SEED_SCRIPT
        sends = [asyncio.create_task(producer.send(topic, f"message {i}".encode()))
                 for i in range(int(count))]  # fire and forget: never awaited
        await asyncio.sleep(0)  # each send queues its message, then waits for its report
    # leaving the block flushed: every message was delivered, every send has its answer

asyncio.run(main(*sys.argv[1:]))
"""
await run_script(OUR_SCRIPT, "ours-lost")
print(f"ours: {count_messages('ours-lost')} of {LOST} messages arrived")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The seed's bridge and ours, measured
#
# The four problems, each checked on both bridges while this deck was built:

# %% tags=["remove-input"]
from IPython.display import Markdown

checks = [
    ("one awaited send", f"{seed_latency * 1000:.0f} ms", f"{ours_latency * 1000:.1f} ms"),
    (
        "nobody listening",
        f"`{type(err).__name__}` slips past `except Exception`",
        f"`KafkaException`: {error.name()}",
    ),
    (
        "a send cancelled",
        seed_after_cancel,
        f"the next send lands; the topic has {count_messages('ours-cancel')} messages",
    ),
    (
        f"exit without flush ({LOST} sent)",
        f"{count_messages('seed-lost')} arrived",
        f"{count_messages('ours-lost')} arrived",
    ),
]
table = ["| | the seed's | ours |", "| --- | --- | --- |"]
table += [f"| {check} | {seed} | {ours} |" for check, seed, ours in checks]
Markdown("\n".join(table))

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Batteries now included? `confluent_kafka.aio.AIOProducer`

# %%
from importlib.metadata import version

from confluent_kafka.aio import AIOProducer

print(f"confluent-kafka {version('confluent-kafka')} ships confluent_kafka.aio.AIOProducer")


async def aio_latency(**options: float) -> float:
    """Seconds per message for sequential awaited sends through AIOProducer."""
    producer = AIOProducer(config(), **options)
    try:
        start = time.perf_counter()
        for i in range(3):
            delivery = await producer.produce("aio-latency", f"message {i}".encode())
            await delivery  # the first await queues, the second waits for the broker
        return (time.perf_counter() - start) / 3
    finally:
        await producer.close()


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### `AIOProducer`: the output

# %%
print(f"AIOProducer, defaults:            {await aio_latency() * 1000:.0f} ms per message")
print(f"AIOProducer, buffer_timeout=0.01: "
      f"{await aio_latency(buffer_timeout=0.01) * 1000:.0f} ms per message")

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## `AIOProducer`: trade-offs
#
# - official, and async all the way through (consumer too), but marked experimental
# - built for throughput: it buffers messages (`batch_size=1000`, `buffer_timeout=1.0` s)
#   before handing them to librdkafka, so a lone message waits; tune it for latency
# - blocking calls go to its own thread pool
# - for a clear picture of what happens where, and no buffering of our own: the classes above

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Takeaways
#
# - a callback from another thread reaches the loop through `loop.call_soon_threadsafe()`,
#   and nothing else
# - a future can be done before your callback fires: check `future.done()`
# - an error object is not an exception until you wrap it
# - whoever queues work must flush it: give the bridge `async with`
# - block in threads (`asyncio.to_thread`), never on the loop
