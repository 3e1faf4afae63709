"""Database servers: defined by the panel's administrator (``db.server`` and its edit/delete).

A new panel has ``MySQL`` and ``PostgreSQL``; an administrator may add others under any name
(e.g. ``mysql-8``, ``MariaDB 10.11``), change their host, or delete those no database uses.
"""

from __future__ import annotations

import re
from typing import Any

from ..dispatch import func
from ..errors import err_exists, err_missed, err_value
from ..render import Doc, Row
from ..request import Req

DB_TYPES = ("mysql", "postgresql")
SERVER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$")
HOST_RE = re.compile(r"^[A-Za-z0-9._:\[\]-]{1,255}$")


def db_servers(req: Req) -> dict[str, dict[str, Any]]:
    servers: dict[str, dict[str, Any]] = req.state.settings["dbservers"]
    return servers


def default_server(req: Req) -> str:
    servers = db_servers(req)
    return "MySQL" if "MySQL" in servers else next(iter(servers), "")


@func("db.server")
def f_db_server(req: Req) -> Doc:
    rows = [
        Row(name=name, type=rec["type"], host=rec["host"], remote=rec.get("remote", "off"))
        for name, rec in db_servers(req).items()
    ]
    return Doc.listing(rows)


def server_host(req: Req, value: str) -> str:
    value = value.strip()
    if not HOST_RE.match(value):
        raise err_value(req.lang, "host", value, "a host name or address, with an optional port")
    return value


@func("db.server.edit", admin=True)
def f_db_server_edit(req: Req) -> Doc:
    servers = db_servers(req)
    elid = req.p("elid").strip()
    if not req.sok:
        if not elid:
            return Doc.form([("name", ""), ("type", "mysql"), ("host", "localhost:3306"), ("remote", "off")])
        rec = servers.get(elid)
        if rec is None:
            raise err_missed(req.lang, "db_server", elid)
        return Doc.form([("elid", elid), ("name", elid), ("type", rec["type"]), ("host", rec["host"])])
    if elid:
        rec = servers.get(elid)
        if rec is None:
            raise err_missed(req.lang, "db_server", elid)
        if req.has("host"):
            rec["host"] = server_host(req, req.p("host"))
        req.state.touch("settings", "dbservers")
        return Doc.ok(elid)
    name = req.required("name").strip()
    if not SERVER_NAME_RE.match(name):
        raise err_value(req.lang, "name", name)
    if name in servers:
        raise err_exists(req.lang, "db_server", name)
    dbtype = req.p("type", "mysql").strip() or "mysql"
    if dbtype not in DB_TYPES:
        raise err_value(req.lang, "type", dbtype, "mysql or postgresql")
    servers[name] = {"type": dbtype, "host": server_host(req, req.p("host") or "localhost"), "remote": "off"}
    req.state.touch("settings", "dbservers")
    return Doc.ok(name)


@func("db.server.delete", admin=True)
def f_db_server_delete(req: Req) -> Doc:
    servers = db_servers(req)
    names = req.elids()
    if not names:
        raise err_missed(req.lang, "elid")
    for name in names:
        if name not in servers:
            raise err_missed(req.lang, "db_server", name)
        if any(db.get("server") == name for db in req.state.dbs.values()):
            raise err_value(req.lang, "elid", name, "databases are kept on this server")
    for name in names:
        del servers[name]
    req.state.touch("settings", "dbservers")
    return Doc.ok()
