"""`moorage reconcile` (exit status 0 / 1 / 2, --json, --connection) and the automation run's daily
reconciliation (once per date, staff told of new findings only, a panel down is never a crash)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from moorage.automation.run import automation_run
from moorage.notifications.models import Notification
from moorage.provisioning.models import AppConnection
from moorage.provisioning.runner import run_due_jobs
from moorage.reconciliation.models import DailyReport, Finding
from tests.provisioning.test_provisioning import order_and_pay
from tests.reconciliation.conftest import make_connection

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2026, 1, 16)


def cli(capsys, *args):  # noqa: ANN001, ANN002, ANN201
    with pytest.raises(SystemExit) as done:
        call_command("reconcile", *args)
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


@pytest.fixture
def live(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    service = order_and_pay(client_account, hosting, now)
    run_due_jobs(now=now)
    return service


def test_exit_status_follows_the_panels(capsys, panel, live):
    code, out, _err = cli(capsys)
    assert code == 0 and "panel-1: 1 panel users, 1 billing accounts: in sync" in out

    panel.call("user.suspend", elid="shop")
    panel.call("user.edit", sok="ok", name="intruder", passwd="Intruder-pw-1", preset="basic")
    code, out, _err = cli(capsys)
    assert code == 1
    assert f"  state_mismatch: shop service #{live.pk} (billing=active, panel=suspended) [fix: resume] NEW" in out
    assert "unknown_panel_user: intruder (panel=active) [fix: adopt] NEW" in out

    code, out, _err = cli(capsys, "--json")
    data = json.loads(out)
    assert code == 1 and data["status"] == "mismatches"
    [conn] = data["connections"]
    assert sorted((f["kind"], f["username"], f["new"]) for f in conn["findings"]) == [
        ("state_mismatch", "shop", False),
        ("unknown_panel_user", "intruder", False),
    ]
    assert Finding.objects.filter(resolved_at=None).count() == 2  # seen again, not opened twice


def test_a_panel_down_exits_2_and_names_it(capsys, panel, live):
    down = make_connection(panel, name="panel-2", timeout=2)
    AppConnection.objects.filter(pk=down.pk).update(path="http://127.0.0.1:9/ispmgr")  # nothing listens
    code, out, err = cli(capsys)
    assert code == 2
    assert "panel-2: ERROR, the panel could not be read: panel-2: " in out
    assert "panel-1: 1 panel users, 1 billing accounts: in sync" in out
    assert "panel down or refused: panel-2" in err

    code, out, _err = cli(capsys, "--connection", "panel-1", "--json")
    assert code == 0 and json.loads(out)["status"] == "in_sync"
    code, _out, err = cli(capsys, "--connection", "nope")
    assert code == 2 and "no app connection named 'nope'" in err


def test_daily_report_tells_staff_once_of_new_findings(panel, live, staff, now):
    panel.call("user.suspend", elid="shop")
    day = dt.datetime(2026, 1, 16, 0, 5, tzinfo=dt.UTC)
    result = automation_run(today=DAY, now=day)
    assert result.counts["reconcile_runs"] == 1 and result.counts["reconcile_new_findings"] == 1
    [mail] = Notification.objects.filter(template="staff_reconcile_findings")
    assert mail.to_email == staff.email
    assert "Panels differ from billing: 1 new finding" in mail.subject
    expected = f"panel-1: Suspended on one side, active on the other, user shop, service #{live.pk} (fix: Resume)"
    assert expected in mail.body

    # The same date again: nothing reconciled, nothing sent.
    again = automation_run(today=DAY, now=day + dt.timedelta(minutes=5))
    assert again.counts["reconcile_runs"] == 0
    assert DailyReport.objects.get().new_findings == 1

    # The next day: the old finding is not new; a new one is reported alone.
    panel.call("user.edit", sok="ok", name="intruder", passwd="Intruder-pw-1", preset="basic")
    automation_run(today=DAY + dt.timedelta(days=1), now=day + dt.timedelta(days=1))
    mails = Notification.objects.filter(template="staff_reconcile_findings").order_by("pk")
    assert mails.count() == 2
    assert "intruder" in mails[1].body and "user shop" not in mails[1].body

    # In sync and nothing new: no message.
    automation_run(today=DAY + dt.timedelta(days=2), now=day + dt.timedelta(days=2))
    assert Notification.objects.filter(template="staff_reconcile_findings").count() == 2


def test_a_panel_down_is_reported_and_never_ends_the_automation_run(panel, live, staff, now):
    panel.faults.set("*", fail_rate=1.0, fail_kind="500")
    day = dt.datetime(2026, 1, 16, 0, 5, tzinfo=dt.UTC)
    result = automation_run(today=DAY, now=day)
    assert result.run.status == "finished"
    assert result.counts["reconcile_errors"] == 1 and result.counts["reconcile_new_findings"] == 0
    [mail] = Notification.objects.filter(template="staff_reconcile_findings")
    assert "1 panel(s) unreadable" in mail.subject and "panel-1: " in mail.body
