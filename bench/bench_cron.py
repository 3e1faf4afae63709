"""`moorage cron` at scale: 100,000 services of which 5% need a renewal invoice, then the same day
again with nothing to do. Prints time, peak memory and items per second of each run.

Run: python bench/bench_cron.py [--services N] [--clients N] [--due-share F]
(PostgreSQL when BENCH_DATABASE_URL is set, which `make bench` does when one answers.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time

from _django import analyze, setup

DAY = dt.date(2026, 3, 2)


def run_cron(label: str) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "moorage.cli", "cron", "--date", DAY.isoformat(), "--progress"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    elapsed = time.perf_counter() - started
    peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    if proc.returncode not in (0, 2):
        print(proc.stdout, proc.stderr)
        raise SystemExit(f"{label}: cron failed")
    return elapsed, peak_mb, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--due-share", type=float, default=0.05)
    args = parser.parse_args()
    db = setup("cron")
    from moorage.billing.models import Invoice
    from moorage.operations.seed import seed

    t0 = time.perf_counter()
    seed(clients=args.clients, services=args.services, today=DAY, due_share=args.due_share, progress=lambda _m: None)
    analyze()
    seeding = time.perf_counter() - t0
    from django.db import connections

    connections.close_all()
    elapsed, peak, out = run_cron("busy run")
    invoices = Invoice.objects.filter(kind="renewal").count()
    elapsed2, peak2, _ = run_cron("idle run")
    print(
        f"cron: database {db.split(':')[0]}, {args.services:,} services, {args.clients:,} clients "
        f"(seeded in {seeding:.1f} s)"
    )
    print(
        f"  run with work:    {elapsed:.1f} s, peak memory {peak:.0f} MB, {invoices:,} invoices created, "
        f"{invoices / elapsed:.0f} invoices/s, {args.services / elapsed:,.0f} services/s scanned"
    )
    print(f"  run with nothing: {elapsed2:.2f} s, peak memory {peak2:.0f} MB (same day again: nothing to do)")
    print("  time per step of the run with work:")
    for line in out.splitlines():
        if line.endswith(" s)") and not line.endswith(": 0 (0.0 s)"):
            print("   ", line.strip())
    for line in out.splitlines():
        if any(k in line for k in ("invoices created", "invoices reminded", "failures")):
            print("   ", line.strip())


if __name__ == "__main__":
    main()
