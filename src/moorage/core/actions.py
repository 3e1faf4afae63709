"""Kernel actions shared by every app: the audit record and the next document number."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction

from moorage.core.models import AuditEntry, Sequence, User


def audit(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    now: dt.datetime,
    message: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit record for `obj` (called inside the action's transaction)."""
    return AuditEntry.objects.create(
        created_at=now,
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        message=message,
        data=data or {},
    )


def next_number(name: str) -> int:
    """Take the next value of a sequence under a row lock; the caller's transaction keeps it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the action's transaction")
    seq, _ = Sequence.objects.get_or_create(name=name)
    seq = Sequence.objects.select_for_update().get(pk=seq.pk)
    seq.last_value = models.F("last_value") + 1
    seq.save(update_fields=["last_value"])
    seq.refresh_from_db(fields=["last_value"])
    return seq.last_value
