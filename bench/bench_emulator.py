"""Throughput of the ispmanager emulator, measured with a concurrent HTTP client.

Run: ``python bench/bench_emulator.py`` (about a minute). The emulator runs in a child
process pinned to one CPU core; the client (asyncio, keep-alive HTTP/1.1 connections)
runs here, pinned to another core when the machine has one.

Printed per scenario: requests, wall-clock requests/s, requests per CPU-second of the
server process (robust when the machine is busy), client-side latency p50/p95 and the
server-side time p50/p95 (``X-Emulator-Time-Ms`` response header: from the parsed
request to the serialised body).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "root:bench-secret"


class Emulator:
    def __init__(self, core: int | None) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")

        def pin() -> None:
            if core is not None:
                os.sched_setaffinity(0, {core})

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ispmanager_emulator", "--port", "0", "--admin", ADMIN],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            preexec_fn=pin if core is not None else None,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/ispmgr", line)
        if not match:
            self.proc.kill()
            raise SystemExit(f"emulator did not start: {line!r}")
        self.host, self.port = match.group(1), int(match.group(2))

    def cpu_seconds(self) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Result:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.server_ms: list[float] = []
        self.errors = 0
        self.bodies = 0


async def _connection(host: str, port: int, bodies: Iterator[bytes], result: Result, check: bytes | None) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    head = f"POST /ispmgr HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    try:
        for body in bodies:
            request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            started = time.perf_counter()
            writer.write(request)
            status = await reader.readline()
            length = 0
            server_ms = float("nan")
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"x-emulator-time-ms":
                    server_ms = float(value)
            payload = await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - started)
            result.server_ms.append(server_ms)
            result.bodies += len(payload)
            if not status.startswith(b"HTTP/1.1 200") or (check is not None and check in payload):
                result.errors += 1
    finally:
        writer.close()


def run(
    emu: Emulator, bodies: Iterator[bytes], concurrency: int, check: bytes | None = b'"error"'
) -> tuple[Result, float, float]:
    result = Result()
    cpu0 = emu.cpu_seconds()
    started = time.perf_counter()

    async def main() -> None:
        await asyncio.gather(*(_connection(emu.host, emu.port, bodies, result, check) for _ in range(concurrency)))

    asyncio.run(main())
    return result, time.perf_counter() - started, emu.cpu_seconds() - cpu0


def form(**params: str) -> bytes:
    return urllib.parse.urlencode(params).encode()


def report(label: str, result: Result, wall: float, cpu: float) -> None:
    n = len(result.latencies)
    lat = sorted(result.latencies)
    srv = sorted(result.server_ms)
    p = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    per_cpu = f"{n / cpu:8.0f}" if cpu == cpu and cpu > 0 else "     n/a"
    print(
        f"{label:<38} {n:6d} req {n / wall:8.0f} req/s {per_cpu} req/CPU-s"
        f"  latency p50 {p(lat, 0.5) * 1000:6.1f} ms p95 {p(lat, 0.95) * 1000:6.1f} ms"
        f"  server p50 {p(srv, 0.5):6.2f} ms p95 {p(srv, 0.95):6.2f} ms"
        + (f"  ERRORS {result.errors}" if result.errors else ""),
        flush=True,
    )


def call(emu: Emulator, **params: str) -> bytes:
    out: list[bytes] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection(emu.host, emu.port)
        body = form(**params)
        writer.write(
            "POST /ispmgr HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        out.append(await reader.read())
        writer.close()

    asyncio.run(one())
    return out[0]


def create_users(
    emu: Emulator, prefix: str, count: int, concurrency: int, auth: dict[str, str]
) -> tuple[Result, float, float]:
    bodies = (
        form(
            func="user.edit",
            sok="ok",
            name=f"{prefix}{i}",
            passwd="bench-pass-1",
            preset="bench",
            out="json",
            **auth,
        )
        for i in range(count)
    )
    return run(emu, bodies, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests per throughput scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--list-requests", type=int, default=200, help="requests per 1,000-user list scenario")
    args = parser.parse_args()

    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_core = cores[0] if cores else None
    if len(cores) > 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(cores[1:]))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"emulator pinned to CPU {server_core}; client on {cores[1:] or 'the same CPU'}; "
        f"{args.concurrency} connections; load average {load:.1f}"
    )
    emu = Emulator(server_core)
    auth = {"authinfo": ADMIN}
    started = time.perf_counter()
    try:
        call(
            emu,
            func="preset.edit",
            sok="ok",
            name="bench",
            limit_quota="1024",
            limit_db="5",
            limit_webdomains="5",
            limit_emails="10",
            out="json",
            **auth,
        )
        n = args.requests
        report(
            "whoami (authinfo)",
            *run(emu, (form(func="whoami", out="json", **auth) for _ in range(n)), args.concurrency),
        )
        sid_doc = call(emu, func="auth", username="root", password=ADMIN.split(":", 1)[1], out="xml")
        sid = re.search(rb'id="([0-9a-f]+)"', sid_doc).group(1).decode()  # type: ignore[union-attr]
        report(
            "whoami (session)",
            *run(emu, (form(func="whoami", out="json", auth=sid) for _ in range(n)), args.concurrency),
        )
        report("user.edit create (authinfo)", *create_users(emu, "a", n, args.concurrency, auth))
        report(
            "user.edit create (session)",
            *create_users(emu, "s", n, args.concurrency, {"auth": sid}),
        )

        for total in (1000, 10000):
            call(emu, func="emulator.reset", out="json", **auth)
            call(
                emu,
                func="preset.edit",
                sok="ok",
                name="bench",
                limit_quota="1024",
                limit_db="5",
                out="json",
                **auth,
            )
            res, wall, cpu = create_users(emu, "u", total, args.concurrency, auth)
            assert res.errors == 0, "user creation failed"
            requests = args.list_requests if total == 1000 else max(20, args.list_requests // 10)
            for out in ("json", "xml"):
                body = form(func="user", out=out, **auth)
                # the first request renders every row (cold cache), later ones reuse cached rows
                cold, _, _ = run(emu, iter([body]), 1, check=b"<error")
                # one connection: server time without other requests competing for the GIL
                seq, _, _ = run(emu, (body for _ in range(max(10, requests // 4))), 1, check=b"<error")
                res, wall, cpu = run(emu, (body for _ in range(requests)), min(args.concurrency, 4), check=b"<error")
                report(f"user list {total} users out={out}", res, wall, cpu)
                srv = sorted(seq.server_ms)
                print(
                    f"{'':<38} server time, one connection: p50 {srv[len(srv) // 2]:.2f} ms, "
                    f"max {srv[-1]:.2f} ms; first (cold) request {cold.server_ms[0]:.2f} ms; "
                    f"body {cold.bodies / 1024:.0f} KiB",
                    flush=True,
                )
        print(f"total {time.perf_counter() - started:.1f} s")
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
