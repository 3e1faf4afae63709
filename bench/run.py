"""`make bench`: every benchmark, on PostgreSQL when one answers at 127.0.0.1:5432, else SQLite."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_emulator.py", "bench_provisioning.py", "bench_cron.py"]


def postgres_answers() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


def main() -> int:
    env = os.environ.copy()
    if "BENCH_DATABASE_URL" not in env and postgres_answers():
        env["BENCH_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/moorage"
    chosen = sys.argv[1:] or BENCHES
    failed = 0
    for name in chosen:
        print(f"=== {name}", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / name)], env=env, cwd=HERE.parent)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
