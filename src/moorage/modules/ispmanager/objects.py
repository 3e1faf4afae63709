"""Panel objects of one account (Client Functions): databases, mailboxes and FTP users.

Every call carries `su=<username>`: the panel acts as the client's own user, so it shows and changes
only that user's objects and applies its package's limits. A change or delete first finds the object
in the user's own list (every page of it) by its exact name.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from moorage.modules.ispmanager.client import IspManagerClient
from moorage.modules.ispmanager.recording import recorded
from moorage.provisioning.interface import Connection, Database, FtpUser, Mailbox, ModuleError

# Names of panel objects a client may give. Beyond what the panel accepts, they keep out what the
# panel would read as more than one object: a group operation's elid joins ids with ", ".
DB_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
MAIL_LOCAL_RE = re.compile(r"^[a-z0-9._+-]{1,64}$")
MAIL_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")
FTP_NAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
FTP_HOME_RE = re.compile(r"^/[A-Za-z0-9._/-]{0,200}$")
DB_CHARSET_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class PanelObjects:
    """The Client Functions part of the ispmanager module (mixed into IspManagerModule)."""

    def _client(self, conn: Connection) -> IspManagerClient:
        raise NotImplementedError

    @recorded
    def list_databases(self, conn: Connection, username: str) -> list[Database]:
        with self._client(conn) as c:
            return [_database(row) for row in self._databases(c, username)]

    def _databases(self, c: IspManagerClient, username: str) -> list[dict[str, str]]:
        return [row for row in c.rows("db", {"su": username}) if row.get("name")]

    def _database_row(self, c: IspManagerClient, username: str, name: str) -> dict[str, str]:
        _check(DB_NAME_RE, name, "name", "a database name has letters, digits and _ only")
        rows = [row for row in self._databases(c, username) if row["name"] == name]
        if len(rows) != 1:
            raise _not_found("database", name)
        return rows[0]

    @recorded
    def list_database_servers(self, conn: Connection, username: str) -> list[str]:
        with self._client(conn) as c:
            return [row["name"] for row in c.rows("db.server", {"su": username}) if row.get("name")]

    @recorded
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
            servers = [row["name"] for row in c.rows("db.server", {"su": username}) if row.get("name")]
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
            c.commit("db.edit", params)

    @recorded
    def change_database_password(
        self, conn: Connection, username: str, *, database: str, user: str, password: str
    ) -> None:
        _check_password(password)
        with self._client(conn) as c:
            row = self._database_row(c, username, database)
            key = row.get("key") or row["name"]
            users = [u.get("name") for u in c.rows("db.users", {"su": username, "elid": key})]
            if user not in users:
                raise _not_found("database user", user)
            c.commit(
                "db.users.edit",
                {"sok": "ok", "su": username, "plid": key, "elid": user, "password": password, "confirm": password},
            )

    @recorded
    def delete_database(self, conn: Connection, username: str, name: str) -> None:
        with self._client(conn) as c:
            row = self._database_row(c, username, name)
            c.commit("db.delete", {"su": username, "elid": row.get("key") or row["name"]})

    @recorded
    def list_mail_domains(self, conn: Connection, username: str) -> list[str]:
        with self._client(conn) as c:
            return self._mail_domains(c, username)

    def _mail_domains(self, c: IspManagerClient, username: str) -> list[str]:
        return sorted(row["name"] for row in c.rows("emaildomain", {"su": username}) if row.get("name"))

    @recorded
    def list_mailboxes(self, conn: Connection, username: str) -> list[Mailbox]:
        with self._client(conn) as c:
            return [
                Mailbox(
                    address=row["name"],
                    size_used_mib=_dec(row.get("size_used")),
                    # maxsize 0 is the panel's "unlimited"
                    size_limit_mib=_dec(row.get("size_total")) or None,
                )
                for row in c.rows("email", {"su": username})
                if row.get("name")
            ]

    def _mailbox(self, c: IspManagerClient, username: str, address: str) -> str:
        local, _, domain = address.partition("@")
        _check(MAIL_LOCAL_RE, local, "name", "not a mailbox address")
        _check(MAIL_DOMAIN_RE, domain, "name", "not a mailbox address")
        if address not in {row.get("name") for row in c.rows("email", {"su": username})}:
            raise _not_found("mailbox", address)
        return address

    @recorded
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
            c.commit(
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
            )

    @recorded
    def change_mailbox_password(self, conn: Connection, username: str, address: str, password: str) -> None:
        _check_password(password)
        with self._client(conn) as c:
            elid = self._mailbox(c, username, address)
            c.commit(
                "email.edit",
                {"sok": "ok", "su": username, "elid": elid, "passwd": password, "confirm": password},
            )

    @recorded
    def delete_mailbox(self, conn: Connection, username: str, address: str) -> None:
        with self._client(conn) as c:
            elid = self._mailbox(c, username, address)
            c.commit("email.delete", {"su": username, "elid": elid})

    @recorded
    def list_ftp_users(self, conn: Connection, username: str) -> list[FtpUser]:
        with self._client(conn) as c:
            return [
                FtpUser(name=row["name"], home=row.get("home") or "/")
                for row in c.rows("ftp.user", {"su": username})
                if row.get("name")
            ]

    def _ftp_user(self, c: IspManagerClient, username: str, name: str) -> str:
        _check(FTP_NAME_RE, name, "name", "not an FTP user name")
        if name not in {row.get("name") for row in c.rows("ftp.user", {"su": username})}:
            raise _not_found("FTP user", name)
        return name

    @recorded
    def create_ftp_user(self, conn: Connection, username: str, *, name: str, home: str, password: str) -> None:
        _check(FTP_NAME_RE, name, "name", "an FTP user name has letters, digits and . _ @ - only")
        home = home or "/"
        if not FTP_HOME_RE.match(home) or ".." in home.split("/"):
            raise _invalid("home", "the home directory is a path inside the account, starting with /")
        _check_password(password)
        with self._client(conn) as c:
            c.commit(
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
            )

    @recorded
    def change_ftp_password(self, conn: Connection, username: str, name: str, password: str) -> None:
        _check_password(password)
        with self._client(conn) as c:
            elid = self._ftp_user(c, username, name)
            c.commit(
                "ftp.user.edit",
                {"sok": "ok", "su": username, "elid": elid, "passwd": password, "confirm": password},
            )

    @recorded
    def delete_ftp_user(self, conn: Connection, username: str, name: str) -> None:
        with self._client(conn) as c:
            elid = self._ftp_user(c, username, name)
            c.commit("ftp.user.delete", {"su": username, "elid": elid})


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


def _dec(raw: str | None) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None
