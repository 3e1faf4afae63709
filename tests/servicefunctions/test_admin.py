"""Staff area: notes on the service page (add, internal or visible, delete is audited), status
updates (need a product or a server group; end after start), and uploading a product download."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from moorage.core.models import AuditEntry
from moorage.servicefunctions.models import ProductDownload, ServiceNote, StatusUpdate
from moorage.services.models import Service
from tests import factories

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def service(client_account, starter):  # noqa: ANN001, ANN201
    factories.checkout(client_account, starter, now=NOW)
    return Service.objects.get()


@pytest.fixture
def admin_client(client, staff):  # noqa: ANN001, ANN201
    client.force_login(staff)
    return client


def test_staff_add_a_note_from_the_service_page_and_delete_it(admin_client, service):
    page = admin_client.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()
    assert 'id="add-service-note"' in page
    url = reverse("admin:servicefunctions_servicenote_add") + f"?service={service.pk}"
    response = admin_client.post(url, {"service": service.pk, "body": "Migrated to fra1", "visible_to_client": "on"})
    assert response.status_code == 302
    note = ServiceNote.objects.get()
    assert note.visible_to_client and note.service == service
    assert (
        "Migrated to fra1"
        in admin_client.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()
    )
    admin_client.post(reverse("admin:servicefunctions_servicenote_delete", args=[note.pk]), {"post": "yes"})
    assert not ServiceNote.objects.exists()
    assert AuditEntry.objects.filter(object_id=str(service.pk), action="service_note_delete").exists()


def test_a_status_update_needs_a_target_and_an_end_after_its_start(admin_client, starter):
    url = reverse("admin:servicefunctions_statusupdate_add")
    base = {
        "title": "Maintenance",
        "severity": "maintenance",
        "body": "",
        "starts_at_0": "2026-01-20",
        "starts_at_1": "22:00",
    }
    response = admin_client.post(url, {**base, "ends_at_0": "2026-01-20", "ends_at_1": "21:00"})
    assert response.status_code == 200 and not StatusUpdate.objects.exists()
    response = admin_client.post(url, {**base, "products": [starter.pk]})
    assert response.status_code == 302, response.content
    update = StatusUpdate.objects.get()
    assert list(update.products.all()) == [starter] and update.created_by is not None


def test_staff_upload_a_download(admin_client, starter, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    url = reverse("admin:servicefunctions_productdownload_add")
    upload = SimpleUploadedFile("Manual v1.pdf", b"%PDF", content_type="application/pdf")
    response = admin_client.post(url, {"product": starter.pk, "title": "", "description": "", "file": upload})
    assert response.status_code == 302, response.content
    download = ProductDownload.objects.get()
    assert (download.title, download.filename, download.size) == ("Manual v1.pdf", "Manual v1.pdf", 4)
    assert (tmp_path / "media" / "downloads").exists()
    stored = download.file.path
    admin_client.post(reverse("admin:servicefunctions_productdownload_delete", args=[download.pk]), {"post": "yes"})
    assert not ProductDownload.objects.exists()
    import os

    assert not os.path.exists(stored)
