"""The installable client area and the profile's mobile notifications: manifest, service worker,
subscribe (CSRF, own client, hostile JSON), remove, test send."""

from __future__ import annotations

import json

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from moorage.core.models import AuditEntry
from moorage.notifications.delivery import PUSH_TEST_LIMIT, deliver_pending
from moorage.notifications.models import Notification
from moorage.push.models import PushSubscription
from tests import factories

pytestmark = pytest.mark.django_db

SUBSCRIBE = "clientarea:push_subscribe"


def _post_json(client, data, **extra):  # noqa: ANN001, ANN003, ANN202
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(reverse(SUBSCRIBE), body, content_type="application/json", **extra)


def test_manifest_makes_the_client_area_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["display"] == "standalone" and data["start_url"] == "/" and data["name"]
    sizes = {icon["sizes"]: icon["src"] for icon in data["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    from django.contrib.staticfiles import finders
    from PIL import Image

    for size, src in sizes.items():
        path = finders.find(src.removeprefix("/static/"))
        assert Image.open(path).size == tuple(int(n) for n in size.split("x"))


def test_the_service_worker_is_served_at_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    script = response.content.decode()
    assert 'addEventListener("push"' in script and "showNotification" in script
    assert 'addEventListener("notificationclick"' in script and "openWindow" in script


def test_every_page_links_the_manifest_and_the_profile_offers_notifications(client, client_account):
    login = client.get(reverse("clientarea:login")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in login and "clientarea/push.js" in login
    client.force_login(client_account.user)
    page = client.get(reverse("clientarea:account")).content.decode()
    assert 'id="mobile-notifications"' in page and "Allow notifications on this device" in page
    from moorage.push import vapid

    assert f'data-vapid-key="{vapid.keys().public_key}"' in page


def test_subscribe_records_the_clients_device(client, client_account, push_service):
    client.force_login(client_account.user)
    dev = push_service.new_device()
    response = _post_json(
        client, push_service.subscription_json(dev), HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/605"
    )
    assert response.status_code == 201
    sub = PushSubscription.objects.get()
    assert (sub.client, sub.endpoint, sub.p256dh, sub.active) == (
        client_account,
        push_service.endpoint(dev),
        dev.p256dh,
        True,
    )
    assert sub.device_name == "Safari on iPhone"
    page = client.get(reverse("clientarea:account")).content.decode()
    assert "Safari on iPhone" in page and "Send a test notification" in page
    assert push_service.endpoint(dev) not in page  # the endpoint is a capability: never shown
    # Sent again (the browser renews it): the same row.
    assert _post_json(client, push_service.subscription_json(dev)).status_code == 201
    assert PushSubscription.objects.count() == 1


def test_subscribe_needs_the_csrf_token(client_account, push_service):
    browser = DjangoClient(enforce_csrf_checks=True)
    browser.force_login(client_account.user)
    response = _post_json(browser, push_service.subscription_json(push_service.new_device()))
    assert response.status_code == 403 and not PushSubscription.objects.exists()


def test_subscribe_needs_a_signed_in_client(client, staff, push_service):
    data = push_service.subscription_json(push_service.new_device())
    assert _post_json(client, data).status_code == 302  # to sign in
    client.force_login(staff)
    assert _post_json(client, data).status_code == 403
    assert client.get(reverse(SUBSCRIBE)).status_code == 405
    assert not PushSubscription.objects.exists()


def _hostile(service, dev):  # noqa: ANN001, ANN202
    good = service.subscription_json(dev)
    keys = good["keys"]
    return [
        b"not json",
        b"\xff\xfe",
        "[]",
        "null",
        json.dumps("endpoint"),
        {},
        {**good, "endpoint": 42},
        {**good, "endpoint": "http://169.254.169.254/latest/meta-data/"},  # not a push service: never posted to
        {**good, "endpoint": "https://fcm.googleapis.com.evil.example/x"},
        {**good, "endpoint": service.origin.replace("http:", "https:") + "/push/x"},
        {**good, "endpoint": "http://user:pw@" + service.origin.removeprefix("http://") + "/push/x"},
        {**good, "endpoint": service.origin + "/" + "a" * 2000},
        {**good, "keys": None},
        {**good, "keys": {"p256dh": keys["p256dh"]}},
        {**good, "keys": {**keys, "p256dh": "A" * 87}},  # 65 bytes, not a point on the curve
        {**good, "keys": {**keys, "p256dh": "!!!"}},
        {**good, "keys": {**keys, "auth": keys["p256dh"]}},
        {**good, "keys": {**keys, "auth": ["x"]}},
        "x" * 5000,
    ]


def test_hostile_subscriptions_are_refused_with_400(client, client_account, push_service):
    client.force_login(client_account.user)
    for data in _hostile(push_service, push_service.new_device()):
        response = _post_json(client, data)
        assert response.status_code == 400, data
        assert response.json()["message"]
    assert not PushSubscription.objects.exists()
    assert not AuditEntry.objects.filter(action="push_subscribe").exists()


def test_the_push_services_allowed_by_default(settings):
    from moorage.push.sender import allowed_endpoint

    settings.MOORAGE_PUSH_SERVICES = [
        "https://fcm.googleapis.com",
        "https://*.notify.windows.com",
    ]
    assert allowed_endpoint("https://fcm.googleapis.com/fcm/send/abc")
    assert allowed_endpoint("https://wns2-par02p.notify.windows.com/w/?token=x")
    assert not allowed_endpoint("https://notify.windows.com.evil.example/w")
    assert not allowed_endpoint("http://fcm.googleapis.com/fcm/send/abc")
    assert not allowed_endpoint("https://fcm.googleapis.com:8443/fcm/send/abc")
    assert not allowed_endpoint("https://[::1")


def test_staff_logged_in_as_the_client_cannot_subscribe_their_browser(client, staff, client_account, push_service):
    from tests.clientarea.test_pages import impersonate

    impersonate(client, staff, client_account, factories.DEFAULT_NOW)
    response = _post_json(client, push_service.subscription_json(push_service.new_device()))
    assert response.status_code == 403 and not PushSubscription.objects.exists()


def test_a_client_removes_only_their_own_devices(client, client_account, device, push_service, now):
    from moorage.push.actions import push_subscribe

    other = factories.client(now=now)
    theirs = push_subscribe(
        client=other,
        data=push_service.subscription_json(push_service.new_device()),
        user_agent="",
        now=now,
        actor=other.user,
    )
    mine = PushSubscription.objects.get(client=client_account)
    client.force_login(client_account.user)
    assert client.post(reverse("clientarea:push_remove", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("clientarea:push_remove", args=[mine.pk])).status_code == 405
    response = client.post(reverse("clientarea:push_remove", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#mobile-notifications")
    assert list(PushSubscription.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_send_a_test_notification(client, client_account, device, push_service):
    client.force_login(client_account.user)
    response = client.post(reverse("clientarea:push_test"), follow=True)
    assert "on its way" in response.content.decode()
    row = Notification.objects.get(template="push_test")
    assert (row.channel, row.client, row.status) == ("push", client_account, "queued")
    from django.utils import timezone

    assert deliver_pending(now=timezone.now()) == 1
    (payload,) = device.received
    assert payload["title"] == "Test notification" and payload["url"] == "/"
    page = client.get(reverse("clientarea:account")).content.decode()
    assert "Recent notifications" in page and "Test notification" in page


def test_test_notifications_are_rate_limited(client, client_account, device):
    client.force_login(client_account.user)
    for _ in range(PUSH_TEST_LIMIT):
        client.post(reverse("clientarea:push_test"))
    response = client.post(reverse("clientarea:push_test"), follow=True)
    assert "test notifications an hour" in response.content.decode()
    assert Notification.objects.filter(template="push_test").count() == PUSH_TEST_LIMIT


def test_a_test_notification_needs_a_device(client, client_account, push_service):
    client.force_login(client_account.user)
    response = client.post(reverse("clientarea:push_test"), follow=True)
    assert "Allow notifications on a device first" in response.content.decode()
    assert not Notification.objects.exists()


def test_a_test_notification_in_the_clients_language(client_account, device, now):
    from moorage.notifications.delivery import notification_push_test

    client_account.language = "ru"
    client_account.save(update_fields=["language"])
    row = notification_push_test(client=client_account, now=now)
    assert row.language == "ru"
