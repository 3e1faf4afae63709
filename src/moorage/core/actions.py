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
    """Take the next value of a sequence; the row stays locked until the caller's transaction ends,
    so numbers are handed out in commit order and a rolled-back number is given out again (never
    skipped, never reused). One UPDATE … RETURNING on both databases."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("next_number must run inside the action's transaction")
    table = Sequence._meta.db_table
    sql = f"UPDATE {table} SET last_value = last_value + 1 WHERE name = %s RETURNING last_value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        row = cursor.fetchone()
    if row is None:
        # First use of this sequence: create it (a concurrent first use waits on the unique key).
        with transaction.atomic():
            Sequence.objects.get_or_create(name=name)
        with connection.cursor() as cursor:
            cursor.execute(sql, [name])
            row = cursor.fetchone()
    return int(row[0])
