"""Domains renew on their own yearly cycle: an invoice before expiry, paid → renewed at the registry;
reminders before expiry; expired when not paid; let go after the grace period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.automation.run import automation_run
from moorage.billing.models import Invoice
from moorage.domains.actions import domain_order, domain_set_auto_renew
from moorage.domains.jobs import run_due_jobs
from moorage.domains.models import Domain, DomainInvoice, DomainJob
from moorage.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(3, 0), tzinfo=dt.UTC)


def run(day: dt.date):  # noqa: ANN201
    return automation_run(today=day, now=at(day))


@pytest.fixture
def registered(client_account, com, registry, now):  # noqa: ANN001, ANN201
    domain = domain_order(client=client_account, action="register", name="yearly.com", years="1", now=now)
    invoice = domain.invoices.get().invoice
    factories.pay(invoice, str(invoice.total), transaction_id="T-reg", now=now)
    run_due_jobs(now=now)
    domain.refresh_from_db()
    assert (domain.status, domain.expires_on) == ("active", dt.date(2027, 1, 15))
    return domain


def renewal_invoices(domain):  # noqa: ANN001, ANN201
    return list(DomainInvoice.objects.filter(domain=domain, kind="renew").order_by("pk"))


def test_renewal_invoice_a_year_later_paid_renews_at_the_registry(registered, registry, client_account):
    run(dt.date(2026, 12, 15))  # 31 days before expiry: too early
    assert renewal_invoices(registered) == []

    result = run(dt.date(2026, 12, 16))  # 30 days before
    assert result.counts["domain_renewals"] == 1
    (link,) = renewal_invoices(registered)
    invoice = link.invoice
    assert (invoice.kind, invoice.total, invoice.issue_date, invoice.due_date) == (
        "renewal",
        Decimal("14.00"),
        dt.date(2026, 12, 16),
        dt.date(2027, 1, 15),
    )
    line = invoice.lines.get()
    assert (line.kind, line.description, line.period_start, line.period_end, line.service) == (
        "domain",
        "Domain renewal: yearly.com (1 yr)",
        dt.date(2027, 1, 15),
        dt.date(2028, 1, 14),
        None,
    )
    assert Notification.objects.filter(template="invoice_created", invoice_id=invoice.pk).count() == 1

    # The same date again, and the next day: nothing twice.
    run(dt.date(2026, 12, 16))
    run(dt.date(2026, 12, 17))
    assert len(renewal_invoices(registered)) == 1

    paid_at = at(dt.date(2026, 12, 20))
    factories.pay(invoice, "14.00", transaction_id="T-renew", now=paid_at)
    job = DomainJob.objects.get(operation="renew")
    assert job.params == {"years": 1, "from": "2027-01-15"}
    run_due_jobs(now=paid_at)
    registered.refresh_from_db()
    assert (registered.status, registered.expires_on, registered.next_due_date) == (
        "active",
        dt.date(2028, 1, 15),
        dt.date(2028, 1, 15),
    )
    assert registry.calls[-1] == ("renew", "yearly.com", 1, dt.date(2027, 1, 15))
    assert Notification.objects.filter(template="domain_renewed").count() == 1

    # The next year's invoice comes a year later.
    run(dt.date(2027, 12, 16))
    assert [link.period_key for link in renewal_invoices(registered)] == ["2027-01-15", "2028-01-15"]


def test_reminders_before_expiry_each_once_and_expired_when_not_paid(registered, client_account):
    reminders = lambda: sorted(  # noqa: E731
        Notification.objects.filter(template="domain_expiry").values_list("dedupe_key", "status")
    )
    run(dt.date(2026, 12, 16))
    run(dt.date(2026, 12, 16))
    assert reminders() == [(f"domain_expiry:{registered.pk}:2027-01-15:30", "queued")]
    run(dt.date(2027, 1, 14))  # the 7-day run was missed: only the nearest is sent
    assert reminders() == [
        (f"domain_expiry:{registered.pk}:2027-01-15:1", "queued"),
        (f"domain_expiry:{registered.pk}:2027-01-15:30", "queued"),
        (f"domain_expiry:{registered.pk}:2027-01-15:7", "skipped"),
    ]

    run(dt.date(2027, 1, 15))
    registered.refresh_from_db()
    assert registered.status == "expired"
    assert Notification.objects.filter(template="domain_expired").count() == 1

    # Paid late, within the grace period: still renewed.
    (link,) = renewal_invoices(registered)
    paid_at = at(dt.date(2027, 1, 20))
    factories.pay(link.invoice, "14.00", transaction_id="T-late", now=paid_at)
    run_due_jobs(now=paid_at)
    registered.refresh_from_db()
    assert (registered.status, registered.expires_on) == ("active", dt.date(2028, 1, 15))


def test_an_unpaid_expired_domain_is_let_go_after_the_grace_period(registered):
    run(dt.date(2026, 12, 16))
    run(dt.date(2027, 1, 15))
    run(dt.date(2027, 2, 14))  # the 30th day of grace: kept
    registered.refresh_from_db()
    assert registered.status == "expired"
    run(dt.date(2027, 2, 15))
    registered.refresh_from_db()
    assert registered.status == "cancelled"
    (link,) = renewal_invoices(registered)
    assert Invoice.objects.get(pk=link.invoice_id).status == "cancelled"


def test_auto_renew_off_issues_no_invoice(registered, client_account, now):
    domain_set_auto_renew(client=client_account, domain_id=registered.pk, auto_renew=False, now=now)
    run(dt.date(2026, 12, 16))
    assert renewal_invoices(registered) == []
    assert Notification.objects.filter(template="domain_expiry").count() == 1  # the reminder still goes
    assert Domain.objects.get(pk=registered.pk).auto_renew is False
