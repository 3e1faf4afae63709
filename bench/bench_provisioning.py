"""Provisioning throughput: accounts created per second by 4 workers against the emulator with 20 ms
latency per panel call, and the share of worker time spent outside the panel calls.

Run: python bench/bench_provisioning.py [--accounts N] [--workers W] [--latency MS]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time

from _django import analyze, setup


def worker_main(now_iso: str) -> None:
    """One worker process: run due jobs until none is left; print its panel-call time as JSON."""
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from moorage.modules.ispmanager import client as panel_client
    from moorage.provisioning.runner import run_due_jobs

    spent = [0.0, 0]
    original = panel_client.IspManagerClient._call_once

    def timed(self, func, params, *, mutating):  # noqa: ANN001, ANN202
        t0 = time.perf_counter()
        try:
            return original(self, func, params, mutating=mutating)
        finally:
            spent[0] += time.perf_counter() - t0
            spent[1] += 1

    panel_client.IspManagerClient._call_once = timed
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        ran = prof.runcall(run_due_jobs, now=dt.datetime.fromisoformat(now_iso), limit=10**6)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    else:
        ran = run_due_jobs(now=dt.datetime.fromisoformat(now_iso), limit=10**6)
    print(json.dumps({"ran": ran, "panel": spent[0], "calls": spent[1], "busy": time.perf_counter() - started}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency", type=float, default=20.0)
    args = parser.parse_args()
    db = setup("provisioning")

    from moorage.catalog.actions import PREMADE_SHARED4, order_page_create
    from moorage.catalog.models import Product
    from moorage.customers.actions import client_register
    from moorage.modules.ispmanager.client import IspManagerClient
    from moorage.orders.actions import CartItem, order_checkout
    from moorage.payments.actions import payment_record
    from moorage.provisioning.models import AppConnection, ModuleState, ProductApp, ProvisioningJob

    now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    # The panel runs in its own process, as a real one would (it must not share our interpreter).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    panel = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ispmanager_emulator",
            "--port",
            str(port),
            "--admin",
            "root:bench-pass",
            "--latency",
            str(args.latency),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/ispmgr"
    try:
        for _ in range(100):
            try:
                with IspManagerClient(url, "root", "bench-pass") as c:
                    c.call(
                        "preset.edit",
                        {"sok": "ok", "name": "basic", "limit_db": 5, "limit_webdomains": 5},
                        mutating=True,
                    )
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        page = order_page_create(name="Bench", now=now, actor=None, premade=PREMADE_SHARED4)
        product = page.products.first()
        Product.objects.filter(pk=product.pk).update(module="ispmanager")
        ModuleState.objects.create(name="ispmanager", active=True)
        conn = AppConnection.objects.create(
            module="ispmanager",
            name="bench",
            ip_address="127.0.0.1",
            username="root",
            password="bench-pass",
            api_port=port,
            path=url,
        )
        ProductApp.objects.create(
            product=product,
            connection=conn,
            options={"preset": "basic", "create_www_domain": True, "username_pattern": "b{random:6}"},
        )
        client = client_register(
            email="bench@example.com", password="Bench-pass-123", profile={"first_name": "B", "last_name": "C"}, now=now
        )
        for i in range(args.accounts):
            order = order_checkout(
                client=client, items=[CartItem(product.pk, "monthly", f"site{i}.example.com")], now=now
            )
            payment_record(
                invoice_id=order.invoice.pk,
                amount=order.invoice.total,
                gateway="bank_transfer",
                transaction_id=f"B{i}",
                now=now,
                actor=None,
            )
        analyze()
        from django.db import connections

        connections.close_all()
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", now.isoformat()], stdout=subprocess.PIPE, env=os.environ.copy()
            )
            for _ in range(args.workers)
        ]
        reports = [json.loads(p.communicate()[0].decode().strip().splitlines()[-1]) for p in procs]
        wall = time.perf_counter() - started
    finally:
        panel.terminate()
        panel.wait()
    done = ProvisioningJob.objects.filter(status="done").count()
    panel_time = sum(r["panel"] for r in reports)
    busy = sum(r["busy"] for r in reports)
    calls = sum(r["calls"] for r in reports)
    print(
        f"provisioning: database {db.split(':')[0]}, {args.workers} worker processes, "
        f"{args.latency:.0f} ms panel latency per call"
    )
    print(f"  accounts created:         {done} of {args.accounts} in {wall:.2f} s")
    print(f"  throughput:               {done / wall:.1f} accounts/s")
    print(f"  panel calls:              {calls} ({calls / max(done, 1):.1f} per account)")
    print(f"  time in panel calls:      {panel_time:.2f} s of {busy:.2f} worker-seconds")
    print(f"  time outside panel calls: {100 * (1 - panel_time / busy):.1f}% (database, job bookkeeping)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2])
    else:
        main()
