"""Key rotation (`moorage rotate-keys`) and a changed secret key: stored secrets stay readable or
are reported as unreadable, and no page answers 500."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from moorage.core import crypto
from moorage.provisioning.models import AppConnection, PanelAccount
from tests import factories

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw_password(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM provisioning_appconnection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def make_connection(name: str = "panel-1", password: str = "s3cret-root") -> AppConnection:
    return AppConnection.objects.create(
        module="ispmanager", name=name, ip_address="192.0.2.10", username="root", password=password
    )


@pytest.fixture
def service_with_account(db, starter, client_account, now):  # noqa: ANN001, ANN201
    order = factories.checkout(client_account, starter, now=now)
    service = order.items.get().service
    conn = make_connection()
    PanelAccount.objects.create(
        service=service, connection=conn, username="jane1", password="acc-pass", exists_on_panel=True, created_at=now
    )
    return service


def test_every_encrypted_column_is_found():
    found = {(m._meta.label, f) for m, f in crypto.encrypted_fields()}
    assert found >= {("provisioning.AppConnection", "password"), ("provisioning.PanelAccount", "password")}


def test_rotate_keys_then_drop_the_old_key_keeps_every_secret(db, settings, capsys):
    settings.MOORAGE_FERNET_KEYS = [OLD]
    first, second = make_connection("a", "pw-a"), make_connection("b", "pw-b")
    empty = make_connection("c", "")
    before = raw_password(first.pk)
    settings.MOORAGE_FERNET_KEYS = [NEW, OLD]
    call_command("rotate-keys")
    assert "2 stored secret(s) re-encrypted" in capsys.readouterr().out
    assert raw_password(first.pk) != before
    settings.MOORAGE_FERNET_KEYS = [NEW]
    assert [c.password for c in AppConnection.objects.order_by("name")] == ["pw-a", "pw-b", ""]
    assert raw_password(empty.pk) == ""
    assert not crypto.is_unreadable(AppConnection.objects.get(pk=second.pk).password)


def test_without_rotation_dropping_the_old_key_loses_nothing_silently(db, settings, capsys):
    settings.MOORAGE_FERNET_KEYS = [OLD]
    conn = make_connection()
    token = raw_password(conn.pk)
    settings.MOORAGE_FERNET_KEYS = [NEW]
    loaded = AppConnection.objects.get(pk=conn.pk)
    assert crypto.is_unreadable(loaded.password) and loaded.password == ""
    with pytest.raises(crypto.SecretUnreadable, match="cannot be decrypted with the configured keys"):
        crypto.require(loaded.password, "the password")
    # Saving the row (another field edited) writes the stored token back unchanged.
    loaded.max_accounts = 5
    loaded.save()
    assert raw_password(conn.pk) == token
    with pytest.raises(SystemExit):
        call_command("rotate-keys")
    assert "cannot be decrypted" in capsys.readouterr().err
    assert raw_password(conn.pk) == token
    settings.MOORAGE_FERNET_KEYS = [NEW, OLD]
    assert AppConnection.objects.get(pk=conn.pk).password == "s3cret-root"


def test_a_changed_secret_key_logs_everyone_out_and_no_page_fails(settings, service_with_account, client_account):
    from django.test import Client

    settings.MOORAGE_FERNET_KEYS = []  # the embedded run: the Fernet key is derived from SECRET_KEY
    settings.SECRET_KEY = "first-secret-key-" + "x" * 40
    conn = AppConnection.objects.get()
    conn.password = "s3cret-root"
    conn.save()
    staff = factories.staff_user()
    staff_browser, client_browser = Client(), Client()
    staff_browser.force_login(staff)
    client_browser.force_login(client_account.user)
    service = service_with_account
    staff_pages = [
        f"/admin/provisioning/appconnection/{conn.pk}/change/",
        "/admin/provisioning/appconnection/",
        f"/admin/services/service/{service.pk}/change/",
        f"/admin/customers/client/{client_account.pk}/change/",
        "/admin/",
    ]
    client_pages = ["/", "/services/", f"/services/{service.pk}/", "/invoices/"]
    for page in staff_pages:
        assert staff_browser.get(page).status_code in (200, 302), page
    for page in client_pages:
        assert client_browser.get(page).status_code == 200, page

    settings.SECRET_KEY = "second-secret-key-" + "y" * 40
    for page in staff_pages:
        response = staff_browser.get(page)
        assert response.status_code == 302 and "/login/" in response["Location"], page
    for page in client_pages:
        response = client_browser.get(page)
        assert response.status_code == 302 and "/login/" in response["Location"], page

    staff_browser.force_login(staff)
    client_browser.force_login(client_account.user)
    for page in staff_pages:
        assert staff_browser.get(page).status_code in (200, 302), page
    form = staff_browser.get(staff_pages[0])
    assert crypto.UNREADABLE in form.content.decode()
    for page in client_pages:
        assert client_browser.get(page).status_code == 200, page
    assert crypto.UNREADABLE in client_browser.get(f"/services/{service.pk}/").content.decode()


def test_the_old_secret_key_as_fallback_keeps_sessions_and_secrets(settings, service_with_account, client_account):
    from django.test import Client

    settings.MOORAGE_FERNET_KEYS = []
    old = "first-secret-key-" + "x" * 40
    settings.SECRET_KEY = old
    conn = AppConnection.objects.get()
    conn.password = "s3cret-root"
    conn.save()
    browser = Client()
    browser.force_login(client_account.user)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "second-secret-key-" + "y" * 40, [old]
    assert browser.get("/services/").status_code == 200
    assert AppConnection.objects.get().password == "s3cret-root"


def test_a_job_with_an_unreadable_connection_password_says_so(settings, service_with_account, now):
    from moorage.catalog.models import Product
    from moorage.provisioning.models import ModuleState, ProvisioningJob
    from moorage.provisioning.runner import run_job

    service = service_with_account
    Product.objects.filter(pk=service.product_id).update(module="ispmanager")
    ModuleState.objects.create(name="ispmanager", active=True)
    settings.MOORAGE_FERNET_KEYS = [OLD]
    conn = AppConnection.objects.get()
    conn.password = "s3cret-root"
    conn.save()
    job = ProvisioningJob.objects.create(
        service=service, operation="suspend", idempotency_key="k1", next_attempt_at=now, created_at=now
    )
    settings.MOORAGE_FERNET_KEYS = [NEW]
    done = run_job(job.pk, now=now + dt.timedelta(seconds=1))
    assert done is not None and done.status != "done"
    assert crypto.UNREADABLE in done.last_error or crypto.UNREADABLE in str(done.__dict__)


def test_the_database_check_counts_unreadable_secrets(db, settings):
    from moorage.core.checks import moorage_unreadable_secrets

    settings.MOORAGE_FERNET_KEYS = [OLD]
    make_connection()
    assert moorage_unreadable_secrets(None, databases=["default"]) == []
    settings.MOORAGE_FERNET_KEYS = [NEW]
    assert [w.id for w in moorage_unreadable_secrets(None, databases=["default"])] == ["moorage.W006"]
    assert moorage_unreadable_secrets(None) == []
