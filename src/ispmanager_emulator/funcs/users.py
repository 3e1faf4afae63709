"""Users: the `user` list, `user.edit`, the `user.add` wizard, suspend/resume/delete."""

from __future__ import annotations

import operator
import re
from typing import Any

from ..common import (
    FTPNAME_RE,
    USERNAME_RE,
    allocate_ip,
    check_passwd,
    count_owned,
    find,
    find_all,
    limit_params,
    norm_domain,
    now_str,
)
from ..dispatch import func
from ..errors import ApiError, err_exists, err_limit, err_value, is_ru
from ..limits import LIMIT_NAMES, default_limits, is_limit_param, parse_limit
from ..render import Doc, Node, Row
from ..request import USER_LEVEL, Req
from ..state import SHARED_IP, State
from .mail import new_emaildomain
from .sites import new_webdomain

SYSTEM_USERS = frozenset(
    {
        "root",
        "bin",
        "daemon",
        "adm",
        "lp",
        "sync",
        "shutdown",
        "halt",
        "mail",
        "operator",
        "games",
        "ftp",
        "nobody",
        "www-data",
        "apache",
        "nginx",
        "mysql",
        "postgres",
        "named",
        "bind",
        "postfix",
        "dovecot",
        "exim",
        "sshd",
        "ispmgr",
        "mgr5",
        "systemd-network",
    }
)


_LIMIT_VALUES = operator.itemgetter(*LIMIT_NAMES)
_USER_KNOWN_KEYS = frozenset(LIMIT_NAMES) | {
    "name",
    "passwd",
    "fullname",
    "email",
    "owner",
    "preset",
    "comment",
    "create_time",
    "active",
    "level",
    "usage",
    "backup",
    "php_enable",
    "lang",
    "atype",
    "addr",
}


def user_row(state: State, user: dict[str, Any]) -> Row:
    key = ("users", user["name"])
    row = state.row_cache.get(key)
    if row is not None:
        return row  # type: ignore[no-any-return]
    usage = user.get("usage", {})
    row = Row(
        name=user["name"],
        fullname=user.get("fullname", ""),
        owner=user.get("owner", ""),
        active=user.get("active", "on"),
        level=user.get("level", USER_LEVEL),
        preset=user.get("preset", ""),
        email=user.get("email", ""),
        comment=user.get("comment", ""),
        create_time=user.get("create_time", ""),
        quota_used=str(usage.get("quota_used", "0")),
        quota_total=user.get("limit_quota", ""),
    )
    row["backup"] = user.get("backup", "")
    row["php_enable"] = user.get("php_enable", "")
    # users of one plan share one limit block, rendered once (see Row.shared)
    try:
        values = _LIMIT_VALUES(user)
    except KeyError:  # a record lacking a canonical limit: take the slow path
        values = tuple(user.get(k, "") for k in LIMIT_NAMES)
    extras = user.keys() - _USER_KNOWN_KEYS
    extra_items = tuple(sorted((k, user[k]) for k in extras if k[:6] == "limit_")) if extras else ()
    block_key = (values, extra_items)
    blocks = state.limit_blocks
    shared = blocks.get(block_key)
    if shared is None:
        if len(blocks) > 50000:
            blocks.clear()
        shared = blocks[block_key] = Row(zip(LIMIT_NAMES, values, strict=True))
        shared.update(extra_items)
    row.shared = shared
    state.row_cache[key] = row
    return row


def preset_slist(req: Req) -> Node:
    options = [Node({"key": "#custom"}, "Пользовательский" if is_ru(req.lang) else "Custom")]
    options += [Node({"key": name}, name) for name in sorted(req.state.presets)]
    return Node({"name": "preset"}, children=[("msg", options)])


def user_form(req: Req, user: dict[str, Any] | None, elid: str = "") -> Doc:
    if user is None:
        values: dict[str, Any] = {
            "name": "",
            "fullname": "",
            "email": "",
            "owner": req.actor.name,
            "preset": "#custom",
            "comment": "",
        }
        values.update(default_limits())
        items: list[tuple[str, Any]] = [("elid", elid)] if elid else []
    else:
        values = user
        items = [("elid", user["name"])]
    for field in ("name", "fullname", "email", "owner", "preset", "comment"):
        items.append((field, values.get(field, "")))
    items.append(("lang", values.get("lang") or "en"))
    if user is not None:
        items.append(("create_time", user.get("create_time", "")))
        items.append(("active", user.get("active", "on")))
        items.append(("level", user.get("level", USER_LEVEL)))
    items += [(k, v) for k, v in values.items() if is_limit_param(k)]
    items.append(("slist", [preset_slist(req)]))
    return Doc.form(items)


def preset_limits(req: Req, preset_name: str) -> dict[str, str]:
    if preset_name in ("", "#custom"):
        return {}
    preset = req.state.presets.get(preset_name)
    if preset is None:
        raise err_value(req.lang, "preset", preset_name, "no such template")
    return {k: v for k, v in preset.items() if is_limit_param(k)}


def check_downgrade(req: Req, user: dict[str, Any], new_limits: dict[str, str]) -> None:
    counted = {
        "limit_webdomains": "webdomains",
        "limit_domains": "domains",
        "limit_emaildomains": "emaildomains",
        "limit_emails": "emails",
        "limit_db": "dbs",
        "limit_db_users": "dbusers",
        "limit_ftp_users": "ftpusers",
    }
    for limit, coll in counted.items():
        if limit not in new_limits:
            continue
        maximum = parse_limit(new_limits[limit])
        if maximum is None:
            continue
        used = count_owned(req.state, coll, user["name"])
        if used > maximum:
            raise err_limit(req.lang, limit, maximum, used)


LANG_RE = re.compile(r"^[a-z]{2}(_[A-Z]{2})?$")


def user_lang(req: Req) -> str:
    """``lang`` of user.edit: the user's interface language (it also sets the reply's language)."""
    lang = req.p("lang").strip() or "en"
    if not LANG_RE.match(lang):
        raise err_value(req.lang, "lang", lang, "a language code such as en or ru")
    return lang


def new_user_record(req: Req) -> dict[str, Any]:
    """Validate the create parameters and build (not store) the user record."""
    state = req.state
    name = req.required("name")
    if not USERNAME_RE.match(name):
        raise err_value(
            req.lang,
            "name",
            name,
            "lowercase letters, digits, '_' and '-', starting with a letter, at most 16 characters",
        )
    if name in state.users or name in req.app.admins or name in SYSTEM_USERS:
        raise err_exists(req.lang, "user", name)
    passwd = check_passwd(req)
    preset = req.p("preset", "#custom").strip() or "#custom"
    limits = default_limits()
    limits.update(preset_limits(req, preset))
    limits.update(limit_params(req))
    owner = req.p("owner").strip() or req.actor.name
    record: dict[str, Any] = {
        "name": name,
        "passwd": passwd,
        "fullname": req.p("fullname"),
        "email": req.p("email"),
        "owner": owner,
        "preset": preset,
        "comment": req.p("comment"),
        "lang": user_lang(req),
        "create_time": now_str(state),
        "active": "on",
        "level": USER_LEVEL,
    }
    record.update(limits)
    record["usage"] = {"quota_used": "0", "traff_used": "0"}
    return record


@func("user", admin=True)
def f_user(req: Req) -> Doc:
    state = req.state
    return Doc.listing([user_row(state, u) for u in state.users.values()])


@func("user.edit", admin=True)
def f_user_edit(req: Req) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    if not req.sok:
        user = state.users.get(elid) if elid else None
        if elid and user is None:
            # As a real panel does: reading the form of a user that does not exist is not an error,
            # it answers the empty form with the asked elid. Only the `user` list tells existence.
            return user_form(req, None, elid=elid)
        return user_form(req, user)
    if not elid:
        record = new_user_record(req)
        state.put("users", record["name"], record)
        return Doc.ok(record["name"])
    user = find(req, "users", elid, "user")
    if req.has("name") and req.p("name").strip() not in ("", elid):
        raise err_value(req.lang, "name", req.p("name"), "a user cannot be renamed")
    passwd = check_passwd(req, required=False)
    updates: dict[str, Any] = {}
    new_limits: dict[str, str] = {}
    if req.has("preset"):
        preset = req.p("preset").strip() or "#custom"
        if preset != user.get("preset"):
            new_limits.update(preset_limits(req, preset))
        updates["preset"] = preset
    new_limits.update(limit_params(req))
    check_downgrade(req, user, new_limits)
    for field in ("fullname", "email", "comment", "owner"):
        if req.has(field):
            updates[field] = req.p(field)
    if req.has("lang"):
        updates["lang"] = user_lang(req)
    if passwd is not None:
        updates["passwd"] = passwd
    user.update(updates)
    user.update(new_limits)
    state.touch("users", elid)
    return Doc.ok()


@func("user.add", "user.add.finish", admin=True)
def f_user_add(req: Req) -> Doc:
    state = req.state
    if not req.sok:
        return user_form(req, None)
    record = new_user_record(req)
    name = record["name"]
    # optional objects created with the user; validate everything before storing anything
    site = req.p("webdomain_name").strip() or req.p("domain").strip()
    if req.p("webdomain") == "off":
        site = ""
    maildomain = req.p("emaildomain_name").strip()
    if req.p("emaildomain") == "off":
        maildomain = ""
    if site:
        site = norm_domain(req, "webdomain_name", site)
        if site in state.webdomains:
            raise err_exists(req.lang, "webdomain", site)
        if parse_limit(record.get("limit_webdomains")) == 0:
            raise err_limit(req.lang, "limit_webdomains", 0)
    if maildomain:
        maildomain = norm_domain(req, "emaildomain_name", maildomain)
        if maildomain in state.emaildomains:
            raise err_exists(req.lang, "emaildomain", maildomain)
        if parse_limit(record.get("limit_emaildomains")) == 0:
            raise err_limit(req.lang, "limit_emaildomains", 0)
    ftp_name = req.p("ftp_user_name").strip()
    if ftp_name:
        if not FTPNAME_RE.match(ftp_name):
            raise err_value(req.lang, "ftp_user_name", ftp_name)
        if ftp_name in state.ftpusers:
            raise err_exists(req.lang, "ftp_user", ftp_name)
        if parse_limit(record.get("limit_ftp_users")) == 0:
            raise err_limit(req.lang, "limit_ftp_users", 0)
    ipsrc = req.p("ipsrc", "").strip()
    explicit_ip = req.p("ip").strip()
    state.put("users", name, record)
    try:
        ip = SHARED_IP
        if explicit_ip or ipsrc == "auto":
            family = "ipv6" if req.p("iptype") == "ipv6" else "ipv4"
            ip = allocate_ip(req, name, family, explicit_ip)
        if site:
            state.put(
                "webdomains",
                site,
                new_webdomain(req, site, name, {"ipaddr": ip, "email": record["email"]}),
            )
        if maildomain:
            state.put("emaildomains", maildomain, new_emaildomain(req, maildomain, name, {"ip": ip}))
        if ftp_name:
            state.put(
                "ftpusers",
                ftp_name,
                {
                    "name": ftp_name,
                    "owner": name,
                    "home": "/",
                    "passwd": record["passwd"],
                    "active": "on",
                },
            )
    except ApiError:
        delete_user(state, name)
        raise
    return Doc.ok(name)


def delete_user(state: State, name: str) -> None:
    for coll in ("webdomains", "domains", "emaildomains", "emails", "dbs", "dbusers", "ftpusers"):
        records = state.collection(coll)
        for key in [k for k, rec in records.items() if rec.get("owner") == name]:
            state.remove(coll, key)
    for ip, rec in list(state.ipaddrs.items()):
        if rec.get("owner") == name:
            state.remove("ipaddrs", ip)
    drop_sessions(state, name)
    state.remove("users", name)


def drop_sessions(state: State, name: str) -> None:
    for sid in [sid for sid, sess in state.sessions.items() if sess["user"] == name]:
        del state.sessions[sid]
    for key in [key for key, entry in state.keys.items() if entry["user"] == name]:
        del state.keys[key]


@func("user.suspend", "user.disable", admin=True)
def f_user_suspend(req: Req) -> Doc:
    for user in find_all(req, "users", "user"):
        user["active"] = "off"
        req.state.touch("users", user["name"])
        drop_sessions(req.state, user["name"])
    return Doc.ok()


@func("user.resume", "user.enable", admin=True)
def f_user_resume(req: Req) -> Doc:
    for user in find_all(req, "users", "user"):
        user["active"] = "on"
        req.state.touch("users", user["name"])
    return Doc.ok()


@func("user.delete", admin=True)
def f_user_delete(req: Req) -> Doc:
    for user in find_all(req, "users", "user"):
        delete_user(req.state, user["name"])
    return Doc.ok()
