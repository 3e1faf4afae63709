"""Domain jobs: retries with backoff, never registering twice, transfers that wait, failures staff retry."""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.core.errors import DomainError
from moorage.domains.actions import domain_order
from moorage.domains.jobs import domain_job_retry, run_due_jobs, run_job
from moorage.domains.models import Domain, DomainJob
from moorage.domains.registrar import PERMANENT, DomainInfo, RegistrarError
from moorage.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def ordered(client, name="shop.com", action="register", now=factories.DEFAULT_NOW, **kw):  # noqa: ANN001, ANN003, ANN201
    domain = domain_order(client=client, action=action, name=name, years="1", now=now, **kw)
    invoice = domain.invoices.get().invoice
    factories.pay(invoice, str(invoice.total), transaction_id=f"T-{domain.pk}", now=now)
    return domain


def test_a_lost_answer_is_retried_by_asking_info_first_never_a_second_register(client_account, com, registry, now):
    domain = ordered(client_account)
    registry.crash_after_next = True  # the registry registered it; the answer never came back

    job = run_job(None, now=now)
    assert (job.status, job.attempts) == ("errored", 1)
    assert job.next_attempt_at == now + dt.timedelta(minutes=1)
    assert run_job(None, now=now) is None  # not due before the backoff

    later = now + dt.timedelta(minutes=2)
    job = run_job(None, now=later)
    assert job.status == "done"
    assert [c[0] for c in registry.calls] == ["register", "info", "register"]
    assert registry.creates == 1
    domain.refresh_from_db()
    assert (domain.status, domain.expires_on) == ("active", dt.date(2027, 1, 15))


def test_a_name_taken_elsewhere_fails_the_job_and_tells_staff(client_account, com, registry, staff, now):
    registry.taken.add("shop.com")
    domain = ordered(client_account)
    job = run_job(None, now=now)
    domain.refresh_from_db()
    assert (job.status, job.error_code, domain.status) == ("failed", "2302", "failed")
    assert Notification.objects.filter(template="staff_domain_job_failed").count() == 1

    # A failed registration frees the name in Moorage; staff may retry it once the cause is fixed.
    registry.taken.clear()
    domain_job_retry(job_id=job.pk, now=now, actor=staff)
    job = run_job(job.pk, now=now)
    domain.refresh_from_db()
    assert (job.status, domain.status) == ("done", "active")
    with pytest.raises(DomainError):
        domain_job_retry(job_id=job.pk, now=now, actor=staff)


def test_a_temporary_error_backs_off_and_gives_up_after_max_attempts(client_account, com, registry, now):
    ordered(client_account)
    DomainJob.objects.update(max_attempts=2)
    registry.fail_next = [RegistrarError("busy"), RegistrarError("busy")]
    assert run_job(None, now=now).status == "errored"
    job = run_job(None, now=now + dt.timedelta(hours=1))
    assert job.status == "failed" and job.last_error.startswith("gave up after 2 attempts")


def test_a_transfer_waits_for_the_losing_registrar_then_completes(client_account, com, registry, now):
    domain = ordered(client_account, name="moving.com", action="transfer", auth_code="s3cret-AUTH")
    job = run_job(None, now=now)
    domain.refresh_from_db()
    assert (job.status, domain.status) == ("errored", "transferring")
    assert domain.auth_code == "s3cret-AUTH"

    # Still pending at the next poll: not transferred again.
    run_job(None, now=now + dt.timedelta(hours=7))
    assert [c[0] for c in registry.calls] == ["transfer", "transfer"]

    # The losing registrar let it go: the registry now shows it as ours.
    registry.domains["moving.com"] = DomainInfo(
        "moving.com", dt.date(2027, 6, 1), ("ok",), ("ns1.old.test", "ns2.old.test")
    )
    job = run_job(None, now=now + dt.timedelta(hours=14))
    domain.refresh_from_db()
    assert (job.status, domain.status, domain.expires_on) == ("done", "active", dt.date(2027, 6, 1))
    assert domain.nameservers == ["ns1.old.test", "ns2.old.test"]
    assert domain.auth_code == ""  # spent, not kept
    assert [c[0] for c in registry.calls] == ["transfer", "transfer", "transfer"]


def test_a_wrong_auth_code_fails_for_good(client_account, com, registry, now):
    domain = ordered(client_account, name="moving.com", action="transfer", auth_code="wrong")
    job = run_job(None, now=now)
    domain.refresh_from_db()
    assert (job.status, job.error_code, domain.status) == ("failed", "2202", "failed")


def test_an_unknown_registrar_is_a_permanent_configuration_error(client_account, com, registry, now):
    com.registrar = "nope"
    com.save()
    ordered(client_account)
    job = run_job(None, now=now)
    assert (job.status, job.error_code) == ("failed", "config")


def test_the_same_payment_twice_queues_one_job(client_account, com, registry, now):
    from django.db import transaction

    from moorage.domains.actions import invoice_paid

    domain = ordered(client_account)
    with transaction.atomic():
        invoice_paid(domain.invoices.get().invoice, now=now, actor=None)
    assert DomainJob.objects.count() == 1
    assert run_due_jobs(now=now) == 1
    assert [c[0] for c in registry.calls] == ["register"]


def test_registrar_permanent_info_error_on_retry_leads_to_register(client_account, com, registry, now):
    ordered(client_account)
    registry.fail_next = [RegistrarError("busy")]
    run_job(None, now=now)
    job = run_job(None, now=now + dt.timedelta(minutes=5))
    assert job.status == "done"
    assert [c[0] for c in registry.calls] == ["register", "info", "register"]
    assert registry.creates == 1
    assert Domain.objects.get().status == "active"
    assert PERMANENT == "permanent"


def test_a_retry_never_adopts_a_name_someone_else_took_meanwhile(client_account, com, registry, now):
    domain = ordered(client_account, name="raced.com")
    registry.fail_next = [RegistrarError("busy")]
    run_job(None, now=now)
    registry.taken.add("raced.com")  # registered elsewhere before our retry
    job = run_job(None, now=now + dt.timedelta(minutes=5))
    domain.refresh_from_db()
    assert (job.status, job.error_code, domain.status) == ("failed", "2302", "failed")
    assert [c[0] for c in registry.calls] == ["register", "info", "register"]
    assert registry.creates == 0
