"""Session and identity: `auth`, `session.newkey`, `whoami`, `usrparam`, `userstat`, server information."""

from __future__ import annotations

from typing import Any

from ..common import check_passwd
from ..dispatch import func
from ..errors import err_missed, err_value, is_ru
from ..limits import LIMIT_LABELS, USERSTAT_ROWS
from ..render import Doc, Loc, Node, Row
from ..request import Req
from ..state import State


@func("usrparam")
def f_usrparam(req: Req) -> Doc:
    state = req.state
    actor = req.actor
    if actor.admin:
        settings = req.app.admin_settings.setdefault(actor.name, {})
        email = settings.get("email", "")
    else:
        settings = state.users[actor.name]
        email = settings.get("email", "")
    if not req.sok:
        return Doc.form(
            [
                ("name", actor.name),
                ("email", email),
                ("lang", settings.get("lang", "en")),
                ("atype", settings.get("atype", "atany")),
                ("addr", settings.get("addr", "")),
            ]
        )
    passwd = check_passwd(req, required=False)
    for field in ("email", "lang", "atype", "addr"):
        if req.has(field):
            settings[field] = req.p(field)
    if passwd is not None:
        if actor.admin:
            req.app.admins[actor.name] = passwd
        else:
            settings["passwd"] = passwd
    if not actor.admin:
        state.touch("users", actor.name)
    return Doc.ok()


def usage_of(state: State, owner: str | None) -> dict[str, float]:
    def mine(rec: dict[str, Any]) -> bool:
        return owner is None or rec.get("owner") == owner

    users = [state.users[owner]] if owner is not None else list(state.users.values())

    def num(value: Any) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            return 0.0

    mail_sizes = [num(e.get("size_used")) for e in state.emails.values() if mine(e)]
    return {
        "limit_quota": sum(num(u.get("usage", {}).get("quota_used")) for u in users),
        "limit_traff": sum(num(u.get("usage", {}).get("traff_used")) for u in users),
        "limit_webdomains": sum(1 for r in state.webdomains.values() if mine(r)),
        "limit_domains": sum(1 for r in state.domains.values() if mine(r)),
        "limit_emaildomains": sum(1 for r in state.emaildomains.values() if mine(r)),
        "limit_emails": len(mail_sizes),
        "limit_email_quota": max(mail_sizes, default=0.0),
        "limit_db": sum(1 for r in state.dbs.values() if mine(r)),
        "limit_db_users": sum(1 for r in state.dbusers.values() if mine(r)),
        "limit_dbsize": sum(num(r.get("size")) for r in state.dbs.values() if mine(r)),
        "limit_ftp_users": sum(1 for r in state.ftpusers.values() if mine(r)),
        "limit_scheduler": 0,
    }


def fmt_num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


@func("userstat")
def f_userstat(req: Req) -> Doc:
    state = req.state
    owner = None if req.actor.admin else req.actor.name
    usage = usage_of(state, owner)
    labels = LIMIT_LABELS["ru" if is_ru(req.lang) else "en"]
    user = state.users.get(owner) if owner else None
    rows = []
    for limit, units in USERSTAT_ROWS:
        total = user.get(limit, "") if user else ""
        rows.append(
            Row(
                name=Loc(labels[limit], limit),
                units=units,
                usages_used=fmt_num(usage[limit]),
                usages_total=total,
            )
        )
    return Doc.listing(rows)


@func("whoami")
def f_whoami(req: Req) -> Doc:
    return Doc.data([("user", Node({"name": req.actor.name, "level": req.actor.level}))])


@func("session.newkey", superuser=True)
def f_session_newkey(req: Req) -> Doc:
    username = req.required("username")
    key = req.required("key")
    if len(key) < 16:
        raise err_value(req.lang, "key", "", "the key must be at least 16 characters long")
    if username not in req.app.admins and username not in req.state.users:
        raise err_missed(req.lang, "user", username)
    req.state.keys[key] = {"user": username, "created": req.state.now()}
    return Doc.ok()


# ---------------------------------------------------------------------------
# server information


PANEL_VERSIONS = {5: "5.398.0", 6: "6.100.0"}


@func("license.info", admin=True)
def f_license_info(req: Req) -> Doc:
    return Doc.form(
        [
            ("mgr", "ispmgr"),
            ("panel_name", f"ispmanager {req.app.version} Business (emulator)"),
            ("version", PANEL_VERSIONS[req.app.version]),
            ("licid", "emulator"),
            ("lictype", "business"),
            ("expire", "2099-12-31"),
            ("emulator", "on"),
        ]
    )


@func("sysinfo", admin=True)
def f_sysinfo(req: Req) -> Doc:
    srv = req.state.settings["srvparam"]
    ru = is_ru(req.lang)
    facts = [
        ("hostname", "Имя сервера" if ru else "Host name", srv.get("hostname", "")),
        ("os", "Операционная система" if ru else "Operating system", "Linux (emulated)"),
        ("cpu", "Процессор" if ru else "Processor", "Emulated CPU"),
        ("mem", "Память" if ru else "Memory", "4096 MiB"),
        ("users", "Пользователи" if ru else "Users", str(len(req.state.users))),
        ("webdomains", "WWW-домены" if ru else "WWW domains", str(len(req.state.webdomains))),
    ]
    return Doc.listing([Row(name=Loc(label, key), value=value) for key, label, value in facts])


def settings_form(req: Req, section: str, allowed: tuple[str, ...]) -> Doc:
    state = req.state
    values = state.settings[section]
    if not req.sok:
        return Doc.form([(k, str(values.get(k, ""))) for k in allowed])
    for k in allowed:
        if req.has(k):
            values[k] = req.p(k)
    state.touch("settings", section)
    return Doc.ok()


@func("srvparam", admin=True)
def f_srvparam(req: Req) -> Doc:
    return settings_form(req, "srvparam", ("hostname", "timezone", "ihttpd_port", "default_lang"))


@func("dnsparam", admin=True)
def f_dnsparam(req: Req) -> Doc:
    return settings_form(req, "dnsparam", ("ns", "ttl", "email", "dnssec"))
