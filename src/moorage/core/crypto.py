"""Encryption at rest for secrets such as panel passwords (Fernet, with key rotation)."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, models
from django.dispatch import receiver

from moorage.core.keys import derived_fernet_key

UNREADABLE = "stored secret cannot be decrypted with the configured keys"


class SecretUnreadable(ValueError):
    """A stored token none of the configured keys opens (a key removed, or the secret key changed)."""

    def __init__(self, what: str = "") -> None:
        super().__init__(f"{what}: {UNREADABLE}" if what else UNREADABLE)


def configured_keys() -> list[str]:
    """The Fernet keys, newest first: MOORAGE_FERNET_KEYS, or keys derived from the secret keys."""
    keys = list(settings.MOORAGE_FERNET_KEYS)
    if not keys:
        # The embedded run: derived from SECRET_KEY, and from its fallbacks so that a changed secret
        # key listed in MOORAGE_SECRET_KEY_FALLBACKS still opens what the old one sealed.
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        keys = [derived_fernet_key(s) for s in secrets]
    return keys


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in configured_keys()])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable() from exc


def rotate(token: str) -> str:
    """The token sealed again with the newest key (raises SecretUnreadable if no key opens it)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable() from exc


class UnreadableSecret(str):
    """What an encrypted column reads as when no configured key opens its token.

    It is an empty string to the code that uses it (so nothing shows or sends a wrong value, and no
    page fails), it remembers the stored token, and saving the row writes that token back unchanged:
    restoring the right key later recovers the secret.
    """

    token: str

    def __new__(cls, token: str) -> UnreadableSecret:
        value = super().__new__(cls, "")
        value.token = token
        return value

    def __repr__(self) -> str:
        return "<UnreadableSecret>"


def is_unreadable(value: object) -> bool:
    return isinstance(value, UnreadableSecret)


def require(value: str, what: str = "") -> str:
    """The plain secret, or SecretUnreadable naming `what` (for code about to send it to a panel)."""
    if isinstance(value, UnreadableSecret):
        raise SecretUnreadable(what)
    return value


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code sees the plain value (or an UnreadableSecret)."""

    def from_db_value(self, value, expression, connection):  # noqa: ANN001
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except SecretUnreadable:
            return UnreadableSecret(value)

    def get_prep_value(self, value):  # noqa: ANN001
        if value is None or value == "":
            if isinstance(value, UnreadableSecret):
                return value.token
            return value
        return encrypt(str(value))


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) of an installed app's table whose column is an EncryptedTextField."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue  # no table of its own to rotate
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field.name))
    return found


def rotate_all(*, dry_run: bool = False) -> dict[str, int]:
    """Seal every stored secret again with the newest key; count rotated and unreadable tokens.

    Rows are updated one by one by primary key with the raw token, so a row written meanwhile is
    never overwritten with an older value: the update only applies when the token is unchanged.
    """
    counts = {"rotated": 0, "unreadable": 0}
    for model, name in encrypted_fields():
        # Raw tokens, not decrypted values: the ORM would run from_db_value.
        table, column = model._meta.db_table, model._meta.get_field(name).column
        pk_column = model._meta.pk.column
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn(pk_column)}, {qn(column)} FROM {qn(table)} WHERE {qn(column)} <> ''"  # noqa: S608
            )
            tokens = cursor.fetchall()
        for pk, token in tokens:
            try:
                fresh = rotate(token)
            except SecretUnreadable:
                counts["unreadable"] += 1
                continue
            if not dry_run:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk_column)} = %s AND {qn(column)} = %s",  # noqa: S608
                        [fresh, pk, token],
                    )
            counts["rotated"] += 1
    return counts


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs) -> None:  # noqa: ANN003
    """Tests (and override_settings) that change a key see the new keys at once."""
    if setting in {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "MOORAGE_FERNET_KEYS"}:
        _fernet.cache_clear()
