"""The registrar module interface: what a registrar module (found through the `moorage.registrars`
entry points, e.g. `moorage.registrars.epp`) does for the domains app.

A module receives plain values (its staff settings as a dict, a contact, names) and answers with
plain values or raises RegistrarError; it never touches the database. The domains app calls it
outside any transaction (from a domain job, like provisioning jobs) and records the answer after.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any

# Error kinds: a retry may help (network, registrar busy) or not (name taken, bad auth code).
TEMPORARY = "temporary"
PERMANENT = "permanent"


class RegistrarError(Exception):
    def __init__(self, message: str, *, kind: str = TEMPORARY, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.code = code  # e.g. the EPP result code "2302" (object exists)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class SettingField:
    """A setting staff fill in for a registrar (host, port, login, password, certificate…)."""

    name: str
    label: str
    kind: str = "str"  # str, int, bool, password, text
    required: bool = True
    default: Any = ""
    help_text: str = ""


@dataclass(frozen=True)
class Contact:
    """The registrant: the client's details as the registry wants them."""

    handle: str  # a stable id per client, e.g. "MOO-42"
    name: str
    email: str
    organization: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    phone: str = ""  # +CC.NUMBER


@dataclass(frozen=True)
class DomainInfo:
    """What the registry says of a domain after an operation or a query."""

    name: str
    expires_on: dt.date | None = None
    statuses: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()
    # A transfer request is acknowledged, not done: pending until the losing registrar lets it go.
    pending: bool = False
    # The domain's transfer code (EPP authInfo) when the module set or read it (register sets one);
    # "" when unknown. Secret: stored encrypted, shown to the owner only.
    auth_code: str = ""
    # Whether this registrar account sponsors the domain (None: the module cannot tell). A retried
    # register or transfer adopts a name only when this is True.
    ours: bool | None = None


class RegistrarModule(ABC):
    code = ""
    display_name = ""
    settings_fields: tuple[SettingField, ...] = ()

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    @abstractmethod
    def check(self, names: list[str]) -> dict[str, bool]:
        """Availability of each name: True when it can be registered."""

    @abstractmethod
    def register(self, name: str, *, years: int, contact: Contact, nameservers: tuple[str, ...]) -> DomainInfo: ...

    @abstractmethod
    def transfer(self, name: str, *, auth_code: str, years: int, contact: Contact) -> DomainInfo: ...

    @abstractmethod
    def renew(self, name: str, *, years: int, current_expiry: dt.date) -> DomainInfo: ...

    @abstractmethod
    def set_nameservers(self, name: str, nameservers: tuple[str, ...]) -> None: ...

    @abstractmethod
    def info(self, name: str) -> DomainInfo: ...

    def test_connection(self) -> str:
        """Log in and out; a short text for staff, or RegistrarError."""
        return "ok"


@dataclass(frozen=True)
class RegistrarChoice:
    code: str
    display_name: str
    settings_fields: tuple[SettingField, ...] = field(default_factory=tuple)


@cache
def registrar_classes() -> dict[str, type[RegistrarModule]]:
    """The installed registrar modules by code, from the `moorage.registrars` entry points."""
    found: dict[str, type[RegistrarModule]] = {}
    for ep in entry_points(group="moorage.registrars"):
        cls = ep.load()
        found[cls.code or ep.name] = cls
    return found


def get_registrar(code: str, settings: dict[str, Any]) -> RegistrarModule:
    classes = registrar_classes()
    if code not in classes:
        raise RegistrarError(f"no registrar module {code!r} is installed", kind=PERMANENT, code="config")
    return classes[code](settings)
