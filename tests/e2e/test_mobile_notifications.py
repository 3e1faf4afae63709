"""Mobile notifications in the browser: the service worker registers at the root, "Allow
notifications" sends the subscription with the CSRF token, the test notification reaches the
push-service stand-in, and the service worker shows a pushed message."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from moorage.notifications.delivery import deliver_pending
from moorage.push.models import PushSubscription
from tests import factories
from tests.push.pushservice import PushService

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def push_service(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.MOORAGE_VAPID_PRIVATE_KEY = ""
    settings.MOORAGE_VAPID_SUBJECT = "mailto:ops@moorage.test"
    service = PushService().start()
    settings.MOORAGE_PUSH_SERVICES = [service.origin]
    yield service
    service.stop()


def test_allow_notifications_and_receive_one(live_server, browser, push_service, shot):
    client = factories.client(email="phone@example.com", first_name="Pia")
    device = push_service.new_device()
    base = live_server.url
    context = browser.new_context(viewport={"width": 420, "height": 900})
    context.set_default_timeout(15_000)
    context.grant_permissions(["notifications"], origin=base)
    # Chromium's own push service (FCM) is out of reach here: the browser's subscribe() answers
    # with the stand-in's subscription instead; everything after it (our script, the CSRF POST,
    # the server) is real.
    subscription = json.dumps(push_service.subscription_json(device))
    context.add_init_script(
        "if (self.PushManager) { PushManager.prototype.subscribe = async function (options) {"
        "  sessionStorage.setItem('pushKeyLength', String(options.applicationServerKey.length));"
        f"  const data = {subscription};"
        "  return { endpoint: data.endpoint, toJSON: () => data, unsubscribe: async () => true }; }; }"
    )
    page = context.new_page()
    try:
        page.goto(f"{base}/login/?next=/account/")
        page.fill("#id_email", "phone@example.com")
        page.fill("#id_password", factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/account/$"))

        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == f"{base}/"
        manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
        assert manifest["display"] == "standalone"

        page.get_by_role("button", name="Allow notifications on this device").click()
        page.wait_for_selector("text=Send a test notification")
        key_length = page.evaluate("sessionStorage.getItem('pushKeyLength')")
        sub = PushSubscription.objects.get()
        assert sub.client == client and sub.endpoint == push_service.endpoint(device)
        shot(page, "30-mobile-notifications")

        page.get_by_role("button", name="Send a test notification").click()
        page.wait_for_selector("text=on its way")
        assert deliver_pending(now=timezone.now()) == 1
        (payload,) = device.received
        assert payload["title"] == "Test notification"

        # The service worker shows what a push service delivers (Chromium's DevTools push).
        cdp = context.new_cdp_session(page)
        versions: list[dict] = []
        cdp.on("ServiceWorker.workerVersionUpdated", lambda event: versions.extend(event["versions"]))
        cdp.send("ServiceWorker.enable")
        for _ in range(100):
            if versions:
                break
            page.wait_for_timeout(50)
        registration_id = versions[0]["registrationId"]
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": base, "registrationId": registration_id, "data": json.dumps(payload)},
        )
        shown = "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(n => n.map(x => [x.title, x.body]))"
        titles = []
        for _ in range(100):
            titles = page.evaluate(shown)
            if titles:
                break
            page.wait_for_timeout(50)
        assert titles == [[payload["title"], payload["body"]]]
    finally:
        context.close()
    assert key_length == "65"  # the VAPID public key, decoded by the page's script
