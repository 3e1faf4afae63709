"""A fake registrar (registered for the test through `registrar_classes`), TLDs and domain products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from moorage.domains import registrar as registrar_module
from moorage.domains.models import ProductDomainOptions, Tld
from moorage.domains.registrar import PERMANENT, DomainInfo, RegistrarError, RegistrarModule
from tests import factories
from tests.registrars.conftest import make_standin, registry_now  # noqa: F401  (the EPP stand-in fixtures)


class FakeRegistry:
    """The registry's state and every call made, shared by the fake module's instances."""

    def __init__(self) -> None:
        self.domains: dict[str, DomainInfo] = {}
        self.taken: set[str] = set()  # names held by someone else
        self.calls: list[tuple] = []
        self.fail_next: list[RegistrarError] = []
        self.crash_after_next = False  # the call reaches the registry, the answer is lost
        self.pending_transfers: set[str] = set()
        self.today = dt.date(2026, 1, 15)
        self.creates = 0  # names the registry really created

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)


class FakeRegistrar(RegistrarModule):
    code = "fake"
    display_name = "Fake registrar"
    registry: FakeRegistry

    def check(self, names: list[str]) -> dict[str, bool]:
        self.registry.calls.append(("check", tuple(names)))
        return {n: n not in self.registry.domains and n not in self.registry.taken for n in names}

    def register(self, name, *, years, contact, nameservers):  # noqa: ANN001, ANN201
        r = self.registry
        r.calls.append(("register", name, years, contact.handle, tuple(nameservers)))
        r._maybe_fail()
        if name in r.taken:
            raise RegistrarError("2302 object exists", kind=PERMANENT, code="2302")
        if name in r.domains:  # ours already (an earlier answer was lost): like the EPP module, say so
            return r.domains[name]
        r.creates += 1
        info = DomainInfo(name, r.today + relativedelta(years=years), ("ok",), tuple(nameservers))
        r.domains[name] = info
        if r.crash_after_next:
            r.crash_after_next = False
            raise RegistrarError("connection reset", code="network")
        return info

    def transfer(self, name, *, auth_code, years, contact):  # noqa: ANN001, ANN201
        r = self.registry
        r.calls.append(("transfer", name, auth_code, years))
        r._maybe_fail()
        if name in r.domains:  # the losing registrar let it go: the name is ours now
            return r.domains[name]
        if auth_code != "s3cret-AUTH":
            raise RegistrarError("2202 invalid authorization information", kind=PERMANENT, code="2202")
        r.pending_transfers.add(name)
        return DomainInfo(name, None, ("pendingTransfer",), (), pending=True)

    def renew(self, name, *, years, current_expiry):  # noqa: ANN001, ANN201
        r = self.registry
        r.calls.append(("renew", name, years, current_expiry))
        r._maybe_fail()
        old = r.domains[name]
        if old.expires_on != current_expiry:
            raise RegistrarError("2306 expiry date mismatch", kind=PERMANENT, code="2306")
        info = DomainInfo(name, current_expiry + relativedelta(years=years), old.statuses, old.nameservers)
        r.domains[name] = info
        return info

    def set_nameservers(self, name, nameservers):  # noqa: ANN001, ANN201
        r = self.registry
        r.calls.append(("set_ns", name, tuple(nameservers)))
        r._maybe_fail()
        old = r.domains[name]
        r.domains[name] = DomainInfo(name, old.expires_on, old.statuses, tuple(nameservers))

    def info(self, name):  # noqa: ANN001, ANN201
        r = self.registry
        r.calls.append(("info", name))
        r._maybe_fail()
        if name in r.domains:
            return r.domains[name]
        if name in r.taken:  # someone else's: the registry still answers, with less (as EPP does)
            return DomainInfo(name, None, ("ok",))
        raise RegistrarError("2303 object does not exist", kind=PERMANENT, code="2303")


@pytest.fixture
def registry(monkeypatch):  # noqa: ANN001, ANN201
    state = FakeRegistry()
    cls = type("BoundFakeRegistrar", (FakeRegistrar,), {"registry": state})
    monkeypatch.setattr(registrar_module, "registrar_classes", lambda: {"fake": cls})
    return state


@pytest.fixture
def com(db):  # noqa: ANN001, ANN201
    tld = Tld(
        name="com",
        registrar="fake",
        register_price=Decimal("12.00"),
        transfer_price=Decimal("10.00"),
        renew_price=Decimal("14.00"),
        min_years=1,
        max_years=5,
    )
    tld.set_settings({"host": "epp.test", "password": "pw", "nameservers": ["ns1.reg.test", "ns2.reg.test"]})
    tld.save()
    return tld


@pytest.fixture
def net(db):  # noqa: ANN001, ANN201
    return Tld.objects.create(
        name="net",
        registrar="fake",
        register_price=Decimal("15.00"),
        transfer_price=Decimal("15.00"),
        renew_price=Decimal("15.00"),
    )


@pytest.fixture
def hosting(shared_page):  # noqa: ANN001, ANN201
    """A hosting product (no panel module) with every domain option on."""
    product = factories.product(shared_page, name="Web Hosting", prices={"annually": "100.00"}, code="web")
    ProductDomainOptions.objects.create(
        product=product,
        enabled=True,
        allow_own_domain=True,
        offer_subdomain=True,
        subdomain_parents="example-hosting.net\nsites.test",
    )
    return product
