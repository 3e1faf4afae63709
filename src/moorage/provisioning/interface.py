"""The provisioning module interface: what Moorage asks of a panel, and how a module answers.

A module is a class found through the `moorage.modules` entry points. It receives plain values
(never ORM rows) and raises ModuleError with the kind of failure, so the job runner knows whether
to retry, stop, or look before retrying.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PERMANENT = "permanent"  # validation, auth, licence: retrying will not help; staff must act
TRANSIENT = "transient"  # the request did not reach the panel (refused, connect timeout): retry
UNKNOWN = "unknown"  # the request may have been applied (reply lost, 5xx, read timeout): look first

# Whose is the account a panel holds under a username (`ProvisioningModule.ownership`)?
ABSENT = "absent"  # no account under that name
OURS = "ours"  # it carries the marker only this billing's create sets
FOREIGN = "foreign"  # someone else's (or unprovable): never adopt, change or delete it

# The usage figures a module reports in AccountState.usage, in Moorage's words (not the panel's).
# Sizes in MiB; counts are the objects the account has now. `bandwidth_mib` is the traffic of the
# current calendar month so far (a counter the panel resets each month), not a rate.
USAGE_RESOURCES = (
    "disk_mib",
    "bandwidth_mib",
    "database_mib",
    "websites",
    "databases",
    "mailboxes",
    "ftp_users",
    "domains",
)


class ModuleError(Exception):
    """A panel call failed; `kind` says what the job runner should do about it."""

    def __init__(
        self,
        message: str,
        *,
        kind: str = PERMANENT,
        panel_type: str = "",
        panel_object: str = "",
        panel_message: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.panel_type = panel_type
        self.panel_object = panel_object
        # The panel's own words for the failure (no function name, no type), fit to show a client.
        self.panel_message = panel_message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Connection:
    """How to reach one panel (from an AppConnection row, password decrypted)."""

    url: str
    username: str
    password: str
    ip_address: str = ""
    hostname: str = ""
    verify_tls: bool = True
    tls_fingerprint: str = ""
    timeout: float = 30.0
    nameservers: tuple[tuple[str, str], ...] = ()
    # The panel's generation as Test Configuration detected it ("5", "6"); "" = not known yet (the
    # module finds out itself when it needs to).
    generation: str = ""
    # The language the panel should answer in (the client's, "en"/"ru"), for calls made on behalf of
    # one client; "" = the panel's default.
    lang: str = ""


@dataclass(frozen=True)
class ConnectionCheck:
    """What Test Configuration found: a text for staff, facts to store on the connection, a warning."""

    message: str
    generation: str = ""  # the panel's generation ("5", "6"), "" if the module has no such notion
    warning: str = ""  # it works, but staff must know this (e.g. single sign-on cannot work)


@dataclass(frozen=True)
class AccountSpec:
    """What to create: the panel user, its package and the client's first domain."""

    username: str
    password: str
    options: dict[str, Any]  # the product's module options (preset, overrides, …)
    email: str = ""
    fullname: str = ""
    domain: str = ""
    # A random token only billing knows (PanelAccount.panel_marker); the module stores it on the panel
    # account it creates, so a later look can prove the account is ours.
    marker: str = ""
    # Set on a retry, when an earlier try may have sent the create: an account already there under
    # this username may be adopted, but only if it carries `marker` (ownership() says OURS).
    adopt_existing: bool = False


@dataclass(frozen=True)
class Field:
    """A setting a module declares, from which staff forms are generated."""

    name: str
    label: str
    kind: str = "text"  # text, password, int, bool, select, preset
    required: bool = False
    default: Any = None
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    group: str = ""
    not_applicable: bool = False  # shown disabled: the panel has no such setting for shared hosting
    unit: str = ""


@dataclass
class AccountState:
    """What the panel says of one account."""

    username: str
    exists: bool
    suspended: bool = False
    disk_used_mib: Decimal | None = None
    disk_limit_mib: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Figures keyed by USAGE_RESOURCES; a resource the panel did not report is absent.
    usage: dict[str, Decimal] = field(default_factory=dict)
    # Whether the account carries billing's ownership marker: None when not asked (no markers given).
    ours: bool | None = None


# Optional capabilities: the panel objects a client may manage through a module (Client Functions
# "Databases", "Emails", "FTP Users"). A module lists the ones it implements in `capabilities`.
DATABASES = "databases"
MAILBOXES = "mailboxes"
FTP_USERS = "ftp_users"
CAPABILITIES = (DATABASES, MAILBOXES, FTP_USERS)


@dataclass(frozen=True)
class Database:
    """A database of the account, with the names of its users."""

    name: str
    server: str = ""
    size_mib: Decimal | None = None
    users: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mailbox:
    """A mailbox of the account: its address and, where the panel has them, its size and quota."""

    address: str
    size_used_mib: Decimal | None = None
    size_limit_mib: Decimal | None = None


@dataclass(frozen=True)
class FtpUser:
    name: str
    home: str = "/"


def unsupported(what: str) -> ModuleError:
    return ModuleError(f"this module does not manage {what}", kind=PERMANENT, panel_type="unsupported")


class ProvisioningModule(ABC):
    """Base class of provisioning modules."""

    name: str = ""
    display_name: str = ""
    description: str = ""
    default_port: int = 0
    # Settings of the product's App tab.
    product_fields: tuple[Field, ...] = ()

    def default_url(self, ip_address: str, port: int) -> str:
        return f"https://{ip_address}:{port or self.default_port}/"

    @abstractmethod
    def test_connection(self, conn: Connection) -> str:
        """Check address, TLS and credentials; return a short success text or raise ModuleError."""

    def check_connection(self, conn: Connection) -> ConnectionCheck:
        """Test Configuration with facts: by default `test_connection`'s text alone."""
        return ConnectionCheck(message=self.test_connection(conn))

    @abstractmethod
    def list_presets(self, conn: Connection) -> list[str]:
        """Names of the account templates (presets) on the panel."""

    @abstractmethod
    def account_state(self, conn: Connection, username: str) -> AccountState:
        """Look up one account (used before retrying a create whose reply was lost)."""

    @abstractmethod
    def list_usernames(self, conn: Connection) -> set[str]:
        """All usernames on the panel (to keep generated names unique)."""

    @abstractmethod
    def ownership(self, conn: Connection, username: str, marker: str) -> str:
        """ABSENT, OURS or FOREIGN: is the panel's account `username` one billing created with `marker`?

        Read from what the panel lists, never from a form that may answer for a missing account; an
        empty marker proves nothing (FOREIGN). Called before every change to an existing account.
        """

    @abstractmethod
    def create(self, conn: Connection, spec: AccountSpec) -> dict[str, Any]:
        """Create the account with its package and, when asked, the client's domain.

        A name already on the panel is adopted only with `spec.adopt_existing` and a proof of
        ownership; otherwise raise ModuleError(panel_type="exists", panel_object="user") so the
        runner picks another name. A website or DNS zone held by another owner is a PERMANENT error.
        """

    @abstractmethod
    def suspend(self, conn: Connection, username: str) -> None: ...

    @abstractmethod
    def unsuspend(self, conn: Connection, username: str) -> None: ...

    @abstractmethod
    def terminate(self, conn: Connection, username: str) -> None:
        """Delete the account and what it owns; an account already gone counts as done."""

    @abstractmethod
    def change_package(self, conn: Connection, username: str, options: dict[str, Any]) -> None: ...

    @abstractmethod
    def change_password(self, conn: Connection, username: str, password: str) -> None: ...

    @abstractmethod
    def sso_url(self, conn: Connection, username: str) -> str:
        """A one-time login URL for the account (no password in it)."""

    def usage(
        self,
        conn: Connection,
        usernames: Collection[str] | None = None,
        markers: Mapping[str, str] | None = None,
    ) -> dict[str, AccountState]:
        """Usage of the accounts on the panel (disk, bandwidth, counted resources); optional.

        With `usernames`, the figures that cost a call per account are read only for those. With
        `markers` (username → ownership marker), each of those accounts says whether it is billing's
        (`AccountState.ours`), and an account that is not gets no per-account reads: a stranger who
        took a deleted account's name is never billed for.
        """
        return {}

    def package_differences(
        self, conn: Connection, wanted: Mapping[str, dict[str, Any]]
    ) -> dict[str, dict[str, tuple[str, str]]] | None:
        """How each account's package on the panel differs from what billing asks; optional (reconciliation).

        `wanted` maps a username to the options a change of package would send (the product's App tab
        values with `limit_additions`). Answer {username: {setting: (wanted, found)}}, an empty dict
        for an account that matches, or None when this module cannot read packages (nothing is
        compared). A username not on the panel is left out. Call it only for accounts proven ours.
        """
        return None

    def claim_account(self, conn: Connection, username: str, marker: str) -> None:
        """Write billing's ownership `marker` on an account someone made on the panel directly; optional.

        Only after staff confirmed, by typing its name, that this account becomes a service's
        (reconciliation's Adopt). Writing the same marker twice changes nothing; other notes on the
        account stay. Afterwards `ownership(conn, username, marker)` must answer OURS.
        """
        raise unsupported("adopting existing accounts")

    def validate_username(self, username: str) -> str | None:
        """Why the panel would refuse this username, or None."""
        return None

    # --- optional capabilities: panel objects of one account ------------------------------------
    # Each acts on the panel *as the account* (ispmanager: the administrator with `su=<username>`),
    # so the panel itself keeps the account to its own objects and its package's limits. Names come
    # from clients: a module passes them only as parameter values and refuses what the panel would
    # read as more than one object. Passwords travel only in request bodies and are never logged.
    # A module that implements a group says so in `capabilities`; callers ask `supports()` first.
    capabilities: frozenset[str] = frozenset()

    def supports(self, capability: str) -> bool:
        return capability in self.capabilities

    def list_databases(self, conn: Connection, username: str) -> list[Database]:
        raise unsupported("databases")

    def list_database_servers(self, conn: Connection, username: str) -> list[str]:
        raise unsupported("databases")

    def create_database(
        self,
        conn: Connection,
        username: str,
        *,
        name: str,
        user: str,
        password: str,
        server: str = "",
        charset: str = "",
    ) -> None:
        """A database with a new user of it who has `password`."""
        raise unsupported("databases")

    def change_database_password(
        self, conn: Connection, username: str, *, database: str, user: str, password: str
    ) -> None:
        raise unsupported("databases")

    def delete_database(self, conn: Connection, username: str, name: str) -> None:
        """Delete the database and its users."""
        raise unsupported("databases")

    def list_mail_domains(self, conn: Connection, username: str) -> list[str]:
        raise unsupported("mailboxes")

    def list_mailboxes(self, conn: Connection, username: str) -> list[Mailbox]:
        raise unsupported("mailboxes")

    def create_mailbox(
        self,
        conn: Connection,
        username: str,
        *,
        name: str,
        domain: str,
        password: str,
        maxsize: int | None = None,
    ) -> None:
        """The mailbox `name@domain`; `maxsize` in MiB (None: the package's default)."""
        raise unsupported("mailboxes")

    def change_mailbox_password(self, conn: Connection, username: str, address: str, password: str) -> None:
        raise unsupported("mailboxes")

    def delete_mailbox(self, conn: Connection, username: str, address: str) -> None:
        raise unsupported("mailboxes")

    def list_ftp_users(self, conn: Connection, username: str) -> list[FtpUser]:
        raise unsupported("FTP users")

    def create_ftp_user(self, conn: Connection, username: str, *, name: str, home: str, password: str) -> None:
        raise unsupported("FTP users")

    def change_ftp_password(self, conn: Connection, username: str, name: str, password: str) -> None:
        raise unsupported("FTP users")

    def delete_ftp_user(self, conn: Connection, username: str, name: str) -> None:
        raise unsupported("FTP users")
