"""Client area: Service Auto Renewal, Service Auto Payment, Service Notes, Status Updates, Downloads and
Related Invoices pages: the client's own service only (404 for another's), refused with 403 when the
product does not enable the function, and downloads only through the permission-checked view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry
from moorage.provisioning.models import AppConnection, PanelAccount, ServerGroup
from moorage.servicefunctions.actions import product_download_add, safe_filename, service_note_add
from moorage.servicefunctions.models import ServiceNote, ServiceOptions, StatusUpdate
from moorage.services.models import CancellationRequest, Service
from tests import factories

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)

PAGES = [
    ("service_auto_renewal", "auto_renewal"),
    ("service_auto_payment", "auto_payment"),
    ("service_service_notes", "service_notes"),
    ("service_status_updates", "status_updates"),
    ("service_downloads", "downloads"),
    ("service_related_invoices", "related_invoices"),
]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):  # noqa: ANN001, ANN201
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def active(order):  # noqa: ANN001, ANN201
    """The client's Starter Hosting service, paid: active until 2026-02-14."""
    factories.pay(order.invoice, str(order.invoice.total), transaction_id="T-1", now=NOW)
    service = Service.objects.get(pk=order.items.get().service_id)
    assert service.status == "active"
    return service


@pytest.fixture
def others(other_client, starter):  # noqa: ANN001, ANN201
    """Another client's active Starter Hosting service."""
    o = factories.checkout(other_client, starter, hostname="other.example", now=NOW)
    factories.pay(o.invoice, str(o.invoice.total), transaction_id="T-2", now=NOW)
    return Service.objects.get(pk=o.items.get().service_id)


def upload(product, name: str = "guide.pdf", content: bytes = b"%PDF-1.4 hello", title: str = "Guide"):  # noqa: ANN001, ANN201
    staff = factories.staff_user(email=f"uploader{product.pk}-{name[:5]}@example.com".replace("/", ""))
    return product_download_add(
        product_id=product.pk,
        title=title,
        upload=SimpleUploadedFile(name, content, content_type="text/html"),
        now=NOW,
        actor=staff,
    )


@pytest.mark.parametrize(("name", "code"), PAGES)
def test_each_page_opens_for_the_own_service(signed_in, active, name, code):
    response = signed_in.get(reverse(f"clientarea:{name}", args=[active.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "code"), PAGES)
def test_another_clients_service_is_not_found_on_every_page(signed_in, active, others, name, code):
    url = reverse(f"clientarea:{name}", args=[others.pk])
    assert signed_in.get(url).status_code == 404
    assert signed_in.post(url, {"on": "0"}).status_code in (404, 405)
    assert not CancellationRequest.objects.exists() and not ServiceOptions.objects.exists()


@pytest.mark.parametrize(("name", "code"), PAGES)
def test_a_disabled_function_answers_403_with_the_reason(signed_in, active, starter, name, code):
    starter.client_functions = [c for c in starter.client_functions if c != code]
    starter.save()
    url = reverse(f"clientarea:{name}", args=[active.pk])
    response = signed_in.get(url)
    assert response.status_code == 403
    assert signed_in.post(url, {"on": "0"}).status_code in (403, 405)
    assert not CancellationRequest.objects.exists() and not ServiceOptions.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, active):
    response = client.get(reverse("clientarea:service_auto_renewal", args=[active.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_auto_renewal_off_and_on_from_the_page(signed_in, active, client_account):
    url = reverse("clientarea:service_auto_renewal", args=[active.pk])
    assert b'data-testid="auto-renewal-off"' in signed_in.get(url).content
    assert signed_in.post(url, {"on": "0"}).status_code == 302
    page = signed_in.get(url).content.decode()
    assert "2026-02-14" in page and 'data-testid="auto-renewal-on"' in page
    request = CancellationRequest.objects.get(service=active)
    assert request.status == "pending" and request.requested_by == client_account.user
    signed_in.post(url, {"on": "1"})
    request.refresh_from_db()
    assert request.status == "withdrawn"
    actions = list(
        AuditEntry.objects.filter(object_type="services.service", object_id=str(active.pk)).values_list(
            "action", flat=True
        )
    )
    assert "auto_renewal_off" in actions and "auto_renewal_on" in actions


def test_a_hostile_switch_value_changes_nothing(signed_in, active):
    url = reverse("clientarea:service_auto_renewal", args=[active.pk])
    for value in ("", "yes", "0 OR 1", "\x00", "1" * 5000):
        signed_in.post(url, {"on": value})
    assert not CancellationRequest.objects.exists()


def test_auto_payment_from_the_page(signed_in, active):
    url = reverse("clientarea:service_auto_payment", args=[active.pk])
    signed_in.post(url, {"on": "1"})
    assert ServiceOptions.objects.get(service=active).auto_payment is True
    assert b"Turn auto payment off" in signed_in.get(url).content
    signed_in.post(url, {"on": "0"})
    assert ServiceOptions.objects.get(service=active).auto_payment is False


def test_notes_show_only_the_visible_ones_newest_first(signed_in, active, others, staff):
    service_note_add(service_id=active.pk, body="First visible", visible_to_client=True, now=NOW, actor=staff)
    service_note_add(service_id=active.pk, body="Internal: late payer", visible_to_client=False, now=NOW, actor=staff)
    later = NOW + dt.timedelta(hours=1)
    service_note_add(service_id=active.pk, body="Second <b>visible</b>", visible_to_client=True, now=later, actor=staff)
    service_note_add(service_id=others.pk, body="Other client's note", visible_to_client=True, now=NOW, actor=staff)
    page = signed_in.get(reverse("clientarea:service_service_notes", args=[active.pk])).content.decode()
    assert "Internal" not in page and "Other client" not in page
    assert page.index("Second &lt;b&gt;visible&lt;/b&gt;") < page.index("First visible")
    assert AuditEntry.objects.filter(object_id=str(active.pk), action="service_note_add").count() == 3


def test_an_empty_note_is_refused(active, staff):
    with pytest.raises(DomainError):
        service_note_add(service_id=active.pk, body="   ", visible_to_client=True, now=NOW, actor=staff)
    assert not ServiceNote.objects.exists()


def _update(title: str, *, products=(), groups=(), starts=NOW - dt.timedelta(hours=1), ends=None, severity="incident"):  # noqa: ANN001, ANN202
    update = StatusUpdate.objects.create(title=title, severity=severity, starts_at=starts, ends_at=ends, created_at=NOW)
    update.products.set(products)
    update.server_groups.set(groups)
    return update


def test_status_updates_reach_the_clients_of_the_product_or_the_server_group(
    signed_in, active, others, starter, shared_page
):
    business = shared_page.products.exclude(pk=starter.pk).first()
    group = ServerGroup.objects.create(module="ispmanager", name="Frankfurt")
    conn = AppConnection.objects.create(name="fra1", module="ispmanager", group=group)
    PanelAccount.objects.create(service=active, connection=conn, username="u1", created_at=NOW)
    _update("Product incident", products=[starter])
    _update("Server maintenance", groups=[group], severity="maintenance")
    _update("Another product", products=[business])
    _update("Over", products=[starter], starts=NOW - dt.timedelta(days=3), ends=NOW - dt.timedelta(days=2))
    _update("Future", products=[starter], starts=NOW + dt.timedelta(days=2))
    page = signed_in.get(reverse("clientarea:service_status_updates", args=[active.pk])).content.decode()
    current = page.split('data-testid="status-updates-past"')[0]
    assert "Product incident" in current and "Server maintenance" in current
    assert "Another product" not in page and "Future" not in page
    assert "Over" in page.split('data-testid="status-updates-past"')[1]
    dashboard = signed_in.get(reverse("clientarea:dashboard")).content.decode()
    assert "Product incident" in dashboard and "Server maintenance" in dashboard
    assert "Another product" not in dashboard and "Over" not in dashboard and "Future" not in dashboard


def test_the_dashboard_leaves_out_updates_of_products_without_the_function(signed_in, active, starter):
    _update("Product incident", products=[starter])
    starter.client_functions = [c for c in starter.client_functions if c != "status_updates"]
    starter.save()
    assert "Product incident" not in signed_in.get(reverse("clientarea:dashboard")).content.decode()


def test_a_download_is_served_as_an_attachment_with_nosniff(signed_in, active, starter, data_dir):
    d = upload(starter, name="../../etc/Setup Guide <v2>.html", content=b"<script>alert(1)</script>")
    assert d.filename == "Setup Guide _v2_.html"
    assert str(data_dir) in d.file.path and "Setup" not in d.file.name  # stored under a random name
    listing = signed_in.get(reverse("clientarea:service_downloads", args=[active.pk])).content.decode()
    assert "Guide" in listing
    response = signed_in.get(reverse("clientarea:service_download", args=[active.pk, d.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"


def test_downloads_are_refused_to_others_to_ended_services_and_for_guessed_ids(
    signed_in, active, others, starter, shared_page
):
    business = shared_page.products.exclude(pk=starter.pk).first()
    mine = upload(starter)
    foreign = upload(business, name="secret.txt")
    url = lambda service, d: reverse("clientarea:service_download", args=[service.pk, d.pk])  # noqa: E731
    assert signed_in.get(url(others, mine)).status_code == 404  # another client's service
    assert signed_in.get(url(active, foreign)).status_code == 404  # a file of another product
    assert signed_in.get(reverse("clientarea:service_download", args=[active.pk, 99999])).status_code == 404
    Service.objects.filter(pk=active.pk).update(status="cancelled")
    assert signed_in.get(url(active, mine)).status_code == 404
    page = signed_in.get(reverse("clientarea:service_downloads", args=[active.pk])).content.decode()
    assert 'data-testid="downloads-refusal"' in page and "Guide" not in page
    Service.objects.filter(pk=active.pk).update(status="active")
    starter.client_functions = [c for c in starter.client_functions if c != "downloads"]
    starter.save()
    assert signed_in.get(url(active, mine)).status_code == 403


def test_a_download_over_the_size_limit_is_refused(starter, settings):
    settings.MOORAGE_DOWNLOAD_MAX_MB = 0
    with pytest.raises(DomainError, match="larger than the limit"):
        upload(starter)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\x\\évaluation.pdf", "evaluation.pdf"),
        ("..", "download"),
        (".htaccess", "htaccess"),
        ('a";\r\nX-Evil: 1.txt', "a_X-Evil_ 1.txt"),
        ("", "download"),
        ("x" * 300 + ".tar", "x" * 146 + ".tar"),
    ],
)
def test_file_names_are_sanitised(name, safe):
    assert safe_filename(name) == safe


def test_related_invoices_lists_only_this_services_invoices(signed_in, active, others, order):
    page = signed_in.get(reverse("clientarea:service_related_invoices", args=[active.pk])).content.decode()
    assert f"#{order.invoice.display_number}" in page
    assert page.count('data-testid="related-invoice"') == 1


def test_the_service_page_tag_shows_current_updates_only_when_enabled(active, starter):
    from django.template import Context, Template

    _update("Product incident", products=[starter])
    tpl = Template("{% load service_extras %}{% service_status_updates service %}")
    assert "Product incident" in tpl.render(Context({"service": active}))
    starter.client_functions = [c for c in starter.client_functions if c != "status_updates"]
    starter.save()
    active.refresh_from_db()
    assert "Product incident" not in tpl.render(Context({"service": Service.objects.get(pk=active.pk)}))
