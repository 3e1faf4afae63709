"""Encryption at rest for secrets such as panel passwords (Fernet, with key rotation)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.MOORAGE_FERNET_KEYS)
    if not keys:
        derived = hashlib.sha256(("moorage-fernet:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt a stored secret: wrong MOORAGE_FERNET_KEYS?") from exc


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):  # noqa: ANN001
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):  # noqa: ANN001
        if value is None or value == "":
            return value
        return encrypt(str(value))
