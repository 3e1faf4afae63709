"""A cron run that stops half way (kill -9, a crash, SIGTERM) ends as "interrupted" or "failed",
never "running" forever."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from moorage.automation import run as run_module
from moorage.automation.models import AutomationRun
from moorage.automation.run import STALE_AFTER, automation_runs_mark_interrupted
from tests.automation.conftest import run_day

DAY = dt.date(2026, 2, 15)
POSTGRES = "postgres" in os.environ.get("DATABASE_URL", "")


def killed_pid() -> int:
    """The pid of a real process that was killed with SIGKILL (and reaped): a run's dead owner."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])  # noqa: S603
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return proc.pid


def running(**fields) -> AutomationRun:  # noqa: ANN003
    now = timezone.now()
    fields = {"run_date": DAY, "started_at": now, "heartbeat_at": now, "host": run_module._host(), **fields}
    return AutomationRun.objects.create(**fields)


@pytest.mark.django_db
def test_the_next_run_marks_runs_whose_process_is_gone_or_silent(defaults):
    now = timezone.now()
    dead = running(pid=killed_pid())
    silent = running(host="other-machine", pid=1234, heartbeat_at=now - STALE_AFTER - dt.timedelta(minutes=1))
    legacy = running(host="other-machine", pid=None, heartbeat_at=None, started_at=now - dt.timedelta(days=1))
    elsewhere = running(host="other-machine", pid=1234)  # alive as far as we can tell
    alive_here = running(pid=os.getppid())  # the process that started the tests
    result = run_day(DAY)
    assert result.run.status == AutomationRun.Status.FINISHED
    statuses = {r.pk: r.status for r in AutomationRun.objects.all()}
    assert statuses[dead.pk] == statuses[silent.pk] == statuses[legacy.pk] == "interrupted"
    assert statuses[elsewhere.pk] == statuses[alive_here.pk] == "running"
    dead.refresh_from_db()
    assert f"process {dead.pid}" in dead.summary["interrupted"] and dead.finished_at is not None
    assert automation_runs_mark_interrupted() == 0  # once


@pytest.mark.django_db
def test_a_crash_marks_the_run_failed_and_a_stop_marks_it_interrupted(defaults, monkeypatch):
    step = run_module.STEPS[1]

    def boom(ctx):  # noqa: ANN001, ANN202
        raise RuntimeError("database went away")

    monkeypatch.setattr(step, "plan", boom)
    with pytest.raises(RuntimeError):
        run_day(DAY)
    failed = AutomationRun.objects.get()
    assert failed.status == "failed" and "database went away" in failed.summary["error"]
    assert failed.finished_at is not None

    def stop(ctx):  # noqa: ANN001, ANN202
        raise KeyboardInterrupt("stopped by signal 15")

    monkeypatch.setattr(step, "plan", stop)
    with pytest.raises(KeyboardInterrupt):
        run_day(DAY)
    assert AutomationRun.objects.latest("id").status == "interrupted"


def _cron_process(day: dt.date) -> subprocess.Popen:
    env = os.environ.copy()
    base = env["DATABASE_URL"].rsplit("/", 1)[0]
    env["DATABASE_URL"] = f"{base}/{connection.settings_dict['NAME']}"
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "moorage.cli", "cron", "--date", day.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, what: str, timeout: float = 120) -> None:  # noqa: ANN001
    """Poll for a state another process reaches (a condition, not a guess of how long it takes)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.skipif(not POSTGRES, reason="holding a table lock against another process: PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("sig", "expected"), [(signal.SIGKILL, "interrupted"), (signal.SIGTERM, "interrupted")])
def test_a_cron_process_killed_half_way_ends_interrupted(sig, expected):
    from moorage.catalog.models import BillingDefaults

    BillingDefaults.load()
    connections.close_all()
    with transaction.atomic(), connection.cursor() as cursor:
        # The run's first step reads services: holding this lock stops the process right there.
        cursor.execute("LOCK TABLE services_service IN ACCESS EXCLUSIVE MODE")
        proc = _cron_process(DAY)
        _wait_for(lambda: AutomationRun.objects.filter(status="running").exists(), "the run to start")
        _wait_for(
            lambda: (
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'services_service'::regclass"
                )
                or cursor.fetchone()[0] > 0
            ),
            "the run to wait for the lock",
        )
        proc.send_signal(sig)
        if sig == signal.SIGKILL:
            proc.wait(timeout=60)
    if sig != signal.SIGKILL:
        proc.communicate(timeout=120)  # SIGTERM: the process ends the run itself once the lock is gone
    killed = AutomationRun.objects.get()
    if sig == signal.SIGKILL:
        assert killed.status == "running" and killed.pid == proc.pid  # nobody could write the end
        result = run_day(DAY)
        assert result.run.status == "finished"
        killed.refresh_from_db()
    assert killed.status == expected, killed.summary
