"""Echo server round trips per second with 1, 10 and 100 concurrent clients.

    python -m benchmarks.echo [--round-trips N] [--repeats N]

The server is examples.echo_server run as a program, in its own process; the clients are
examples.echo_client's echo_client, each on its own connection, with their prints sent nowhere.
"""

import argparse
import asyncio
import time
from collections.abc import Iterator, Sequence

from benchmarks.common import median, quiet, run_main, serving_subprocess, table
from examples.echo_client import echo_client

DESCRIPTION = "Echo server round trips per second with 1, 10 and 100 concurrent clients."
CLIENTS = (1, 10, 100)
MESSAGE = "x" * 64  # one line per round trip


async def round_trips(port: int, clients: int, total: int) -> float:
    """Round trips per second: `clients` echo_clients at once, `total` round trips in all."""
    messages = [MESSAGE] * (total // clients)
    with quiet():
        started = time.perf_counter()
        async with asyncio.TaskGroup() as tg:
            for number in range(clients):
                tg.create_task(echo_client(f"client {number}", messages, "127.0.0.1", port))
        elapsed = time.perf_counter() - started
    return clients * len(messages) / elapsed


def measure(total: int, repeats: int) -> Iterator[str]:
    rows = []
    ready = r"listening on [^:\s]+:(\d+)"
    env = {"ECHO_HOST": "127.0.0.1", "ECHO_PORT": "0"}
    with serving_subprocess(["-m", "examples.echo_server"], ready, env) as match:
        port = int(match[1])
        asyncio.run(round_trips(port, 1, 100))  # warm up
        for clients in CLIENTS:
            rates = [asyncio.run(round_trips(port, clients, total)) for _ in range(repeats)]
            rows.append([str(clients), f"{median(rates):,.0f}", str(total), str(repeats)])
    yield table(
        "Echo server (examples.echo_server) with examples.echo_client clients",
        ["concurrent clients", "round trips/s (median)", "round trips per run", "runs"],
        rows,
        [
            f"A round trip: one {len(MESSAGE)}-byte line written, its echo read back. Connecting "
            "and hanging up are inside the timing. Server and clients are separate processes, "
            "each one event loop on one thread.",
        ],
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--round-trips", type=int, default=10_000, help="per run (default 10k)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (default 3)")
    args = parser.parse_args(argv)
    run_main("Echo server", measure(args.round_trips, args.repeats))


if __name__ == "__main__":
    main()
