"""Cursor pagination of the API's lists: newest first by id, an opaque signed cursor, a bounded page.

A cursor is the id of the last row of the page before, signed (Django's signing, salted with the
list's name) so a caller cannot forge one or carry it to another list. Paging by id rather than by
offset stays stable while rows are added: a row is never shown twice or skipped. Anything that is
not a cursor this server issued for this list is a 422 naming `cursor`, never a 500.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.core import signing
from django.db.models import QuerySet
from ninja import Field

from moorage.core.errors import DomainError

LIMIT_DEFAULT = 50
LIMIT_MAX = 200
# A signed cursor is about 40 characters; anything much longer is not one of ours.
CURSOR_MAX_LENGTH = 200
SALT = "moorage.api.cursor"

Limit = Annotated[int, Field(ge=1, le=LIMIT_MAX, description=f"Rows per page, 1 to {LIMIT_MAX}")]
Cursor = Annotated[
    str | None,
    Field(
        max_length=CURSOR_MAX_LENGTH,
        description="The next_cursor of the page before; omit it for the first page",
    ),
]


class InvalidCursor(DomainError):
    """A cursor this server did not issue for this list."""

    code = "invalid_cursor"
    status = 422


def encode_cursor(list_name: str, last_id: int) -> str:
    return signing.dumps(last_id, salt=f"{SALT}:{list_name}", compress=False)


def decode_cursor(list_name: str, cursor: str) -> int:
    """The last id of the previous page, or InvalidCursor."""
    try:
        value: Any = signing.loads(cursor, salt=f"{SALT}:{list_name}")
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise InvalidCursor("the cursor is not one this list gave out; start again without it", field="cursor") from exc
    if type(value) is not int or value < 1:  # a signed value is ours, but check its shape all the same
        raise InvalidCursor("the cursor is not one this list gave out; start again without it", field="cursor")
    return value


def page(qs: QuerySet, *, list_name: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of `qs` (newest first by id) after `cursor`, and the cursor of the next page or None.

    Reads limit + 1 rows in one query to know whether another page follows."""
    if cursor:
        qs = qs.filter(pk__lt=decode_cursor(list_name, cursor))
    rows = list(qs.order_by("-pk")[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(list_name, rows[-1].pk)
    return rows, None
