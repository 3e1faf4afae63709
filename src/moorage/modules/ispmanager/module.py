"""The ispmanager module: accounts, packages, SSO and usage on ispmanager 5/6 over its HTTP API."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from moorage.modules.ispmanager.client import IspManagerClient, elems, flat, value
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
    Database,
    Field,
    FtpUser,
    Mailbox,
    ModuleError,
    ProvisioningModule,
)

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
# Names of panel objects a client may give. Beyond what the panel accepts, they keep out what the
# panel would read as more than one object: a group operation's elid joins ids with ", ".
DB_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
MAIL_LOCAL_RE = re.compile(r"^[a-z0-9._+-]{1,64}$")
MAIL_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")
FTP_NAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
FTP_HOME_RE = re.compile(r"^/[A-Za-z0-9._/-]{0,200}$")
DB_CHARSET_RE = re.compile(r"^[a-z0-9_]{1,32}$")

NA = "Not applicable to shared hosting on ispmanager"
# The App tab's resources and permissions, in the order of the product description, each mapped to
# the panel's real parameter. Rows the description marks "not applicable" are shown disabled.
RESOURCE_FIELDS: tuple[Field, ...] = (
    Field("create_mail_domain", "Create mail domain", "bool", not_applicable=True, help=NA, group="resources"),
    Field(
        "create_www_domain",
        "Create WWW domain",
        "bool",
        default=True,
        group="resources",
        help="Create a website for the order's hostname in the client's ispmanager account",
    ),
    Field("mail_domain_ip", "Mail domain IP", "text", not_applicable=True, help=NA, group="resources"),
    Field("mail_greylisting", "Mail domain Greylisting", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_spamassassin", "Mail domain SpamAssassin", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_virus_scan", "Mail domain virus scanning", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_dkim", "Mail domain DKIM", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_dmarc", "Mail domain DMARC", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_secure", "Mail domain secure connection", "bool", not_applicable=True, help=NA, group="resources"),
    Field("www_directory", "WWW-domains directory", "text", not_applicable=True, help=NA, group="resources"),
    Field("limit_quota", "Disk quota", "int", unit="MiB", group="resources"),
    Field("limit_traff", "Traffic per month", "int", unit="MiB", group="resources"),
    Field("limit_ftp_users", "FTP limit", "int", group="resources"),
    Field("limit_emails", "Email limit", "int", group="resources"),
    Field("limit_emaildomains", "Mail domain limit", "int", group="resources"),
    Field("limit_email_quota", "Mailbox maximum size", "int", unit="MiB", group="resources"),
    Field("limit_mailrate", "Email limit per hour", "int", unit="mails/hour", group="resources"),
    Field("limit_domains", "Domain limit", "int", group="resources"),
    Field("limit_webdomains", "Web domain limit", "int", group="resources"),
    Field("limit_db", "Database limit", "int", group="resources"),
    Field("limit_db_users", "Database user limit", "int", group="resources"),
    Field("limit_dbsize", "Database size limit", "int", unit="MiB", group="resources"),
    Field("limit_maxclientsvhost", "Apache handlers", "int", unit="per WWW domain", group="resources"),
    Field("limit_mysql_query", "MySQL query limit", "int", unit="queries/hour", group="resources"),
    Field(
        "limit_mysql_maxuserconn",
        "MySQL query limit per user",
        "int",
        unit="simultaneous connections",
        group="resources",
    ),
    Field("limit_mysql_maxconn", "MySQL query limit per hour", "int", unit="connections/hour", group="resources"),
    Field("limit_mysql_update", "MySQL update query limit", "int", unit="updates/hour", group="resources"),
    Field("limit_nginxlimitconn", "Connection limit for the IP address", "int", unit="connections", group="resources"),
    Field("limit_scheduler", "Cron jobs limit", "int", group="resources"),
    Field("limit_cpu", "CPU time limit", "int", unit="seconds", group="resources"),
    Field("limit_memory", "RAM limit", "int", unit="MiB", group="resources"),
    Field("limit_process", "User processes limit", "int", group="resources"),
    Field("www_extra", "WWW-domains additional parameters", "text", not_applicable=True, help=NA, group="resources"),
    Field("php_enable", "PHP", "bool", group="permissions"),
    Field("limit_shell", "Shell", "bool", group="permissions"),
    Field("limit_ssl", "SSL", "bool", group="permissions"),
    Field("limit_cgi", "CGI", "bool", group="permissions"),
    Field("limit_php_mode_cgi", "PHP as CGI", "bool", group="permissions"),
    Field(
        "ssi",
        "SSI",
        "bool",
        not_applicable=True,
        group="permissions",
        help="ispmanager 5/6 have no user-level SSI permission; SSI is switched per website",
    ),
    Field("limit_php_mode_mod", "PHP as Apache module", "bool", group="permissions"),
    Field("php_safe_mode", "PHP in safe_mode", "bool", not_applicable=True, help=NA, group="permissions"),
    Field("limit_php_mode_fcgi_apache", "PHP FastCGI Apache", "bool", group="permissions"),
    Field("limit_php_mode_fcgi_nginxfpm", "PHP FastCGI Nginx", "bool", group="permissions"),
    Field("backup", "Regular backup", "bool", group="permissions"),
    Field("antivirus", "Automatic anti-virus scanning", "bool", not_applicable=True, help=NA, group="permissions"),
)
PANEL_PARAMS = tuple(f.name for f in RESOURCE_FIELDS if not f.not_applicable and f.name != "create_www_domain")
INT_PARAMS = {f.name for f in RESOURCE_FIELDS if f.kind == "int"}


def panel_overrides(options: dict[str, Any]) -> dict[str, str]:
    """The product's overrides as panel parameters: integers as strings, booleans as on/off.

    An empty value means "as the preset says" and is not sent.
    """
    out: dict[str, str] = {}
    for name in PANEL_PARAMS:
        raw = options.get(name)
        if raw is None or raw == "":
            continue
        if name in INT_PARAMS:
            out[name] = str(int(raw))
        else:
            out[name] = "on" if raw in (True, "on", "true", "1", 1) else "off"
    return out


def add_limits(params: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Raise the package's integer limits in `params` by `options["limit_additions"]` (add-ons, form
    answers): an addition lands on the preset's or override's value; a limit that is unlimited (absent
    or empty) stays unlimited. Unknown names are ignored, never sent."""
    for name, extra in (options.get("limit_additions") or {}).items():
        if name not in INT_PARAMS:
            continue
        current = params.get(name)
        if current is None or current == "":
            continue
        try:
            params[name] = str(int(current) + int(extra))
        except (TypeError, ValueError):
            continue
    return params


class IspManagerModule(ProvisioningModule):
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
        )

    def validate_username(self, username: str) -> str | None:
        if not USERNAME_RE.match(username):
            return (
                "a username starts with a lower-case letter and has at most 16 lower-case letters, digits, '-' or '_'"
            )
        return None

    def test_connection(self, conn: Connection) -> str:
        with self._client(conn) as c:
            whoami = c.call("whoami")
            user = whoami.get("user", {})
            name = user.get("$name", "") if isinstance(user, dict) else ""
            c.call("user")  # the account must be allowed to list users (admin level)
            try:
                info = flat(c.call("license.info"))
                panel = info.get("panel_name") or info.get("mgr") or "ispmanager"
            except ModuleError:
                panel = "ispmanager"
        return f"Success: connected to {panel} as {name or conn.username}"

    def list_presets(self, conn: Connection) -> list[str]:
        with self._client(conn) as c:
            return sorted(row["name"] for row in elems(c.call("preset")) if row.get("name"))

    def list_usernames(self, conn: Connection) -> set[str]:
        with self._client(conn) as c:
            return {row["name"] for row in elems(c.call("user")) if row.get("name")}

    def _state(self, c: IspManagerClient, username: str) -> AccountState:
        for row in elems(c.call("user")):
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

    def account_state(self, conn: Connection, username: str) -> AccountState:
        with self._client(conn) as c:
            return self._state(c, username)

    def _user_row(self, c: IspManagerClient, username: str) -> dict[str, str] | None:
        """The account's row in the `user` list, or None. Existence is read from the list only: a real
        panel may answer `user.edit&elid=<missing>` with an empty form and no error."""
        for row in elems(c.call("user")):
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

    def ownership(self, conn: Connection, username: str, marker: str) -> str:
        with self._client(conn) as c:
            return self._ownership(c, username, marker)

    def _preset_limits(self, c: IspManagerClient, preset: str) -> dict[str, str]:
        try:
            form = flat(c.call("preset.edit", {"elid": preset}))
        except ModuleError as exc:
            if exc.panel_type != "missed":
                raise
            raise ModuleError(
                f"the preset {preset!r} does not exist on the panel (Get values from server)",
                kind=PERMANENT,
                panel_type="missed",
                panel_object="preset",
            ) from None
        return {k: v for k, v in form.items() if (k.startswith("limit_") or k in ("backup", "php_enable")) and v != ""}

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
                self._check_domain_free(c, conn, spec)
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
                    c.call("user.edit", params, mutating=True)
                except ModuleError as exc:
                    if exc.panel_type != "exists":
                        raise
                    # Made between our look and our create: ours only if it carries our marker.
                    if not (spec.adopt_existing and self._ownership(c, spec.username, spec.marker) == OURS):
                        raise _name_taken(spec.username) from None
                    result["adopted"] = True
            if make_site:
                self._ensure_site(c, conn, spec)
        return result

    def _check_domain_free(self, c: IspManagerClient, conn: Connection, spec: AccountSpec) -> None:
        """Refuse (PERMANENT) when the client's website or DNS zone is on the panel under another owner."""
        _owned_by(c, "webdomain", spec.domain, spec.username, "website")
        if conn.nameservers:
            _owned_by(c, "domain", spec.domain, spec.username, "DNS zone")

    def _ensure_site(self, c: IspManagerClient, conn: Connection, spec: AccountSpec) -> None:
        """The client's website and DNS zone; one already there counts as made only if the account owns it
        (a retry after a lost reply); under another owner it is a failure."""
        domain = spec.domain
        ip = str(spec.options.get("domain_ip") or conn.ip_address or "")
        _create_or_confirm(
            c,
            "site.edit",
            ("webdomain", "website", spec.username),
            {
                "sok": "ok",
                "su": spec.username,
                "site_name": domain,
                "site_owner": spec.username,
                "site_aliases": f"www.{domain}",
            },
        )
        if conn.nameservers:
            ns = " ".join(f"{name.rstrip('.')}." for name, _ip in conn.nameservers)
            _create_or_confirm(
                c,
                "domain.edit",
                ("domain", "DNS zone", spec.username),
                {"sok": "ok", "name": domain, "ip": ip or None, "ns": ns, "owner": spec.username, "dtype": "master"},
            )

    def suspend(self, conn: Connection, username: str) -> None:
        with self._client(conn) as c:
            c.call("user.suspend", {"elid": username}, mutating=True)

    def unsuspend(self, conn: Connection, username: str) -> None:
        with self._client(conn) as c:
            c.call("user.resume", {"elid": username}, mutating=True)

    def terminate(self, conn: Connection, username: str) -> None:
        with self._client(conn) as c:
            if not self._exists(c, username):  # from the list; a form read would not tell
                return
            c.call("user.delete", {"elid": username}, mutating=True)

    def change_package(self, conn: Connection, username: str, options: dict[str, Any]) -> None:
        preset = str(options.get("preset") or "")
        with self._client(conn) as c:
            params: dict[str, Any] = {"sok": "ok", "elid": username}
            if preset:
                params["preset"] = preset
                params.update(self._preset_limits(c, preset))
            params.update(panel_overrides(options))
            add_limits(params, options)
            c.call("user.edit", params, mutating=True)

    def change_password(self, conn: Connection, username: str, password: str) -> None:
        with self._client(conn) as c:
            c.call("user.edit", {"sok": "ok", "elid": username, "passwd": password, "confirm": password}, mutating=True)

    def sso_url(self, conn: Connection, username: str) -> str:
        key = secrets.token_hex(24)
        with self._client(conn) as c:
            c.call("session.newkey", {"username": username, "key": key}, mutating=True)
        query = urlencode({"func": "auth", "username": username, "key": key, "checkcookie": "no"})
        return f"{conn.url}?{query}"

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
            users = [row for row in elems(c.call("user")) if row.get("name")]
            db_sizes: dict[str, Decimal] = {}
            for row in elems(c.call("db")):
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
                        stat = c.call("userstat", {"su": name})
                    except ModuleError as exc:
                        if exc.panel_type not in ("missed", "access"):
                            raise
                        stat = {}  # deleted between the two calls: disk only
                    for key, used in _userstat_rows(stat):
                        resource = USERSTAT_RESOURCES.get(key)
                        if resource is not None and used is not None:
                            state.usage[resource] = used
                states[name] = state
            return states

    # --- panel objects of one account (Client Functions) -----------------------------------------
    # Every call carries `su=<username>`: the panel acts as the client's own user, so it shows and
    # changes only that user's objects and applies its package's limits. A change or delete first
    # finds the object in the user's own list by its exact name.

    def list_databases(self, conn: Connection, username: str) -> list[Database]:
        with self._client(conn) as c:
            return [_database(row) for row in self._databases(c, username)]

    def _databases(self, c: IspManagerClient, username: str) -> list[dict[str, str]]:
        return [row for row in elems(c.call("db", {"su": username})) if row.get("name")]

    def _database_row(self, c: IspManagerClient, username: str, name: str) -> dict[str, str]:
        _check(DB_NAME_RE, name, "name", "a database name has letters, digits and _ only")
        rows = [row for row in self._databases(c, username) if row["name"] == name]
        if len(rows) != 1:
            raise _not_found("database", name)
        return rows[0]

    def list_database_servers(self, conn: Connection, username: str) -> list[str]:
        with self._client(conn) as c:
            return [row["name"] for row in elems(c.call("db.server", {"su": username})) if row.get("name")]

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
        _check(DB_NAME_RE, name, "name", "a database name has letters, digits and _ only")
        _check(DB_NAME_RE, user, "user", "a database user name has letters, digits and _ only")
        _check_password(password)
        if charset:
            _check(DB_CHARSET_RE, charset, "charset", "not a character set name")
        with self._client(conn) as c:
            servers = [row["name"] for row in elems(c.call("db.server", {"su": username})) if row.get("name")]
            if server and server not in servers:
                raise ModuleError(
                    f"there is no database server {server!r}",
                    panel_type="value",
                    panel_object="server",
                    panel_message=f"There is no database server named {server!r}.",
                )
            params: dict[str, Any] = {
                "sok": "ok",
                "su": username,
                "name": name,
                "owner": username,
                "server": server or (servers[0] if servers else None),
                "charset": charset or None,
                "user": "*",  # a new user, named by `username`
                "username": user,
                "password": password,
                "confirm": password,
            }
            c.call("db.edit", params, mutating=True)

    def change_database_password(
        self, conn: Connection, username: str, *, database: str, user: str, password: str
    ) -> None:
        _check_password(password)
        with self._client(conn) as c:
            row = self._database_row(c, username, database)
            key = row.get("key") or row["name"]
            users = [u.get("name") for u in elems(c.call("db.users", {"su": username, "elid": key}))]
            if user not in users:
                raise _not_found("database user", user)
            c.call(
                "db.users.edit",
                {"sok": "ok", "su": username, "plid": key, "elid": user, "password": password, "confirm": password},
                mutating=True,
            )

    def delete_database(self, conn: Connection, username: str, name: str) -> None:
        with self._client(conn) as c:
            row = self._database_row(c, username, name)
            c.call("db.delete", {"su": username, "elid": row.get("key") or row["name"]}, mutating=True)

    def list_mail_domains(self, conn: Connection, username: str) -> list[str]:
        with self._client(conn) as c:
            return self._mail_domains(c, username)

    def _mail_domains(self, c: IspManagerClient, username: str) -> list[str]:
        return sorted(row["name"] for row in elems(c.call("emaildomain", {"su": username})) if row.get("name"))

    def list_mailboxes(self, conn: Connection, username: str) -> list[Mailbox]:
        with self._client(conn) as c:
            return [
                Mailbox(
                    address=row["name"],
                    size_used_mib=_dec(row.get("size_used")),
                    size_limit_mib=_dec(row.get("size_total")),
                )
                for row in elems(c.call("email", {"su": username}))
                if row.get("name")
            ]

    def _mailbox(self, c: IspManagerClient, username: str, address: str) -> str:
        local, _, domain = address.partition("@")
        _check(MAIL_LOCAL_RE, local, "name", "not a mailbox address")
        _check(MAIL_DOMAIN_RE, domain, "name", "not a mailbox address")
        if address not in {row.get("name") for row in elems(c.call("email", {"su": username}))}:
            raise _not_found("mailbox", address)
        return address

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
        _check(MAIL_LOCAL_RE, name, "name", "a mailbox name has lower-case letters, digits and . _ + - only")
        _check_password(password)
        if maxsize is not None and not 0 < maxsize <= 10**7:
            raise _invalid("maxsize", "the mailbox size is a number of MiB above 0")
        with self._client(conn) as c:
            if domain not in self._mail_domains(c, username):
                raise ModuleError(
                    f"no mail domain {domain!r} on the account",
                    panel_type="missed",
                    panel_object="domainname",
                    panel_message="This mail domain is not one of the account's mail domains.",
                )
            c.call(
                "email.edit",
                {
                    "sok": "ok",
                    "su": username,
                    "name": name,
                    "domainname": domain,
                    "passwd": password,
                    "confirm": password,
                    "maxsize": maxsize,
                },
                mutating=True,
            )

    def change_mailbox_password(self, conn: Connection, username: str, address: str, password: str) -> None:
        _check_password(password)
        with self._client(conn) as c:
            elid = self._mailbox(c, username, address)
            c.call(
                "email.edit",
                {"sok": "ok", "su": username, "elid": elid, "passwd": password, "confirm": password},
                mutating=True,
            )

    def delete_mailbox(self, conn: Connection, username: str, address: str) -> None:
        with self._client(conn) as c:
            elid = self._mailbox(c, username, address)
            c.call("email.delete", {"su": username, "elid": elid}, mutating=True)

    def list_ftp_users(self, conn: Connection, username: str) -> list[FtpUser]:
        with self._client(conn) as c:
            return [
                FtpUser(name=row["name"], home=row.get("home") or "/")
                for row in elems(c.call("ftp.user", {"su": username}))
                if row.get("name")
            ]

    def _ftp_user(self, c: IspManagerClient, username: str, name: str) -> str:
        _check(FTP_NAME_RE, name, "name", "not an FTP user name")
        if name not in {row.get("name") for row in elems(c.call("ftp.user", {"su": username}))}:
            raise _not_found("FTP user", name)
        return name

    def create_ftp_user(self, conn: Connection, username: str, *, name: str, home: str, password: str) -> None:
        _check(FTP_NAME_RE, name, "name", "an FTP user name has letters, digits and . _ @ - only")
        home = home or "/"
        if not FTP_HOME_RE.match(home) or ".." in home.split("/"):
            raise _invalid("home", "the home directory is a path inside the account, starting with /")
        _check_password(password)
        with self._client(conn) as c:
            c.call(
                "ftp.user.edit",
                {
                    "sok": "ok",
                    "su": username,
                    "name": name,
                    "owner": username,
                    "home": home,
                    "passwd": password,
                    "confirm": password,
                },
                mutating=True,
            )

    def change_ftp_password(self, conn: Connection, username: str, name: str, password: str) -> None:
        _check_password(password)
        with self._client(conn) as c:
            elid = self._ftp_user(c, username, name)
            c.call(
                "ftp.user.edit",
                {"sok": "ok", "su": username, "elid": elid, "passwd": password, "confirm": password},
                mutating=True,
            )

    def delete_ftp_user(self, conn: Connection, username: str, name: str) -> None:
        with self._client(conn) as c:
            elid = self._ftp_user(c, username, name)
            c.call("ftp.user.delete", {"su": username, "elid": elid}, mutating=True)


def _database(row: dict[str, str]) -> Database:
    return Database(
        name=row["name"],
        server=row.get("server", ""),
        size_mib=_dec(row.get("size")),
        users=tuple(sorted(u for u in row.get("users", "").split() if u)),
    )


def _invalid(field: str, why: str) -> ModuleError:
    """A value refused before any call: nothing reached the panel."""
    return ModuleError(
        f"{field}: {why}", panel_type="value", panel_object=field, panel_message=why[:1].upper() + why[1:] + "."
    )


def _check(pattern: re.Pattern[str], text: str, field: str, why: str) -> None:
    if not isinstance(text, str) or not pattern.match(text):
        raise _invalid(field, why)


def _check_password(password: str) -> None:
    if not password or len(password) > 128 or any(ch in password for ch in "\x00\r\n"):
        raise _invalid("password", "a password of 1 to 128 characters on one line is needed")


def _not_found(what: str, name: str) -> ModuleError:
    return ModuleError(
        f"no {what} {name!r} on the account",
        panel_type="missed",
        panel_object=what,
        panel_message=f"There is no {what} named {name!r} on this account.",
    )


# `userstat` rows (by the internal limit key, `name.$orig`) → Moorage's usage resources.
USERSTAT_RESOURCES = {
    "limit_traff": "bandwidth_mib",
    "limit_webdomains": "websites",
    "limit_db": "databases",
    "limit_emails": "mailboxes",
    "limit_ftp_users": "ftp_users",
    "limit_domains": "domains",
}


def _userstat_rows(doc: dict[str, Any]) -> list[tuple[str, Decimal | None]]:
    """(limit key, used) of each `userstat` row; the key is `name.$orig`, the label `name.$` is translated."""
    raw = doc.get("elem") or []
    if isinstance(raw, dict):
        raw = [raw]
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


def _owned_by(c: IspManagerClient, list_func: str, name: str, owner: str, what: str) -> bool:
    """Whether `name` is in the panel's `list_func` list (False if not); raise PERMANENT when its owner
    is not `owner`. The owner column is `owner` for websites and `user` for DNS zones."""
    for row in elems(c.call(list_func)):
        if row.get("name") == name:
            holder = row.get("owner") or row.get("user") or ""
            if holder != owner:
                raise ModuleError(
                    f"the {what} {name} already exists on the panel under another owner; "
                    "it was not changed and this account cannot use it",
                    kind=PERMANENT,
                    panel_type="exists",
                    panel_object=list_func,
                )
            return True
    return False


def _create_or_confirm(c: IspManagerClient, func: str, owned: tuple[str, str, str], params: dict[str, Any]) -> None:
    """Create an object; an `exists` answer is success only if the list shows it under our account."""
    list_func, what, owner = owned
    try:
        c.call(func, params, mutating=True)
    except ModuleError as exc:
        if exc.panel_type != "exists":
            raise
        name = str(params.get("site_name") or params.get("name") or "")
        if not _owned_by(c, list_func, name, owner, what):
            raise


def _truthy(raw: Any) -> bool:
    return raw in (True, "on", "true", "1", 1)


def _dec(raw: str | None) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


__all__ = ["IspManagerModule", "value"]
