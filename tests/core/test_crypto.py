"""Secrets at rest: EncryptedTextField stores a Fernet token and gives Python the plain text."""

import pytest
from django.db import connection, models

from moorage.core import crypto
from moorage.core.crypto import EncryptedTextField


class Secret(models.Model):
    """A throw-away table that holds one encrypted column."""

    value = EncryptedTextField(blank=True)

    class Meta:
        app_label = "core"
        managed = False
        db_table = "test_core_secret"


@pytest.fixture
def secret_table(db):  # noqa: ANN001, ANN201
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE test_core_secret (id INTEGER PRIMARY KEY, value TEXT NOT NULL)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE test_core_secret")


def _raw(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM test_core_secret WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_round_trip_and_ciphertext_at_rest(secret_table):
    Secret.objects.create(id=1, value="panel-p@ssw0rd")
    stored = _raw(1)
    assert "panel-p@ssw0rd" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert Secret.objects.get(pk=1).value == "panel-p@ssw0rd"


def test_the_same_secret_encrypts_differently_each_time(secret_table):
    Secret.objects.create(id=1, value="same")
    Secret.objects.create(id=2, value="same")
    assert _raw(1) != _raw(2)
    assert [s.value for s in Secret.objects.order_by("id")] == ["same", "same"]


def test_empty_stays_empty(secret_table):
    Secret.objects.create(id=1, value="")
    assert _raw(1) == ""
    assert Secret.objects.get(pk=1).value == ""


def test_a_token_from_another_key_is_refused():
    from cryptography.fernet import Fernet

    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with pytest.raises(ValueError, match="cannot be decrypted with the configured keys"):
        crypto.decrypt(foreign)


def test_key_rotation_reads_tokens_of_an_older_key(settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    crypto._fernet.cache_clear()
    try:
        settings.MOORAGE_FERNET_KEYS = [old]
        token = crypto.encrypt("rotated")
        crypto._fernet.cache_clear()
        settings.MOORAGE_FERNET_KEYS = [new, old]
        assert crypto.decrypt(token) == "rotated"
        crypto._fernet.cache_clear()
        settings.MOORAGE_FERNET_KEYS = [new]
        with pytest.raises(ValueError):
            crypto.decrypt(token)
    finally:
        crypto._fernet.cache_clear()
