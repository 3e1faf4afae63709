"""After Change Ownership: the panel account stays, but the previous owner knows its password, so a
new one is set through the change-password job (the new owner reads it in Login Details)."""

from __future__ import annotations

import datetime as dt
import logging

from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.provisioning.actions import service_provision
from moorage.provisioning.models import PanelAccount, ProvisioningJob

log = logging.getLogger(__name__)


def panel_password_after_transfer(*, service_id: int, now: dt.datetime, actor: User | None) -> ProvisioningJob | None:
    """Queue a new panel password for a service that just changed owner; None when it has no account
    on a panel or the job cannot be queued now (staff then see why in the log and can change it)."""
    account = PanelAccount.objects.filter(service_id=service_id).only("exists_on_panel").first()
    if account is None or not account.exists_on_panel:
        return None
    try:
        return service_provision(
            service_id=service_id,
            operation=ProvisioningJob.Operation.CHANGE_PASSWORD,
            now=now,
            actor=actor,
            reason="new owner: the previous owner's panel password stops working",
        )
    except DomainError as exc:
        log.warning("service %s changed owner; its panel password was not changed: %s", service_id, exc.message)
        return None
