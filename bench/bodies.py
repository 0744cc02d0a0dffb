"""Request bodies read under their deadline (service/wsgi/bodies.py) against one plain read.

A body is read in pieces that start at one byte and grow while the client keeps up, so a slow
client is caught after a few bytes; this measures what that costs a body that arrived whole
(the usual case), from an in-memory stream, per body size, and how many reads it took (each a
call into Granian when served). An API write takes milliseconds (`python -m bench api`), so
what matters is that these stay in microseconds. Run: `.venv/bin/python -m bench bodies`.
"""

from __future__ import annotations

import io
import time

from service.wsgi.bodies import BodyLimits, BodyReaders, WholeBody

SIZES = (4096, 65536, 1048576)
LIMITS = BodyLimits(max_bytes=1048576, timeout_seconds=30, min_bytes_per_second=1024)


def per_body(read, rounds: int) -> float:
    """Seconds one body takes, the best of five runs of `rounds` bodies."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(rounds):
            read()
        best = min(best, (time.perf_counter() - started) / rounds)
    return best


class CountedStream(io.BytesIO):
    """An in-memory body that counts the reads made of it."""

    reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


def main() -> None:
    readers = BodyReaders(lambda environ, start_response: [], readers=3, limits=LIMITS)
    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_AUTHORIZATION": "Bearer bench-token"}
    print("| body | read in pieces, under the deadline | reads |")
    print("|---|---|---|")
    for size in SIZES:
        data = b"x" * size
        rounds = 2000 if size < 100_000 else 200

        def guarded(data=data):
            WholeBody(io.BytesIO(data), readers, environ, time.monotonic()).read()

        counted = CountedStream(data)
        WholeBody(counted, readers, environ, time.monotonic()).read()
        print(f"| {size:,} bytes | {per_body(guarded, rounds) * 1e6:.1f} µs | {counted.reads} |")
