"""The staff event's Default template is installed by the reconciliation app's data migration."""

from __future__ import annotations

import pytest

from moorage.notifications.models import NotificationTemplate


@pytest.mark.django_db
def test_default_template_of_the_staff_event_is_installed():
    template = NotificationTemplate.objects.get(event="staff_reconcile_findings", is_default=True)
    assert sorted(template.texts.values_list("language", flat=True)) == ["en", "ru"]
