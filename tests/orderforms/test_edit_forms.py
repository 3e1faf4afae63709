"""Edit Forms: the client changes a client-editable answer after ordering. A new per-cycle price
applies from the next renewal; a higher one also invoices the rest of the running period (Upgrade
pro-rata); limits follow through a change-package job; the same submission twice changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from moorage.billing.models import Invoice
from moorage.catalog import client_functions as cf
from moorage.core.errors import DomainError
from moorage.orderforms.actions import service_form_edit
from moorage.orderforms.models import ServiceFormAnswer
from moorage.provisioning.models import ProvisioningJob
from moorage.services.models import ServiceComponent
from moorage.services.queries import limit_additions
from tests import factories
from tests.orderforms.helpers import formed_product, option_lines, order, renew

pytestmark = pytest.mark.django_db
D = Decimal
LATER = dt.timedelta(days=10)  # 2026-01-25 10:00 UTC: 20 whole days of 31 left in the period


@pytest.fixture
def product(shared_page, now):  # noqa: ANN001, ANN201
    product = formed_product(shared_page, now=now)
    product.client_functions = cf.clean_enabled([*cf.DEFAULT_ENABLED, "edit_forms"])
    product.save(update_fields=["client_functions"])
    return product


@pytest.fixture
def service(client_account, product, now):  # noqa: ANN001, ANN201
    placed = order(client_account, product, {"support": "std", "disk": "1"}, now=now)
    factories.pay(placed.invoice, str(placed.invoice.total), transaction_id="T1", now=now)
    service = placed.items.get().service
    assert service.status == "active" and service.next_due_date == dt.date(2026, 2, 15)
    return service


def edit(service, answers, now, **kw):  # noqa: ANN001, ANN003, ANN201
    return service_form_edit(service_id=service.pk, answers=answers, now=now + LATER, actor=None, **kw)


def paid(result, now):  # noqa: ANN001, ANN201
    """Pay the invoice of a change waiting for it (the change applies then)."""
    assert result.pending is not None
    factories.pay(result.invoice, str(result.invoice.total), transaction_id=f"E{result.invoice.pk}", now=now + LATER)
    return result


def answer(service, code):  # noqa: ANN001, ANN201
    return ServiceFormAnswer.objects.get(service=service, code=code).value


def test_a_higher_price_invoices_the_rest_of_the_period_and_renews_at_the_new_price(service, now):
    result = edit(service, {"backup": "1"}, now)
    assert result.changed == ["backup"] and result.price_change == D("3.00")
    assert answer(service, "backup") == "0"  # waits for the invoice
    paid(result, now)
    assert answer(service, "backup") == "1"
    invoice = result.invoice
    assert invoice.kind == Invoice.Kind.UPGRADE and invoice.client_id == service.client_id
    # 3.00 × 20/31 = 1.935… → 1.94, and the one-time price of the new answer.
    assert option_lines(invoice) == [
        ("Daily backups (one-time)", D("5.00"), False),
        ("Daily backups (pro-rata)", D("1.94"), True),
    ]
    line = invoice.lines.get(period_start__isnull=False)
    assert (line.period_start, line.period_end) == (dt.date(2026, 1, 25), dt.date(2026, 2, 14))
    renewal = renew(service, now=now + dt.timedelta(days=30))
    assert ("Daily backups", D("3.00"), True) in option_lines(renewal)
    assert renewal.total == D("10.00") + D("0.25") + D("3.00") + D("0.10")


def test_the_same_submission_twice_changes_nothing_more(service, now):
    first = edit(service, {"backup": "1", "disk": "1"}, now)
    assert first.changed == ["backup"]
    waiting = edit(service, {"backup": "1", "disk": "1"}, now)  # a second click before paying
    assert waiting.changed == [] and waiting.pending == first.pending and waiting.invoice == first.invoice
    paid(first, now)
    again = edit(service, {"backup": "1", "disk": "1"}, now)
    assert again.changed == [] and again.invoice is None
    assert Invoice.objects.filter(kind="upgrade").count() == 1
    assert ServiceComponent.objects.filter(service=service).exclude(status="ended").count() == 3


def test_a_lower_price_applies_from_the_next_renewal_without_credit(service, now):
    paid(edit(service, {"disk": "5"}, now), now)
    invoices = Invoice.objects.count()
    result = edit(service, {"disk": "0"}, now)
    assert result.invoice is None and result.price_change == D("-1.25")
    assert Invoice.objects.count() == invoices
    component = ServiceComponent.objects.filter(service=service, source__startswith="form:").exclude(status="ended")
    assert D("1.25") not in [c.recurring_amount for c in component]
    renewal = renew(service, now=now + dt.timedelta(days=30))
    assert [d for d, _, _ in option_lines(renewal)] == ["Source: web"]


def test_a_select_change_moves_the_limits(service, now):
    assert limit_additions(service) == {"limit_quota": 1024}
    result = edit(service, {"os": "php83", "disk": "2"}, now)
    assert sorted(result.changed) == ["disk", "os"]
    assert limit_additions(service) == {"limit_quota": 1024}  # not before payment
    paid(result, now)
    assert limit_additions(service) == {"limit_quota": 2048, "limit_db": 1}
    assert result.job is None  # no panel account: nothing to tell a panel
    edit(service, {"os": "php82"}, now)
    assert limit_additions(service) == {"limit_quota": 2048}


@pytest.mark.parametrize(
    ("answers", "field", "code"),
    [
        ({"notes": "x"}, "form.notes", "not_editable"),  # not client-editable
        ({"source": "evil"}, "form.source", "not_editable"),  # hidden
        ({"price": "0"}, "form.price", "unknown_field"),
        ({"disk": "-3"}, "form.disk", "invalid"),
        ({"disk": "51"}, "form.disk", "out_of_range"),
        ({"os": "php99"}, "form.os", "invalid_choice"),
    ],
)
def test_refused_edits_change_nothing(service, now, answers, field, code, unchanged):
    components = list(ServiceComponent.objects.order_by("pk").values_list())
    answers_before = list(ServiceFormAnswer.objects.order_by("pk").values_list())
    with unchanged(), pytest.raises(DomainError) as caught:
        edit(service, answers, now)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert list(ServiceComponent.objects.order_by("pk").values_list()) == components
    assert list(ServiceFormAnswer.objects.order_by("pk").values_list()) == answers_before


def test_staff_may_change_a_non_editable_field_but_not_a_hidden_one(service, now):
    assert edit(service, {"notes": "staff note"}, now, by_staff=True).changed == ["notes"]
    with pytest.raises(DomainError):
        edit(service, {"source": "x"}, now, by_staff=True)


def test_a_terminated_service_cannot_be_edited_by_its_client(service, now):
    from moorage.services import lifecycle

    lifecycle.transition(service, "terminated", now=now, actor=None)
    with pytest.raises(DomainError) as caught:
        edit(service, {"backup": "1"}, now)
    assert caught.value.code == "not_editable"


# --- the client's page ------------------------------------------------------------------------------


def url(service) -> str:  # noqa: ANN001
    return reverse("clientarea:service_edit_forms", args=[service.pk])


def test_the_page_shows_the_answers_and_saves_a_change(signed_in, service):
    page = signed_in.get(url(service)).content.decode()
    assert 'name="form_backup"' in page and 'name="form_disk"' in page
    assert 'name="form_notes"' not in page and "form_source" not in page  # read-only / hidden
    assert "PHP 8.2" in page
    response = signed_in.post(url(service), {"form_backup": "1", "form_disk": "1", "form_os": "php82"})
    assert response.status_code == 302
    assert answer(service, "backup") == "0"  # applies when the invoice is paid
    assert Invoice.objects.filter(kind="upgrade", client=service.client).count() == 1
    detail = signed_in.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    assert 'data-code="edit_forms"' in detail


def test_a_bad_answer_is_shown_and_saves_nothing(signed_in, service):
    response = signed_in.post(url(service), {"form_disk": "lots", "form_os": "php82"})
    assert response.status_code == 200
    assert "enter a whole number" in response.content.decode()
    assert answer(service, "disk") == "1"


def test_another_clients_service_is_not_found(client, other_client, service):  # noqa: ANN001
    client.force_login(other_client.user)
    assert client.get(url(service)).status_code == 404
    assert client.post(url(service), {"form_backup": "1"}).status_code == 404
    assert answer(service, "backup") == "0"


def test_disabled_edit_forms_is_refused(signed_in, service, product):
    product.client_functions = [c for c in product.client_functions if c != "edit_forms"]
    product.save(update_fields=["client_functions"])
    assert signed_in.get(url(service)).status_code == 403
    assert signed_in.post(url(service), {"form_backup": "1"}).status_code == 403
    assert answer(service, "backup") == "0"


def test_anonymous_is_sent_to_login(client, service):  # noqa: ANN001
    response = client.get(url(service))
    assert response.status_code == 302 and "login" in response["Location"]


# --- the panel follows ------------------------------------------------------------------------------


@pytest.fixture
def on_panel(panel, hosting, client_account, now):  # noqa: ANN001, ANN201
    from moorage.orderforms.actions import form_import
    from moorage.provisioning.models import PanelAccount
    from moorage.provisioning.runner import run_due_jobs

    form = [
        {
            "code": "disk",
            "label": "Extra disk (GB)",
            "type": "number",
            "max": 10,
            "recurring_price": "1.00",
            "limits": {"limit_quota": 1024},
            "client_editable": True,
        }
    ]
    form_import(product_id=hosting.pk, data=form, now=now, actor=None)
    placed = order(client_account, hosting, {"disk": "2"}, now=now)
    factories.pay(placed.invoice, str(placed.invoice.total), transaction_id="P1", now=now)
    assert run_due_jobs(now=now) == 1
    service = placed.items.get().service
    account = PanelAccount.objects.get(service=service)
    return service, account


def test_form_limits_reach_the_panel_and_follow_an_edit(panel, on_panel, now):
    from moorage.provisioning.runner import run_due_jobs

    service, account = on_panel
    # preset "basic" has 1024 MB; the product sets no quota override: 1024 + 2 × 1024.
    assert str(panel.state.users[account.username]["limit_quota"]) == "3072"
    result = service_form_edit(service_id=service.pk, answers={"disk": "5"}, now=now + LATER, actor=None)
    assert result.job is None and result.pending is not None  # the panel waits for the payment
    assert run_due_jobs(now=now + LATER) == 0
    paid(result, now)
    job = ProvisioningJob.objects.get(service=service, operation=ProvisioningJob.Operation.CHANGE_PACKAGE)
    assert job.idempotency_key.startswith("edit_forms:")
    assert run_due_jobs(now=now + LATER) == 1
    assert str(panel.state.users[account.username]["limit_quota"]) == str(1024 + 5 * 1024)
