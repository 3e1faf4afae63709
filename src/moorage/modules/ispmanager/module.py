"""The ispmanager module: accounts, packages, SSO and usage on ispmanager 5/6 over its HTTP API.

The App tab's settings are in `fields`, websites and the 5/6 difference in `sites`, the Client
Functions (databases, mailboxes, FTP users) in `objects`, HTTP and paging in `client`, recorded
conversations in `recording`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from moorage.modules.ispmanager.client import PAGE_SIZE, TRANSPORT_TYPES, IspManagerClient, Transport, flat, value
from moorage.modules.ispmanager.fields import (
    RESOURCE_FIELDS,
    add_limits,
    is_user_preset,
    panel_overrides,
    preset_limits,
)
from moorage.modules.ispmanager.objects import PanelObjects, _dec
from moorage.modules.ispmanager.recording import recorded
from moorage.modules.ispmanager.sites import check_domain_free, detect_generation, ensure_site
from moorage.provisioning.interface import (
    ABSENT,
    DATABASES,
    FOREIGN,
    FTP_USERS,
    MAILBOXES,
    OURS,
    PERMANENT,
    AccountSpec,
    AccountState,
    Connection,
    ConnectionCheck,
    Field,
    ModuleError,
    ProvisioningModule,
)

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
# A name no panel account can have (a dot is not allowed in a username): the superuser check.
PROBE_USER = "moorage.keycheck"


class IspManagerModule(PanelObjects, ProvisioningModule):
    name = "ispmanager"
    display_name = "ispmanager"
    description = "ispmanager provisioning module: shared hosting accounts on ispmanager 5 and 6"
    default_port = 1500
    product_fields = (
        Field(
            "preset",
            "Preset",
            "preset",
            required=True,
            group="app",
            help="User template on the panel; the account gets its resources and permissions",
        ),
        Field(
            "domain_ip",
            "IP",
            "text",
            group="app",
            help="IP address for the A record of the client's domain (empty: the server's IP)",
        ),
        Field(
            "username_pattern",
            "Username generation pattern",
            "text",
            group="app",
            default="{hostname}",
            help="Placeholders: {client_id}, {service_id}, {hostname}, {random} (4 characters), "
            "{random:N}. Panel rule: a lower-case letter, then letters, digits, - or _, "
            "16 characters at most.",
        ),
        *RESOURCE_FIELDS,
    )

    capabilities = frozenset({DATABASES, MAILBOXES, FTP_USERS})

    def __init__(self, *, page_size: int = PAGE_SIZE, transport: Transport | None = None):
        # `page_size`: the `p_cnt` of every list read; `transport`: instead of HTTP (replay tests).
        self.page_size = page_size
        self.transport = transport

    def default_url(self, ip_address: str, port: int) -> str:
        return f"https://{ip_address}:{port or self.default_port}/ispmgr"

    def _client(self, conn: Connection) -> IspManagerClient:
        return IspManagerClient(
            conn.url,
            conn.username,
            conn.password,
            verify_tls=conn.verify_tls,
            tls_fingerprint=conn.tls_fingerprint,
            timeout=conn.timeout,
            lang=conn.lang,
            page_size=self.page_size,
            transport=self.transport,
        )

    def validate_username(self, username: str) -> str | None:
        if not USERNAME_RE.match(username):
            return (
                "a username starts with a lower-case letter and has at most 16 lower-case letters, digits, '-' or '_'"
            )
        return None

    def test_connection(self, conn: Connection) -> str:
        check = self.check_connection(conn)
        return f"{check.message} {check.warning}".strip()

    @recorded
    def check_connection(self, conn: Connection) -> ConnectionCheck:
        """Who we are, that users can be listed, the panel's generation, and whether the account may
        create login keys (single sign-on)."""
        with self._client(conn) as c:
            whoami = c.call("whoami")
            user = whoami.get("user", {})
            name = (user.get("$name", "") if isinstance(user, dict) else "") or conn.username
            c.call("user", {"p_cnt": 1, "p_num": 1})  # the account must be allowed to list users (admin level)
            gen = detect_generation(c)
            warning = _key_warning(c)
        return ConnectionCheck(
            message=f"Success: connected to ispmanager {gen} as {name}.", generation=gen, warning=warning
        )

    @recorded
    def list_presets(self, conn: Connection) -> list[str]:
        """The user templates (`level` 16), not those for resellers or administrators."""
        with self._client(conn) as c:
            return sorted(
                row["name"] for row in c.rows("preset") if row.get("name") and is_user_preset(row.get("level", ""))
            )

    @recorded
    def list_usernames(self, conn: Connection) -> set[str]:
        with self._client(conn) as c:
            return {row["name"] for row in c.rows("user") if row.get("name")}

    def _state(self, c: IspManagerClient, username: str) -> AccountState:
        for row in c.rows("user"):
            if row.get("name") == username:
                return AccountState(
                    username=username,
                    exists=True,
                    suspended=row.get("active") == "off",
                    disk_used_mib=_dec(row.get("quota_used")),
                    disk_limit_mib=_dec(row.get("quota_total")),
                    extra=row,
                )
        return AccountState(username=username, exists=False)

    @recorded
    def account_state(self, conn: Connection, username: str) -> AccountState:
        with self._client(conn) as c:
            return self._state(c, username)

    def _user_row(self, c: IspManagerClient, username: str) -> dict[str, str] | None:
        """The account's row in the `user` list, or None. Existence is read from the list only: a real
        panel may answer `user.edit&elid=<missing>` with an empty form and no error."""
        for row in c.rows("user"):
            if row.get("name") == username:
                return row
        return None

    def _exists(self, c: IspManagerClient, username: str) -> bool:
        return self._user_row(c, username) is not None

    def _ownership(self, c: IspManagerClient, username: str, marker: str) -> str:
        if self._user_row(c, username) is None:
            return ABSENT
        return self._listed_ownership(c, username, marker)

    def _listed_ownership(self, c: IspManagerClient, username: str, marker: str) -> str:
        """OURS or FOREIGN for a user the `user` list has just shown."""
        if not marker:
            return FOREIGN
        # The list proved it exists; its form holds the `comment` our create wrote. The form must be
        # the account's own (its name echoed back), not an empty one.
        form = flat(c.call("user.edit", {"elid": username}))
        if form.get("name") != username:
            return FOREIGN
        return OURS if marker_comment(marker) in form.get("comment", "") else FOREIGN

    @recorded
    def ownership(self, conn: Connection, username: str, marker: str) -> str:
        with self._client(conn) as c:
            return self._ownership(c, username, marker)

    def _preset_limits(self, c: IspManagerClient, preset: str) -> dict[str, str]:
        """Every limit of the preset (empty ones too: unlimited). A real panel may answer the form read
        of a missing preset with an empty form and no error: the form must echo the preset's name."""
        try:
            form = flat(c.call("preset.edit", {"elid": preset}))
        except ModuleError as exc:
            if exc.panel_type != "missed":
                raise
            form = {}
        if form.get("name") != preset:
            raise ModuleError(
                f"the preset {preset!r} does not exist on the panel (Get values from server)",
                kind=PERMANENT,
                panel_type="missed",
                panel_object="preset",
            )
        return preset_limits(form)

    @recorded
    def create(self, conn: Connection, spec: AccountSpec) -> dict[str, Any]:
        preset = str(spec.options.get("preset") or "")
        if not preset:
            raise ModuleError("the product has no preset chosen (App tab)", kind=PERMANENT, panel_type="config")
        problem = self.validate_username(spec.username)
        if problem:
            raise ModuleError(f"username {spec.username!r}: {problem}", kind=PERMANENT, panel_type="value")
        result: dict[str, Any] = {"adopted": False}
        make_site = bool(spec.domain) and _truthy(spec.options.get("create_www_domain", True))
        with self._client(conn) as c:
            if make_site:
                # Before any account is made: a website or zone of someone else is a failure, not ours.
                check_domain_free(c, conn, spec)
            # Look before sending: a name on the panel is adopted only when it is provably our own
            # create of an earlier try (our marker in its comment); any other holder means "taken".
            whose = self._ownership(c, spec.username, spec.marker)
            if whose == OURS and spec.adopt_existing:
                result["adopted"] = True
            elif whose != ABSENT:
                raise _name_taken(spec.username)
            else:
                params: dict[str, Any] = {
                    "sok": "ok",
                    "name": spec.username,
                    "passwd": spec.password,
                    "confirm": spec.password,
                    "preset": preset,
                    "fullname": spec.fullname,
                    "email": spec.email,
                    "comment": marker_comment(spec.marker) if spec.marker else None,
                }
                # Copy the template's limits explicitly (changing `preset` alone may not apply them),
                # then the product's overrides on top.
                params.update(self._preset_limits(c, preset))
                params.update(panel_overrides(spec.options))
                add_limits(params, spec.options)
                try:
                    c.commit("user.edit", params)
                except ModuleError as exc:
                    if exc.panel_type != "exists":
                        raise
                    # Made between our look and our create: ours only if it carries our marker.
                    if not (spec.adopt_existing and self._ownership(c, spec.username, spec.marker) == OURS):
                        raise _name_taken(spec.username) from None
                    result["adopted"] = True
            if make_site:
                ensure_site(c, conn, spec)
        return result

    @recorded
    def suspend(self, conn: Connection, username: str) -> None:
        with self._client(conn) as c:
            c.commit("user.suspend", {"elid": username})

    @recorded
    def unsuspend(self, conn: Connection, username: str) -> None:
        with self._client(conn) as c:
            c.commit("user.resume", {"elid": username})

    @recorded
    def terminate(self, conn: Connection, username: str) -> None:
        with self._client(conn) as c:
            if not self._exists(c, username):  # from the list; a form read would not tell
                return
            c.commit("user.delete", {"elid": username})

    @recorded
    def change_package(self, conn: Connection, username: str, options: dict[str, Any]) -> None:
        preset = str(options.get("preset") or "")
        with self._client(conn) as c:
            params: dict[str, Any] = {"sok": "ok", "elid": username}
            if preset:
                params["preset"] = preset
                params.update(self._preset_limits(c, preset))
            params.update(panel_overrides(options))
            add_limits(params, options)
            c.commit("user.edit", params)

    @recorded
    def change_password(self, conn: Connection, username: str, password: str) -> None:
        with self._client(conn) as c:
            c.commit("user.edit", {"sok": "ok", "elid": username, "passwd": password, "confirm": password})

    def package_differences(
        self, conn: Connection, wanted: Mapping[str, dict[str, Any]]
    ) -> dict[str, dict[str, tuple[str, str]]] | None:
        from moorage.modules.ispmanager import reading  # reading imports this module

        return reading.package_differences(self, conn, wanted)

    def claim_account(self, conn: Connection, username: str, marker: str) -> None:
        from moorage.modules.ispmanager import reading

        reading.claim_account(self, conn, username, marker)

    @recorded
    def sso_url(self, conn: Connection, username: str) -> str:
        key = secrets.token_hex(24)
        with self._client(conn) as c:
            c.commit("session.newkey", {"username": username, "key": key})
        login = {"func": "auth", "username": username, "key": key, "checkcookie": "no"}
        if conn.lang:
            login["lang"] = conn.lang  # the panel opens in the client's language
        query = urlencode(login)
        return f"{conn.url}?{query}"

    @recorded
    def usage(
        self,
        conn: Connection,
        usernames: Collection[str] | None = None,
        markers: Mapping[str, str] | None = None,
    ) -> dict[str, AccountState]:
        """Disk from the `user` list, database sizes from one `db` list, and per account (only those in
        `usernames`, when given) traffic and counted resources from `userstat&su=<user>`: 2 + N calls,
        plus one form read per account in `markers` to prove it is ours (2 + 2N)."""
        wanted = None if usernames is None else set(usernames)
        with self._client(conn) as c:
            users = [row for row in c.rows("user") if row.get("name")]
            db_sizes: dict[str, Decimal] = {}
            for row in c.rows("db"):
                size = _dec(row.get("size"))
                if row.get("owner") and size is not None:
                    db_sizes[row["owner"]] = db_sizes.get(row["owner"], Decimal(0)) + size
            states: dict[str, AccountState] = {}
            for row in users:
                name = row["name"]
                state = AccountState(
                    username=name,
                    exists=True,
                    suspended=row.get("active") == "off",
                    disk_used_mib=_dec(row.get("quota_used")),
                    disk_limit_mib=_dec(row.get("quota_total")),
                    extra=row,
                )
                if state.disk_used_mib is not None:
                    state.usage["disk_mib"] = state.disk_used_mib
                state.usage["database_mib"] = db_sizes.get(name, Decimal(0))
                if markers is not None and name in markers:
                    state.ours = self._listed_ownership(c, name, markers[name]) == OURS
                    if not state.ours:
                        # A namesake billing did not create: report it, read nothing more of it.
                        state.usage = {}
                        state.disk_used_mib = state.disk_limit_mib = None
                        states[name] = state
                        continue
                if wanted is None or name in wanted:
                    try:
                        stat = c.raw_rows("userstat", {"su": name})
                    except ModuleError as exc:
                        if exc.panel_type not in ("missed", "access"):
                            raise
                        stat = []  # deleted between the two calls: disk only
                    for key, used in _userstat_rows(stat):
                        resource = USERSTAT_RESOURCES.get(key)
                        if resource is not None and used is not None:
                            state.usage[resource] = used
                states[name] = state
            return states


# `userstat` rows (by the internal limit key, `name.$orig`) → Moorage's usage resources.
USERSTAT_RESOURCES = {
    "limit_traff": "bandwidth_mib",
    "limit_webdomains": "websites",
    "limit_db": "databases",
    "limit_emails": "mailboxes",
    "limit_ftp_users": "ftp_users",
    "limit_domains": "domains",
}


def _userstat_rows(raw: list[dict[str, Any]]) -> list[tuple[str, Decimal | None]]:
    """(limit key, used) of each `userstat` row; the key is `name.$orig`, the label `name.$` is translated."""
    rows = []
    for elem in raw:
        name = elem.get("name")
        key = str(name.get("$orig") or name.get("$", "")) if isinstance(name, dict) else str(name or "")
        rows.append((key, _dec(value(elem.get("usages_used")))))
    return rows


def marker_comment(marker: str) -> str:
    """What the create writes into the user's `comment` (a field the panel's user form names): the
    proof, read back later, that billing made this account. Staff may add notes around it."""
    return f"moorage:{marker}"


def _name_taken(username: str) -> ModuleError:
    return ModuleError(
        f"a user named {username} already exists on the panel and was not created by this billing",
        kind=PERMANENT,
        panel_type="exists",
        panel_object="user",
    )


def _truthy(raw: Any) -> bool:
    return raw in (True, "on", "true", "1", 1)


__all__ = ["IspManagerModule", "add_limits", "panel_overrides", "value"]


def _key_warning(c: IspManagerClient) -> str:
    """ "" when the connection's account may create login keys (`session.newkey` needs superuser
    rights), else what staff must know. The key asked for is for a name no account can have, so a
    superuser gets `missed` (or `value`) and no key is made."""
    try:
        c.commit("session.newkey", {"username": PROBE_USER, "key": secrets.token_hex(24)})
    except ModuleError as exc:
        if exc.panel_type in TRANSPORT_TYPES:
            raise
        if exc.panel_type in ("missed", "value"):
            return ""
        return (
            "Warning: this account cannot create login keys (session.newkey needs an ispmanager account "
            f"with superuser rights; the panel said: {exc.panel_message or exc.message}). Provisioning works, "
            "but Login to Control Panel (single sign-on) will fail until the connection uses a superuser."
        )
    return ""
