"""Databases: `db`, `db.edit`, `db.delete`, `db.server`, `db.users` and its edit/delete."""

from __future__ import annotations

from typing import Any

from ..common import DBNAME_RE, check_limit, norm_flag, resolve_owner, visible
from ..dispatch import func
from ..errors import err_exists, err_missed, err_value
from ..render import Doc, Row
from ..request import Req
from .dbservers import db_servers, default_server


def db_lookup(req: Req, ident: str) -> dict[str, Any]:
    state = req.state
    rec = state.dbs.get(ident)
    if rec is None:
        matches = [d for d in state.dbs.values() if d["name"] == ident and visible(req, d)]
        rec = matches[0] if len(matches) == 1 else None
    if not visible(req, rec):
        raise err_missed(req.lang, "db", ident)
    assert rec is not None
    return rec


def db_row(req: Req, db: dict[str, Any]) -> Row:
    users = [u["name"] for u in req.state.dbusers.values() if u.get("db") == db["key"]]
    return Row(
        name=db["name"],
        key=db["key"],
        owner=db.get("owner", ""),
        server=db.get("server", "MySQL"),
        type=db.get("type", "mysql"),
        charset=db.get("charset", ""),
        size=str(db.get("size", "0")),
        users=" ".join(users),
    )


@func("db")
def f_db(req: Req) -> Doc:
    return Doc.listing([db_row(req, d) for d in req.state.dbs.values() if visible(req, d)], key="key")


def new_dbuser(
    req: Req,
    name: str,
    owner: str,
    db_key: str,
    passwd_param: str = "password",  # noqa: S107 - a parameter name, not a password
) -> dict[str, Any]:
    if not DBNAME_RE.match(name):
        raise err_value(
            req.lang,
            "username" if passwd_param == "password" and req.func == "db.edit" else "name",
            name,
        )
    if name in req.state.dbusers:
        raise err_exists(req.lang, "db_user", name)
    check_limit(req, owner, "limit_db_users", "dbusers")
    password = req.p(passwd_param) or req.p("passwd")
    if not password:
        raise err_missed(req.lang, passwd_param)
    if "confirm" in req.params and req.p("confirm") != password:
        raise err_value(req.lang, "confirm", "", "passwords do not match")
    return {
        "name": name,
        "owner": owner,
        "db": db_key,
        "password": password,
        "remote_access": norm_flag(req, "remote_access", req.p("remote_access", "off")),
        "addr_list": req.p("addr_list"),
        "read_only": norm_flag(req, "read_only", req.p("read_only", "off")),
    }


@func("db.edit")
def f_db_edit(req: Req) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    if not req.sok:
        if elid:
            db = db_lookup(req, elid)
            return Doc.form(
                [
                    ("elid", db["key"]),
                    ("name", db["name"]),
                    ("owner", db["owner"]),
                    ("server", db["server"]),
                    ("charset", db.get("charset", "")),
                    ("size", str(db.get("size", "0"))),
                ]
            )
        return Doc.form(
            [
                ("name", ""),
                ("owner", ""),
                ("server", default_server(req)),
                ("charset", "utf8mb4"),
                ("user", "*"),
                ("username", ""),
                ("password", ""),
                ("remote_access", "off"),
            ]
        )
    if elid:
        db = db_lookup(req, elid)
        if req.has("charset"):
            db["charset"] = req.p("charset")
        state.touch("dbs", db["key"])
        return Doc.ok()
    name = req.required("name")
    if not DBNAME_RE.match(name):
        raise err_value(req.lang, "name", name)
    owner = resolve_owner(req)
    server = req.p("server").strip() or default_server(req)
    servers = db_servers(req)
    if server not in servers:
        raise err_value(req.lang, "server", server, "unknown database server")
    key = f"{name}->{server}"
    if key in state.dbs:
        raise err_exists(req.lang, "db", name)
    check_limit(req, owner, "limit_db", "dbs")
    dbuser = None
    username = req.p("username").strip()
    existing_user = req.p("user").strip()
    if existing_user and existing_user != "*":
        found = state.dbusers.get(existing_user)
        if not visible(req, found):
            raise err_missed(req.lang, "db_user", existing_user)
    elif username:
        dbuser = new_dbuser(req, username, owner, key)
    record = {
        "key": key,
        "name": name,
        "owner": owner,
        "server": server,
        "type": servers[server]["type"],
        "charset": req.p("charset") or "utf8mb4",
        "size": "0",
    }
    state.put("dbs", key, record)
    if dbuser is not None:
        state.put("dbusers", dbuser["name"], dbuser)
    return Doc.ok(key)


@func("db.delete")
def f_db_delete(req: Req) -> Doc:
    keys = req.elids()
    if not keys:
        raise err_missed(req.lang, "elid")
    for db in [db_lookup(req, k) for k in keys]:
        for uname in [u for u, rec in req.state.dbusers.items() if rec.get("db") == db["key"]]:
            req.state.remove("dbusers", uname)
        req.state.remove("dbs", db["key"])
    return Doc.ok()


def db_for_users(req: Req) -> dict[str, Any]:
    ident = req.p("plid").strip()
    if not ident and req.func == "db.users":
        ident = req.p("elid").strip()
    if not ident:
        raise err_missed(req.lang, "plid")
    return db_lookup(req, ident)


@func("db.users")
def f_db_users(req: Req) -> Doc:
    db = db_for_users(req)
    rows = [
        Row(
            name=u["name"],
            owner=u.get("owner", ""),
            remote_access=u.get("remote_access", "off"),
            addr_list=u.get("addr_list", ""),
            read_only=u.get("read_only", "off"),
        )
        for u in req.state.dbusers.values()
        if u.get("db") == db["key"]
    ]
    return Doc.listing(rows)


@func("db.users.edit")
def f_db_users_edit(req: Req) -> Doc:
    state = req.state
    db = db_for_users(req)
    elid = req.p("elid").strip()
    if elid:
        user = state.dbusers.get(elid)
        if user is None or user.get("db") != db["key"]:
            raise err_missed(req.lang, "db_user", elid)
    else:
        user = None
    if not req.sok:
        if user is not None:
            return Doc.form(
                [
                    ("elid", elid),
                    ("plid", db["key"]),
                    ("name", elid),
                    ("remote_access", user.get("remote_access", "off")),
                    ("addr_list", user.get("addr_list", "")),
                    ("read_only", user.get("read_only", "off")),
                ]
            )
        return Doc.form(
            [
                ("plid", db["key"]),
                ("name", ""),
                ("password", ""),
                ("remote_access", "off"),
                ("addr_list", ""),
                ("read_only", "off"),
            ]
        )
    if user is not None:
        password = req.p("password") or req.p("passwd")
        if password:
            if "confirm" in req.params and req.p("confirm") != password:
                raise err_value(req.lang, "confirm", "", "passwords do not match")
            user["password"] = password
        for flag in ("remote_access", "read_only"):
            if req.has(flag):
                user[flag] = norm_flag(req, flag, req.p(flag))
        if req.has("addr_list"):
            user["addr_list"] = req.p("addr_list")
        state.touch("dbusers", elid)
        return Doc.ok()
    name = req.required("name")
    record = new_dbuser(req, name, db["owner"], db["key"])
    state.put("dbusers", name, record)
    return Doc.ok(name)


@func("db.users.delete")
def f_db_users_delete(req: Req) -> Doc:
    db = db_for_users(req)
    names = req.elids()
    if not names:
        raise err_missed(req.lang, "elid")
    for name in names:
        rec = req.state.dbusers.get(name)
        if rec is None or rec.get("db") != db["key"]:
            raise err_missed(req.lang, "db_user", name)
    for name in names:
        req.state.remove("dbusers", name)
    return Doc.ok()


# ---------------------------------------------------------------------------
