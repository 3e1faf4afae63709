"""The push-service stand-in on a free port, allowed as the only push service; VAPID keys kept in a
temporary data directory."""

from __future__ import annotations

import pytest

from tests.push.pushservice import PushService


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):  # noqa: ANN001, ANN202
    settings.DATA_DIR = tmp_path
    settings.MOORAGE_VAPID_PRIVATE_KEY = settings.MOORAGE_VAPID_PUBLIC_KEY = ""
    settings.MOORAGE_VAPID_SUBJECT = "mailto:ops@moorage.test"


@pytest.fixture
def push_service(settings):
    service = PushService().start()
    settings.MOORAGE_PUSH_SERVICES = [service.origin]
    yield service
    service.stop()


@pytest.fixture
def device(push_service, client_account, now):
    """A device of the client that allowed notifications (subscribed through the action)."""
    from moorage.push.actions import push_subscribe

    dev = push_service.new_device()
    push_subscribe(
        client=client_account,
        data=push_service.subscription_json(dev),
        user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile",
        now=now,
        actor=client_account.user,
    )
    return dev
