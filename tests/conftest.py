"""Shared fixtures: a fixed clock, staff and clients, and a catalog with the premade packages."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import settings as hypothesis_settings

from tests import factories

# The suite is deterministic, property tests included: each runs the same examples on every machine
# and every run (seeded from the test itself), and no example database carries failures between runs.
hypothesis_settings.register_profile("moorage", derandomize=True, database=None)
hypothesis_settings.load_profile("moorage")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # noqa: ANN001, ANN202
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():  # noqa: ANN202
    """Counters kept in Django's cache (wrong API tokens per address) start at zero in each test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _staff_2fa_optional(settings):  # noqa: ANN001, ANN202
    """Staff two-factor is on by default in production; tests that sign staff in with force_login
    opt out here, and tests/admin/test_two_factor.py turns it back on where it checks it."""
    settings.MOORAGE_STAFF_2FA_REQUIRED = False


@pytest.fixture
def now() -> dt.datetime:
    """A fixed moment: the suite never depends on today's date."""
    return dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(db):  # noqa: ANN001, ANN201
    return factories.staff_user()


@pytest.fixture
def shared_page(db, now):  # noqa: ANN001, ANN201
    return factories.shared_page(now=now)


@pytest.fixture
def starter(shared_page):  # noqa: ANN001, ANN201
    return shared_page.products.get(name="Starter Hosting")


@pytest.fixture
def client_account(db, now):  # noqa: ANN001, ANN201
    return factories.client(now=now)


@pytest.fixture
def unchanged(db):  # noqa: ANN001, ANN201
    """Call `with unchanged():` around a refused action: it asserts no domain row changed."""
    import contextlib

    @contextlib.contextmanager
    def check():  # noqa: ANN202
        before = factories.snapshot()
        yield
        assert factories.snapshot() == before

    return check
