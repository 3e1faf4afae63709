"""API tokens are managed (issue #10, item 4): stored hashed and shown once, scoped, revoked by their
owner or a superuser, last use noted at most once a minute; through the actions, the CLI and the
staff page."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as Browser
from django.urls import reverse

from moorage.api.actions import api_token_authenticate, api_token_create, api_token_revoke
from moorage.api.models import ApiToken
from moorage.core.errors import DomainError, NotFound, PermissionDenied
from moorage.core.models import AuditEntry, User
from tests import factories

pytestmark = pytest.mark.django_db

CLOCK = "2026-01-15T10:00:00+00:00"


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = CLOCK


@pytest.fixture
def alice(db):  # noqa: ANN001, ANN201
    """A staff member (no superuser) who may create API tokens and view clients."""
    user = User.objects.create_user("alice@example.com", factories.PASSWORD, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_apitoken", "view_client"]))
    return user


@pytest.fixture
def bob(db):  # noqa: ANN001, ANN201
    return User.objects.create_user("bob@example.com", factories.PASSWORD, is_staff=True)


def browser_of(user: User) -> Browser:
    b = Browser()
    b.force_login(user)
    return b


# --- actions -------------------------------------------------------------------------------------


def test_a_token_is_stored_hashed_and_scoped(alice, now):
    row, token = api_token_create(user=alice, now=now, actor=alice, name="CRM", scopes="billing, READ")
    assert token.startswith("mrg_") and len(token) > 40
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(ApiToken.objects.values_list()))  # the secret is nowhere in the table
    assert row.prefix == token[:10] and row.scopes == "billing read"
    assert row.read_only and row.areas == ["billing"]
    entry = AuditEntry.objects.get(action="api_token_create")
    assert entry.actor == alice and entry.data == {"scopes": "billing read"} and token not in str(entry.data)


def test_unknown_scopes_are_refused(alice, now):
    with pytest.raises(DomainError) as err:
        api_token_create(user=alice, now=now, actor=alice, scopes=["read", "everything"])
    assert err.value.field == "scopes" and "everything" in err.value.message
    assert not ApiToken.objects.exists()


def test_only_a_superuser_creates_a_token_for_someone_else(alice, bob, staff, now):
    with pytest.raises(PermissionDenied):
        api_token_create(user=alice, now=now, actor=bob)
    assert api_token_create(user=alice, now=now, actor=staff)[0].user == alice


def test_a_client_login_gets_no_token(client_account, now):
    with pytest.raises(DomainError) as err:
        api_token_create(user=client_account.user, now=now, actor=None)
    assert err.value.code == "not_staff"


def test_revoke_by_the_owner_or_a_superuser_once(alice, bob, staff, now):
    row, token = api_token_create(user=alice, now=now, actor=alice)
    with pytest.raises(NotFound):  # someone else's token is not even found
        api_token_revoke(token_id=row.pk, now=now, actor=bob)
    assert api_token_authenticate(token) is not None
    later = now + dt.timedelta(hours=1)
    assert api_token_revoke(token_id=row.pk, now=later, actor=alice).revoked_at == later
    assert api_token_revoke(token_id=row.pk, now=later + dt.timedelta(hours=1), actor=staff).revoked_at == later
    assert AuditEntry.objects.filter(action="api_token_revoke").count() == 1
    assert api_token_authenticate(token) is None


def test_last_used_at_is_written_at_most_once_a_minute(alice, now):
    row, token = api_token_create(user=alice, now=now, actor=alice)
    assert row.last_used_at is None
    api_token_authenticate(token, now=now)
    api_token_authenticate(token, now=now + dt.timedelta(seconds=59))
    row.refresh_from_db()
    assert row.last_used_at == now
    api_token_authenticate(token, now=now + dt.timedelta(seconds=61))
    row.refresh_from_db()
    assert row.last_used_at == now + dt.timedelta(seconds=61)


def test_an_api_call_notes_the_last_use(client, alice, client_account, now):
    row, token = api_token_create(user=alice, now=now - dt.timedelta(days=3), actor=alice)
    response = client.get(f"/api/v1/clients/{client_account.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == dt.datetime.fromisoformat(CLOCK)


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_create_list_and_revoke(alice, capsys, client, client_account):
    call_command("api-token", "create", "--email", alice.email, "--name", "CRM", "--scopes", "read,clients")
    token = capsys.readouterr().out.strip()
    row = ApiToken.objects.get()
    assert row.scopes == "clients read" and row.name == "CRM"

    call_command("api-token", "list")
    listing = capsys.readouterr().out
    assert row.prefix in listing and "alice@example.com" in listing and "clients read" in listing
    assert token not in listing and "never" in listing

    call_command("api-token", "revoke", row.prefix)
    assert "revoked token" in capsys.readouterr().out
    row.refresh_from_db()
    assert row.revoked and row.revoked_at == dt.datetime.fromisoformat(CLOCK)
    assert client.get(f"/api/v1/clients/{client_account.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    call_command("api-token", "list")
    assert row.prefix not in capsys.readouterr().out  # active tokens only, unless --all
    call_command("api-token", "list", "--all", "--email", alice.email)
    assert "revoked 2026-01-15 10:00" in capsys.readouterr().out


def test_cli_revoke_by_id_or_whole_token_and_refuses_unknown(alice, now, capsys):
    first, token = api_token_create(user=alice, now=now, actor=None)
    second, _ = api_token_create(user=alice, now=now, actor=None)
    call_command("api-token", "revoke", str(first.pk))
    call_command("api-token", "revoke", token)  # already revoked: nothing changes
    for ref in ("999", "mrg_", "mrg_nothing-like-this"):
        with pytest.raises(CommandError):
            call_command("api-token", "revoke", ref)
    assert list(ApiToken.objects.filter(revoked=True)) == [first]
    second.refresh_from_db()
    assert not second.revoked


def test_cli_refuses_unknown_scopes(alice):
    with pytest.raises(CommandError, match="unknown scope"):
        call_command("api-token", "create", "--email", alice.email, "--scopes", "root")
    assert not ApiToken.objects.exists()


# --- staff page ----------------------------------------------------------------------------------


def test_staff_page_creates_a_token_and_shows_it_once(alice):
    browser = browser_of(alice)
    url = reverse("admin:api_apitoken_add")
    response = browser.post(url, {"name": "Zapier", "scopes": ["read", "billing"]})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    row = ApiToken.objects.get()
    token = response.context["token"]
    assert token.startswith("mrg_") and token in response.content.decode()
    assert row.user == alice and row.scopes == "billing read" and row.token_hash != token
    page = browser.get(reverse("admin:api_apitoken_change", args=[row.pk])).content.decode()
    assert row.prefix in page and token not in page  # never shown again
    assert 'name="user"' not in browser.get(url).content.decode()  # own tokens only


def test_staff_page_lists_and_revokes_only_own_tokens(alice, bob, now):
    own, _ = api_token_create(user=alice, now=now, actor=None, name="own")
    other, _ = api_token_create(user=bob, now=now, actor=None, name="bobs")
    browser = browser_of(alice)
    changelist = reverse("admin:api_apitoken_changelist")
    page = browser.get(changelist).content.decode()
    assert own.prefix in page and other.prefix not in page
    assert browser.get(reverse("admin:api_apitoken_change", args=[other.pk])).status_code in (302, 403, 404)
    browser.post(changelist, {"action": "revoke_selected", "_selected_action": [own.pk, other.pk]})
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.revoked and not other.revoked


def test_a_staff_member_without_the_permission_cannot_create_but_sees_own(bob, now):
    own, _ = api_token_create(user=bob, now=now, actor=None)
    browser = browser_of(bob)
    assert browser.get(reverse("admin:api_apitoken_add")).status_code == 403
    assert own.prefix in browser.get(reverse("admin:api_apitoken_changelist")).content.decode()


def test_a_superuser_sees_and_revokes_every_token_and_creates_for_others(staff, alice, now):
    other, _ = api_token_create(user=alice, now=now, actor=None)
    browser = browser_of(staff)
    changelist = reverse("admin:api_apitoken_changelist")
    assert other.prefix in browser.get(changelist).content.decode()
    browser.post(changelist, {"action": "revoke_selected", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.revoked
    browser.post(reverse("admin:api_apitoken_add"), {"name": "for alice", "user": alice.pk})
    assert ApiToken.objects.get(name="for alice").user == alice


def test_tokens_are_never_edited_or_deleted_in_the_staff_area(staff, now):
    row, _ = api_token_create(user=staff, now=now, actor=None)
    browser = browser_of(staff)
    browser.post(reverse("admin:api_apitoken_change", args=[row.pk]), {"name": "changed"})
    assert browser.get(reverse("admin:api_apitoken_delete", args=[row.pk])).status_code == 403
    row.refresh_from_db()
    assert row.name == ""
