"""The emulated panel: authentication, dispatch and every supported function.

:meth:`Emulator.handle` takes the request parameters (query string and form body
merged) and returns a :class:`~ispmanager_emulator.render.Doc` plus the rendering
context. Transport concerns (HTTP, TLS, faults that drop replies) live in
:mod:`ispmanager_emulator.server`.
"""

from __future__ import annotations

import ipaddress
import operator
import re
import secrets
import time
from collections.abc import Callable
from html import escape as html_escape
from typing import Any

from .faults import FAIL_KINDS, Faults
from .limits import (
    COUNT,
    FLAG,
    LIMIT_KIND,
    LIMIT_LABELS,
    LIMIT_NAMES,
    NUM,
    SIZE,
    USERSTAT_ROWS,
    default_limits,
    is_limit_param,
    parse_limit,
)
from .render import Ctx, Doc, Loc, Node, Row
from .state import SHARED_IP, State

SESSION_IDLE = 3600.0
KEY_LIFETIME = 3600.0
ADMIN_LEVEL = "29"
USER_LEVEL = "16"
SESSION_COOKIE = "ispmgrses5"
SECRET_PARAMS = frozenset({"authinfo", "auth", "password", "passwd", "confirm"})
FORMATS = frozenset({"xml", "devel", "json", "sjson", "JSONdata", "text"})

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
PRESET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@ -]{0,63}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")
LOCALPART_RE = re.compile(r"^[a-z0-9._+-]{1,64}$")
DBNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
FTPNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
PARAM_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
NUMBER_RE = re.compile(r"^\d+(\.\d+)?$")

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

DB_SERVERS = {"MySQL": ("mysql", "localhost:3306"), "PostgreSQL": ("postgresql", "localhost:5432")}

PHP_VERSIONS = {
    "native": ("8.2.6 (native)", "/usr/bin/php"),
    "isp-php82": ("8.2.6 (alt)", "/opt/php82/bin/php"),
    "isp-php81": ("8.1.27 (alt)", "/opt/php81/bin/php"),
    "isp-php80": ("8.0.30 (alt)", "/opt/php80/bin/php"),
    "isp-php74": ("7.4.33 (alt)", "/opt/php74/bin/php"),
}
PHP_MODES = {
    "php_mode_none": "",
    "php_mode_mod": "Apache module",
    "php_mode_cgi": "CGI",
    "php_mode_fcgi_apache": "FastCGI (Apache)",
    "php_mode_fcgi_nginxfpm": "FastCGI (Nginx + PHP-FPM)",
    "php_mode_lsapi": "LSAPI",
}
RECORD_TYPES = ("a", "aaaa", "cname", "mx", "txt", "ns", "srv", "caa", "ptr")

OBJECT_LABELS = {
    "en": {
        "user": "User",
        "preset": "Template",
        "webdomain": "WWW domain",
        "domain": "Domain",
        "record": "Record",
        "emaildomain": "Mail domain",
        "email": "Mailbox",
        "db": "Database",
        "db_user": "Database user",
        "ftp_user": "FTP user",
        "ipaddr": "IP address",
        "func": "Function",
        "session": "Session",
    },
    "ru": {
        "user": "Пользователь",
        "preset": "Шаблон",
        "webdomain": "WWW-домен",
        "domain": "Домен",
        "record": "Запись",
        "emaildomain": "Почтовый домен",
        "email": "Почтовый ящик",
        "db": "База данных",
        "db_user": "Пользователь базы данных",
        "ftp_user": "FTP-пользователь",
        "ipaddr": "IP-адрес",
        "func": "Функция",
        "session": "Сессия",
    },
}


# ---------------------------------------------------------------------------
# errors


class ApiError(Exception):
    """A panel error: rendered as <error type object><param/>...<msg/><detail/></error>."""

    def __init__(
        self,
        etype: str,
        obj: str = "",
        value: str = "",
        msg: str = "",
        *,
        detail: str | None = None,
        group: str = "",
        bare: bool = False,
    ) -> None:
        super().__init__(f"{etype}({obj}): {msg}")
        self.etype = etype
        self.obj = obj
        self.value = value
        self.msg = msg
        self.detail = msg if detail is None else detail
        self.group = group
        self.bare = bare


def _ru(lang: str) -> bool:
    return lang == "ru"


def _label(lang: str, obj: str) -> str:
    return OBJECT_LABELS["ru" if _ru(lang) else "en"].get(obj, obj)


def err_badpassword(lang: str, remote: str) -> ApiError:
    text = "Неверное имя пользователя или пароль " if _ru(lang) else "Invalid username or password "
    return ApiError("auth", "badpassword", f"remote_addr: [{remote}]", text, bare=True)


def err_exists(lang: str, obj: str, value: str) -> ApiError:
    label = _label(lang, obj)
    if _ru(lang):
        group = "__object__ со значением '__value__' уже существует"
        msg = f"{label} со значением '{value}' уже существует"
    else:
        group = "__object__ with '__value__' already exists"
        msg = f"{label} with '{value}' already exists"
    return ApiError("exists", obj, value, msg, group=group)


def err_missed(lang: str, obj: str, value: str = "") -> ApiError:
    label = _label(lang, obj)
    if value:
        msg = f"{label} '{value}' не найден" if _ru(lang) else f"{label} '{value}' not found"
    else:
        msg = f"Не указано значение поля '{obj}'" if _ru(lang) else f"The '{obj}' field is required"
    return ApiError("missed", obj, value, msg)


def err_value(lang: str, param: str, value: str, why: str = "") -> ApiError:
    msg = f"Неверное значение поля '{param}'" if _ru(lang) else f"The value of the '{param}' field is invalid"
    return ApiError("value", param, value, msg, detail=(msg + (f": {why}" if why else "")))


def err_access(lang: str, what: str = "") -> ApiError:
    msg = "Доступ запрещён" if _ru(lang) else "Access denied"
    return ApiError("access", what, "", msg)


def err_limit(lang: str, limit: str, value: int, used: int | None = None) -> ApiError:
    label = LIMIT_LABELS["ru" if _ru(lang) else "en"].get(limit, limit)
    if _ru(lang):
        msg = f"Превышен лимит '{label}' ({limit} = {value})"
    else:
        msg = f"The limit '{label}' has been reached ({limit} = {value})"
    detail = msg if used is None else f"{msg}; in use: {used}"
    return ApiError("limit", limit, str(value), msg, detail=detail)


# ---------------------------------------------------------------------------
# request context


class Actor:
    __slots__ = ("name", "admin", "level", "real", "via_su")

    def __init__(self, name: str, admin: bool, real: str, via_su: bool = False) -> None:
        self.name = name
        self.admin = admin
        self.level = ADMIN_LEVEL if admin else USER_LEVEL
        self.real = real
        self.via_su = via_su


class Req:
    __slots__ = ("params", "func", "lang", "actor", "remote", "state", "app", "browser", "headers")

    def __init__(self, app: Emulator, params: dict[str, str], func: str, lang: str, remote: str) -> None:
        self.app = app
        self.state = app.state
        self.params = params
        self.func = func
        self.lang = lang
        self.remote = remote
        self.actor: Actor = Actor("", False, "")
        self.browser = False
        self.headers: list[tuple[str, str]] = []

    def p(self, name: str, default: str = "") -> str:
        return self.params.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.params

    @property
    def sok(self) -> bool:
        return bool(self.params.get("sok"))

    def elids(self) -> list[str]:
        raw = self.params.get("elid", "")
        return [part.strip() for part in raw.split(", ") if part.strip()]

    def required(self, name: str) -> str:
        value = self.params.get(name, "").strip()
        if not value:
            raise err_missed(self.lang, name)
        return value


Handler = Callable[[Req], Doc]


class FuncInfo:
    __slots__ = ("fn", "admin", "real_admin")

    def __init__(self, fn: Handler, admin: bool, real_admin: bool) -> None:
        self.fn = fn
        self.admin = admin
        self.real_admin = real_admin


HANDLERS: dict[str, FuncInfo] = {}


def func(*names: str, admin: bool = False, real_admin: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = FuncInfo(fn, admin or real_admin, real_admin)
        return fn

    return register


# ---------------------------------------------------------------------------
# value helpers


def now_str(state: State) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(state.now()))


def norm_flag(req: Req, name: str, value: str) -> str:
    v = value.strip().lower()
    if v in ("on", "yes", "true", "1"):
        return "on"
    if v in ("off", "no", "false", "0", ""):
        return "off"
    raise err_value(req.lang, name, value, "expected on or off")


def norm_limit(req: Req, name: str, value: str) -> str:
    if not PARAM_NAME_RE.match(name):
        raise err_value(req.lang, name, value, "bad parameter name")
    kind = LIMIT_KIND.get(name)
    if name in ("backup", "php_enable"):
        kind = FLAG
    value = value.strip()
    if kind in (COUNT, SIZE, NUM):
        if value and not NUMBER_RE.match(value):
            raise err_value(req.lang, name, value, "a number is expected")
        return value
    if kind == FLAG or name.endswith("_enabled") or name.endswith("_inaccess"):
        return norm_flag(req, name, value)
    return value


def limit_params(req: Req) -> dict[str, str]:
    return {k: norm_limit(req, k, v) for k, v in req.params.items() if is_limit_param(k)}


def norm_domain(req: Req, name: str, value: str) -> str:
    value = value.strip().rstrip(".").lower()
    if not value:
        raise err_missed(req.lang, name)
    if not value.isascii():
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise err_value(req.lang, name, value, "not a valid domain name") from exc
    if not DOMAIN_RE.match(value):
        raise err_value(req.lang, name, value, "not a valid domain name")
    return value


def check_passwd(req: Req, pname: str = "passwd", required: bool = True) -> str | None:
    passwd = req.p(pname)
    if not passwd:
        if required:
            raise err_missed(req.lang, pname)
        return None
    if "confirm" in req.params and req.p("confirm") != passwd:
        raise err_value(req.lang, "confirm", "", "passwords do not match")
    return passwd


def count_owned(state: State, coll: str, owner: str) -> int:
    return sum(1 for rec in state.collection(coll).values() if rec.get("owner") == owner)


def check_limit(req: Req, owner: str, limit: str, coll: str, adding: int = 1) -> None:
    user = req.state.users.get(owner)
    if user is None:
        return
    maximum = parse_limit(user.get(limit))
    if maximum is None:
        return
    used = count_owned(req.state, coll, owner)
    if used + adding > maximum:
        raise err_limit(req.lang, limit, maximum, used)


def resolve_owner(req: Req, param: str = "owner") -> str:
    """Owner of a new object: the acting user, or the ``owner`` parameter for an admin."""
    if not req.actor.admin:
        return req.actor.name
    owner = req.p(param).strip()
    if not owner:
        raise err_missed(req.lang, param)
    if owner not in req.state.users:
        raise err_missed(req.lang, "user", owner)
    return owner


def visible(req: Req, rec: dict[str, Any] | None) -> bool:
    return rec is not None and (req.actor.admin or rec.get("owner") == req.actor.name)


def find(req: Req, coll: str, key: str, obj: str) -> dict[str, Any]:
    rec = req.state.collection(coll).get(key)
    if not visible(req, rec):
        raise err_missed(req.lang, obj, key)
    assert rec is not None
    return rec


def find_all(req: Req, coll: str, obj: str, keys: list[str] | None = None) -> list[dict[str, Any]]:
    keys = req.elids() if keys is None else keys
    if not keys:
        raise err_missed(req.lang, "elid")
    return [find(req, coll, key, obj) for key in keys]


def owner_active(state: State, owner: str) -> bool:
    user = state.users.get(owner)
    return user is None or user.get("active") == "on"


def onoff(flag: bool) -> str:
    return "on" if flag else "off"


# ---------------------------------------------------------------------------
# the emulator


class Emulator:
    """Panel logic shared by every connection. ``admins`` maps admin login -> password."""

    def __init__(self, state: State, admins: dict[str, str], faults: Faults | None = None) -> None:
        self.state = state
        self.admins = dict(admins)
        self.faults = faults or Faults()
        self.admin_settings: dict[str, dict[str, str]] = {}

    # -- entry point -----------------------------------------------------------
    def handle(
        self,
        params: dict[str, str],
        remote: str,
        cookies: dict[str, str] | None = None,
        host: str = "https://127.0.0.1:1500",
        binary: str = "/ispmgr",
        auth_broken: bool = False,
    ) -> tuple[Doc, Ctx]:
        func_name = params.get("func", "")
        out = params.get("out", "")
        lang = params.get("lang") or "en"
        req = Req(self, params, func_name, lang, remote)
        req.browser = not out and func_name in ("", "auth")
        fmt = out if out in FORMATS else "xml"
        tparams = [(k, v) for k, v in params.items() if k not in SECRET_PARAMS]
        ctx = Ctx(fmt, lang, func_name, host, binary, tparams)
        state = self.state
        with state.lock:
            try:
                doc = self._dispatch(req, cookies or {}, auth_broken)
            except ApiError as exc:
                if req.browser:
                    doc = Doc.page(self._page("Error", f'<p id="error">{html_escape(exc.msg)}</p>'))
                else:
                    doc = self._error_doc(exc, lang)
            finally:
                state.flush()
        doc.headers.extend(req.headers)
        return doc, ctx

    def _error_doc(self, exc: ApiError, lang: str) -> Doc:
        doc = Doc("error")
        children: list[tuple[str, Any]] = [
            (
                "param",
                [
                    Node({"name": "object", "type": "msg"}, exc.obj),
                    Node({"name": "value"}, exc.value),
                ],
            )
        ]
        if exc.group:
            children.append(("group", exc.group))
        children.append(("msg", exc.msg))
        children.append(("detail", exc.detail))
        doc.items.append(("error", Node({"type": exc.etype, "object": exc.obj, "lang": lang}, children=children)))
        doc.error = (exc.etype, exc.obj, exc.value, exc.msg, exc.detail)
        doc.bare = exc.bare
        return doc

    # -- authentication ----------------------------------------------------------
    def check_password(self, name: str, password: str) -> Actor | None:
        admin_pw = self.admins.get(name)
        if admin_pw is not None:
            return Actor(name, True, name) if secrets.compare_digest(admin_pw, password) else None
        user = self.state.users.get(name)
        if user is None or user.get("active") != "on":
            return None
        if not secrets.compare_digest(str(user.get("passwd", "")), password):
            return None
        return Actor(name, False, name)

    def _actor_for(self, name: str) -> Actor | None:
        if name in self.admins:
            return Actor(name, True, name)
        user = self.state.users.get(name)
        if user is None or user.get("active") != "on":
            return None
        return Actor(name, False, name)

    def new_session(self, actor: Actor) -> str:
        sid = secrets.token_hex(12)
        self.state.sessions[sid] = {"user": actor.name, "last": self.state.now()}
        return sid

    def _session(self, req: Req, sid: str) -> Actor:
        sess = self.state.sessions.get(sid)
        now = self.state.now()
        if sess is None or now - sess["last"] > SESSION_IDLE:
            self.state.sessions.pop(sid, None)
            msg = "Сессия истекла или неверна" if _ru(req.lang) else "The session has expired or is invalid"
            raise ApiError("access", "session", "", msg)
        actor = self._actor_for(sess["user"])
        if actor is None:
            self.state.sessions.pop(sid, None)
            raise err_badpassword(req.lang, req.remote)
        sess["last"] = now
        return actor

    def _dispatch(self, req: Req, cookies: dict[str, str], auth_broken: bool) -> Doc:
        params = req.params
        if auth_broken:
            raise err_badpassword(req.lang, req.remote)
        if req.func == "auth":
            return self._func_auth(req)
        actor: Actor | None = None
        authinfo = params.get("authinfo")
        if authinfo is not None:
            name, _, password = authinfo.partition(":")
            actor = self.check_password(name, password)
            if actor is None:
                raise err_badpassword(req.lang, req.remote)
        elif params.get("auth"):
            actor = self._session(req, params["auth"])
        elif cookies.get(SESSION_COOKIE):
            try:
                actor = self._session(req, cookies[SESSION_COOKIE])
            except ApiError:
                if req.browser:
                    return self._login_page()
                raise
        if actor is None:
            if req.browser:
                return self._login_page()
            raise err_badpassword(req.lang, req.remote)
        if not req.func:
            if req.browser:
                return self._logged_in_page(actor)
            raise err_missed(req.lang, "func")
        info = HANDLERS.get(req.func)
        if info is None:
            raise ApiError(
                "missed",
                "func",
                req.func,
                f"Функция '{req.func}' не найдена" if _ru(req.lang) else f"Unknown function '{req.func}'",
            )
        su = params.get("su", "").strip()
        if su and su != actor.name:
            if not actor.admin:
                raise err_access(req.lang, "su")
            if su in self.admins:
                actor = Actor(su, True, actor.real)
            elif su in self.state.users:
                actor = Actor(su, False, actor.real, via_su=True)
            else:
                raise err_missed(req.lang, "user", su)
        req.actor = actor
        if info.admin and not actor.admin:
            raise err_access(req.lang, req.func)
        if info.real_admin and actor.real not in self.admins:
            raise err_access(req.lang, req.func)
        return info.fn(req)

    def _func_auth(self, req: Req) -> Doc:
        state = self.state
        username = req.p("username").strip()
        key = req.p("key")
        actor: Actor | None = None
        if key:
            entry = state.keys.pop(key, None)
            if (
                entry is not None
                and (not username or entry["user"] == username)
                and state.now() - entry["created"] <= KEY_LIFETIME
            ):
                actor = self._actor_for(entry["user"])
        elif username:
            actor = self.check_password(username, req.p("password"))
        if actor is None:
            raise err_badpassword(req.lang, req.remote)
        sid = self.new_session(actor)
        if req.browser:
            req.headers.append(("Set-Cookie", f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"))
            return self._logged_in_page(actor)
        return Doc.data([("auth", Node({"id": sid, "level": actor.level}, sid))])

    # -- small HTML pages for browsers ---------------------------------------------
    @staticmethod
    def _page(title: str, body: str) -> str:
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{html_escape(title)} - ispmanager emulator</title></head>"
            f"<body><h1>ispmanager emulator</h1>{body}</body></html>\n"
        )

    def _login_page(self) -> Doc:
        return Doc.page(
            self._page(
                "Log in",
                '<form method="post" id="login"><input type="hidden" name="func" value="auth">'
                '<label>Username <input name="username"></label> '
                '<label>Password <input name="password" type="password"></label> '
                '<button type="submit">Log in</button></form>',
            )
        )

    def _logged_in_page(self, actor: Actor) -> Doc:
        level = "admin" if actor.admin else "user"
        return Doc.page(
            self._page(
                actor.name,
                '<p id="logged-in">Logged in as '
                f'<strong id="username">{html_escape(actor.name)}</strong>'
                f' (<span id="level">{level}</span>)</p>',
            )
        )


# ---------------------------------------------------------------------------
# users


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
    options = [Node({"key": "#custom"}, "Пользовательский" if _ru(req.lang) else "Custom")]
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
    if passwd is not None:
        updates["passwd"] = passwd
    user.update(updates)
    user.update(new_limits)
    state.touch("users", elid)
    return Doc.ok()


def allocate_ip(req: Req, owner: str, family: str = "ipv4", explicit: str = "") -> str:
    state = req.state
    if explicit:
        try:
            addr = ipaddress.ip_address(explicit)
        except ValueError as exc:
            raise err_value(req.lang, "ip", explicit, "not an IP address") from exc
        ip = str(addr)
        existing = state.ipaddrs.get(ip)
        if existing is not None and existing.get("owner") not in ("", owner):
            raise err_exists(req.lang, "ipaddr", ip)
        if existing is not None and existing.get("iprole") == "shared":
            return ip
        family = "ipv6" if addr.version == 6 else "ipv4"
    else:
        ip = ""
        candidates = (
            (f"192.0.2.{n}" for n in range(10, 255))
            if family == "ipv4"
            else (f"2001:db8::{n:x}" for n in range(16, 65536))
        )
        for candidate in candidates:
            if candidate not in state.ipaddrs:
                ip = candidate
                break
        if not ip:
            raise err_limit(req.lang, "limit_ipv4addrs" if family == "ipv4" else "limit_ipv6addrs", 0)
    limit = "limit_ipv6addrs" if family == "ipv6" else "limit_ipv4addrs"
    user = state.users.get(owner)
    if user is not None:
        maximum = parse_limit(user.get(limit))
        if maximum is not None:
            used = sum(1 for r in state.ipaddrs.values() if r.get("owner") == owner and r.get("family") == family)
            if used + 1 > maximum:
                raise err_limit(req.lang, limit, maximum, used)
    state.put("ipaddrs", ip, {"name": ip, "family": family, "iprole": "assigned", "owner": owner})
    return ip


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


# ---------------------------------------------------------------------------
# presets


def preset_row(preset: dict[str, Any]) -> Row:
    row = Row(name=preset["name"], level=preset.get("level", USER_LEVEL))
    for k, v in preset.items():
        if is_limit_param(k):
            row[k] = v
    return row


@func("preset", admin=True)
def f_preset(req: Req) -> Doc:
    return Doc.listing([preset_row(p) for p in req.state.presets.values()])


@func("preset.edit", admin=True)
def f_preset_edit(req: Req) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    if not req.sok:
        if elid:
            preset = find(req, "presets", elid, "preset")
            items: list[tuple[str, Any]] = [
                ("elid", elid),
                ("name", elid),
                ("level", preset.get("level", USER_LEVEL)),
            ]
            items += [(k, v) for k, v in preset.items() if is_limit_param(k)]
        else:
            items = [("name", ""), ("level", USER_LEVEL)] + list(default_limits().items())
        return Doc.form(items)
    if not elid:
        name = req.required("name")
        if not PRESET_RE.match(name):
            raise err_value(req.lang, "name", name)
        if name in state.presets:
            raise err_exists(req.lang, "preset", name)
        preset = {"name": name, "level": req.p("level", USER_LEVEL) or USER_LEVEL}
        preset.update(default_limits())
        preset.update(limit_params(req))
        state.put("presets", name, preset)
        return Doc.ok(name)
    preset = find(req, "presets", elid, "preset")
    if req.has("name") and req.p("name").strip() not in ("", elid):
        raise err_value(req.lang, "name", req.p("name"), "a template cannot be renamed")
    preset.update(limit_params(req))
    if req.has("level"):
        preset["level"] = req.p("level")
    state.touch("presets", elid)
    return Doc.ok()


@func("preset.delete", admin=True)
def f_preset_delete(req: Req) -> Doc:
    for preset in find_all(req, "presets", "preset"):
        req.state.remove("presets", preset["name"])
    return Doc.ok()


# ---------------------------------------------------------------------------
# the acting user's own settings, usage, identity


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
    labels = LIMIT_LABELS["ru" if _ru(req.lang) else "en"]
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


@func("session.newkey", real_admin=True)
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


@func("license.info", admin=True)
def f_license_info(req: Req) -> Doc:
    return Doc.form(
        [
            ("mgr", "ispmgr"),
            ("panel_name", "ispmanager 6 Business (emulator)"),
            ("version", "6.100.0"),
            ("licid", "emulator"),
            ("lictype", "business"),
            ("expire", "2099-12-31"),
            ("emulator", "on"),
        ]
    )


@func("sysinfo", admin=True)
def f_sysinfo(req: Req) -> Doc:
    srv = req.state.settings["srvparam"]
    ru = _ru(req.lang)
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


# ---------------------------------------------------------------------------
# websites

SITE_FIELDS: dict[str, tuple[str, str]] = {
    # field: (kind, default)
    "email": ("str", ""),
    "aliases": ("str", ""),
    "home": ("str", ""),
    "php": ("flag", "on"),
    "php_mode": ("str", ""),
    "php_version": ("str", "native"),
    "cgi": ("flag", "off"),
    "ssi": ("flag", "off"),
    "secure": ("flag", "off"),
    "ssl_cert": ("str", ""),
    "redirect_http": ("flag", "off"),
    "hsts": ("flag", "off"),
    "srv_gzip": ("flag", "on"),
    "srv_cache": ("flag", "off"),
    "dirindex": ("str", "index.php index.html"),
    "charset": ("str", "UTF-8"),
    "analyzer": ("flag", "off"),
    "basedir": ("flag", "on"),
    "autosubdomain": ("str", "off"),
}
# request parameter -> site field, for webdomain.edit (v5) and site.edit (v6)
SITE_ALIASES = {
    "ipaddrs": "ipaddr",
    "ip": "ipaddr",
    "php_cgi_version": "php_version",
    "php_fpm_version": "php_version",
    "php_enable": "php",
    "ssl": "secure",
}


def site_params(req: Req) -> dict[str, str]:
    """Collect website fields from either naming scheme (``name`` or ``site_name`` ...)."""
    found: dict[str, str] = {}
    for raw, value in req.params.items():
        key = raw[5:] if raw.startswith("site_") else raw
        key = SITE_ALIASES.get(key, key)
        if (key in SITE_FIELDS or key in ("name", "owner", "ipaddr")) and (raw.startswith("site_") or key not in found):
            found[key] = value
    return found


def new_webdomain(req: Req, name: str, owner: str, values: dict[str, str]) -> dict[str, Any]:
    user = req.state.users.get(owner, {})
    record: dict[str, Any] = {
        "id": str(req.state.next_id("webdomain")),
        "name": name,
        "owner": owner,
    }
    for field, (kind, default) in SITE_FIELDS.items():
        if field in values:
            record[field] = norm_flag(req, field, values[field]) if kind == "flag" else values[field]
        else:
            record[field] = default
    if not record["php_mode"]:
        record["php_mode"] = user.get("limit_php_mode") or "php_mode_fcgi_nginxfpm"
    if record["php_mode"] not in PHP_MODES:
        raise err_value(req.lang, "php_mode", record["php_mode"])
    if not record["home"]:
        record["home"] = f"www/{name}"
    record["ipaddr"] = values.get("ipaddr") or default_ip(req.state, owner)
    if record["secure"] == "on" and not record["ssl_cert"]:
        record["ssl_cert"] = "selfsigned"
    if not record["email"]:
        record["email"] = f"webmaster@{name}"
    record["active"] = "on"
    record["create_time"] = now_str(req.state)
    return record


def default_ip(state: State, owner: str) -> str:
    for ip, rec in state.ipaddrs.items():
        if rec.get("owner") == owner and rec.get("family") == "ipv4":
            return ip
    return SHARED_IP


def webdomain_row(req: Req, site: dict[str, Any]) -> Row:
    owner = site.get("owner", "")
    php_on = site.get("php") == "on" and site.get("php_mode") != "php_mode_none"
    version_text, php_path = PHP_VERSIONS.get(
        site.get("php_version", "native"),
        (site.get("php_version", ""), f"/opt/{site.get('php_version')}/bin/php"),
    )
    mode_label = PHP_MODES.get(site.get("php_mode", ""), "")
    ru = _ru(req.lang)
    row = Row(
        active=onoff(site.get("active") == "on" and owner_active(req.state, owner)),
        analyzer=site.get("analyzer", "off"),
        database=Loc("Не используется" if ru else "Not used", "db_not_assigned"),
        docroot=f"/var/www/{owner}/data/{site.get('home') or 'www/' + site['name']}",
        handler=f"PHP {mode_label} {version_text}" if php_on else "",
        id=site.get("id", ""),
        ipaddr=site.get("ipaddr", ""),
        name=site["name"],
        owner=owner,
        php=(f"Путь к PHP: {php_path}." if ru else f"Path to PHP: {php_path}.") if php_on else "",
        php_mode=site.get("php_mode", ""),
        php_version=version_text if php_on else "",
        secure=site.get("secure", "off"),
    )
    if site.get("secure") == "on":
        row["ssl_issued_success"] = ""
    row["webscript_status"] = ""
    return row


@func("webdomain")
def f_webdomain(req: Req) -> Doc:
    return Doc.listing([webdomain_row(req, s) for s in req.state.webdomains.values() if visible(req, s)])


def site_form(req: Req, site: dict[str, Any] | None, prefix: str) -> Doc:
    items: list[tuple[str, Any]] = []
    if site is not None:
        items.append(("elid", site["name"]))
    values = site or {
        "name": "",
        "owner": req.actor.name if not req.actor.admin else "",
        "ipaddr": default_ip(req.state, req.actor.name),
        **{k: d for k, (_, d) in SITE_FIELDS.items()},
    }
    for field in ("name", "owner", "ipaddr", *SITE_FIELDS):
        out_name = "ipaddrs" if field == "ipaddr" else field
        items.append((prefix + out_name, str(values.get(field, ""))))
    return Doc.form(items)


def edit_site(req: Req, prefix: str) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    if not req.sok:
        return site_form(req, find(req, "webdomains", elid, "webdomain") if elid else None, prefix)
    values = site_params(req)
    if not elid:
        if not values.get("name", "").strip():
            raise err_missed(req.lang, prefix + "name")
        name = norm_domain(req, prefix + "name", values.pop("name"))
        owner = resolve_owner(req, "site_owner" if "site_owner" in req.params else "owner")
        values.pop("owner", None)
        if name in state.webdomains:
            raise err_exists(req.lang, "webdomain", name)
        check_limit(req, owner, "limit_webdomains", "webdomains")
        if values.get("ipaddr"):
            ip = values["ipaddr"].split()[0]
            if ip not in state.ipaddrs:
                raise err_value(req.lang, prefix + "ipaddrs", ip, "unknown IP address")
            values["ipaddr"] = ip
        state.put("webdomains", name, new_webdomain(req, name, owner, values))
        return Doc.ok(name)
    site = find(req, "webdomains", elid, "webdomain")
    values.pop("name", None)
    values.pop("owner", None)
    for field, value in values.items():
        if field == "ipaddr":
            site["ipaddr"] = value.split()[0] if value.strip() else site["ipaddr"]
        elif SITE_FIELDS[field][0] == "flag":
            site[field] = norm_flag(req, field, value)
        else:
            site[field] = value
    if site.get("php_mode") not in PHP_MODES:
        raise err_value(req.lang, "php_mode", site.get("php_mode", ""))
    state.touch("webdomains", elid)
    return Doc.ok()


@func("webdomain.edit")
def f_webdomain_edit(req: Req) -> Doc:
    return edit_site(req, "")


@func("site.edit")
def f_site_edit(req: Req) -> Doc:
    return edit_site(req, "site_")


def group_set_active(req: Req, coll: str, obj: str, active: str) -> Doc:
    for rec in find_all(req, coll, obj):
        rec["active"] = active
        req.state.touch(coll, rec["name"])
    return Doc.ok()


def group_delete(req: Req, coll: str, obj: str) -> Doc:
    for rec in find_all(req, coll, obj):
        req.state.remove(coll, rec.get("key") or rec["name"])
    return Doc.ok()


@func("webdomain.suspend")
def f_webdomain_suspend(req: Req) -> Doc:
    return group_set_active(req, "webdomains", "webdomain", "off")


@func("webdomain.resume")
def f_webdomain_resume(req: Req) -> Doc:
    return group_set_active(req, "webdomains", "webdomain", "on")


@func("webdomain.delete", "site.delete")
def f_webdomain_delete(req: Req) -> Doc:
    return group_delete(req, "webdomains", "webdomain")


# ---------------------------------------------------------------------------
# DNS


def record_value(rec: dict[str, Any]) -> str:
    return str(rec.get("value", ""))


def rkey(rec: dict[str, Any]) -> str:
    return f"{rec['name']} {rec['rtype'].upper()}  {record_value(rec)}"


def fqdn(name: str, zone: str) -> str:
    name = name.strip()
    if name in ("", "@"):
        return zone + "."
    if name.endswith("."):
        return name
    if name == zone or name.endswith("." + zone):
        return name + "."
    return f"{name}.{zone}."


@func("domain")
def f_domain(req: Req) -> Doc:
    rows = []
    for zone in req.state.domains.values():
        if visible(req, zone):
            rows.append(
                Row(
                    name=zone["name"],
                    displayname=zone["name"],
                    user=zone.get("owner", ""),
                    dtype=zone.get("dtype", "master"),
                    active=onoff(zone.get("active", "on") == "on" and owner_active(req.state, zone.get("owner", ""))),
                )
            )
    return Doc.listing(rows)


DOMAIN_FIELDS = ("ip", "ns", "mx", "email", "dtype", "dnssec", "reversezone", "ipsrc")


@func("domain.edit")
def f_domain_edit(req: Req) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    dns = state.settings["dnsparam"]
    if not req.sok:
        if elid:
            zone = find(req, "domains", elid, "domain")
            return Doc.form(
                [("elid", elid), ("name", elid), ("owner", zone.get("owner", ""))]
                + [(f, str(zone.get(f, ""))) for f in DOMAIN_FIELDS]
            )
        return Doc.form(
            [
                ("name", ""),
                ("owner", ""),
                ("ip", default_ip(state, req.actor.name)),
                ("ns", dns["ns"]),
                ("mx", ""),
                ("email", dns.get("email", "")),
                ("dtype", "master"),
                ("dnssec", "off"),
                ("reversezone", ""),
                ("ipsrc", "auto"),
            ]
        )
    if elid:
        zone = find(req, "domains", elid, "domain")
        for f in DOMAIN_FIELDS:
            if req.has(f):
                zone[f] = req.p(f)
        state.touch("domains", elid)
        return Doc.ok()
    name = norm_domain(req, "name", req.p("name"))
    owner = resolve_owner(req)
    if name in state.domains:
        raise err_exists(req.lang, "domain", name)
    check_limit(req, owner, "limit_domains", "domains")
    ip = req.p("ip").strip() or default_ip(state, owner)
    try:
        ipaddress.ip_address(ip)
    except ValueError as exc:
        raise err_value(req.lang, "ip", ip) from exc
    ns_list = (req.p("ns").strip() or dns["ns"]).split()
    ttl = dns.get("ttl", "3600")
    mx = req.p("mx").strip() or f"mail.{name}."
    zone = {
        "name": name,
        "owner": owner,
        "ip": ip,
        "ns": " ".join(ns_list),
        "mx": mx,
        "email": req.p("email") or dns.get("email", ""),
        "dtype": req.p("dtype") or "master",
        "dnssec": req.p("dnssec") or "off",
        "reversezone": req.p("reversezone"),
        "ipsrc": req.p("ipsrc"),
        "active": "on",
        "records": [],
    }
    a_type = "aaaa" if ":" in ip else "a"
    records = [
        {
            "name": f"{name}.",
            "rtype": "ns",
            "value": ns if ns.endswith(".") else ns + ".",
            "ttl": ttl,
        }
        for ns in ns_list
    ]
    records += [
        {"name": f"{name}.", "rtype": a_type, "value": ip, "ttl": ttl},
        {"name": f"www.{name}.", "rtype": a_type, "value": ip, "ttl": ttl},
        {"name": f"mail.{name}.", "rtype": a_type, "value": ip, "ttl": ttl},
        {
            "name": f"{name}.",
            "rtype": "mx",
            "value": mx if mx.endswith(".") else mx + ".",
            "prio": "10",
            "ttl": ttl,
        },
    ]
    zone["records"] = records
    state.put("domains", name, zone)
    return Doc.ok(name)


@func("domain.delete")
def f_domain_delete(req: Req) -> Doc:
    return group_delete(req, "domains", "domain")


def zone_for(req: Req) -> dict[str, Any]:
    zone_name = (req.p("plid") or "").strip().rstrip(".")
    if not zone_name:
        zone_name = req.p("elid").strip().rstrip(".") if req.func == "domain.record" else ""
    if not zone_name:
        raise err_missed(req.lang, "plid")
    return find(req, "domains", zone_name, "domain")


def record_row(rec: dict[str, Any]) -> Row:
    return Row(
        rkey=rkey(rec),
        name=rec["name"],
        rtype=Loc(rec["rtype"].upper(), rec["rtype"]),
        value=record_value(rec),
        prio=str(rec.get("prio", "")),
        weight=str(rec.get("weight", "")),
        port=str(rec.get("port", "")),
        ttl=str(rec.get("ttl", "")),
    )


@func("domain.record", "domain.sublist")
def f_domain_record(req: Req) -> Doc:
    zone = zone_for(req)
    return Doc.listing([record_row(r) for r in zone["records"]], key="rkey")


def find_record(req: Req, zone: dict[str, Any], key: str) -> dict[str, Any]:
    records: list[dict[str, Any]] = zone["records"]
    for rec in records:
        if rkey(rec) == key:
            return rec
    raise err_missed(req.lang, "record", key)


@func("domain.record.edit", "domain.sublist.edit")
def f_domain_record_edit(req: Req) -> Doc:
    state = req.state
    zone = zone_for(req)
    elid = req.p("elid").strip()
    if not req.sok:
        if elid:
            rec = find_record(req, zone, elid)
            return Doc.form(
                [
                    ("elid", elid),
                    ("plid", zone["name"]),
                    ("name", rec["name"]),
                    ("rtype", rec["rtype"]),
                    ("value", record_value(rec)),
                    ("prio", str(rec.get("prio", ""))),
                    ("ttl", str(rec.get("ttl", ""))),
                ]
            )
        return Doc.form(
            [
                ("plid", zone["name"]),
                ("name", ""),
                ("rtype", "a"),
                ("value", ""),
                ("prio", ""),
                ("ttl", state.settings["dnsparam"].get("ttl", "3600")),
            ]
        )
    old = find_record(req, zone, elid) if elid else None
    rtype = (req.p("rtype") or req.p("sdtype") or (old["rtype"] if old else "")).strip().lower()
    if rtype not in RECORD_TYPES:
        raise err_value(req.lang, "rtype", rtype)
    name_param = req.p("name") if req.has("name") else (old["name"] if old else "")
    rec = {
        "name": fqdn(name_param, zone["name"]),
        "rtype": rtype,
        "ttl": req.p("ttl") or (old or {}).get("ttl") or state.settings["dnsparam"]["ttl"],
    }
    if rtype in ("a", "aaaa"):
        value = (req.p("ip") or req.p("addr") or req.p("value") or (old or {}).get("value", "")).strip()
        try:
            addr = ipaddress.ip_address(value)
        except ValueError as exc:
            raise err_value(req.lang, "ip", value) from exc
        if (addr.version == 6) != (rtype == "aaaa"):
            raise err_value(req.lang, "ip", value, "address family does not match the record type")
    elif rtype in ("cname", "mx", "ns", "srv", "ptr"):
        value = (req.p("domain") or req.p("addr") or req.p("value") or (old or {}).get("value", "")).strip()
        if not value:
            raise err_missed(req.lang, "domain")
        if not value.endswith(".") and "." in value:
            value += "."
    else:
        value = req.p("value") or req.p("addr") or (old or {}).get("value", "")
        if not value:
            raise err_missed(req.lang, "value")
    rec["value"] = value
    for extra in ("prio", "weight", "port"):
        v = req.p(extra) or req.p({"prio": "prio", "weight": "wght", "port": "port"}[extra]) or (old or {}).get(extra)
        if v:
            rec[extra] = v
    if rtype == "mx" and "prio" not in rec:
        rec["prio"] = "10"
    new_key = rkey(rec)
    if any(rkey(r) == new_key for r in zone["records"] if r is not old):
        raise err_exists(req.lang, "record", new_key)
    if old is not None:
        zone["records"][zone["records"].index(old)] = rec
    else:
        zone["records"].append(rec)
    state.touch("domains", zone["name"])
    return Doc.ok(new_key)


@func("domain.record.delete", "domain.sublist.delete")
def f_domain_record_delete(req: Req) -> Doc:
    zone = zone_for(req)
    keys = req.elids()
    if not keys:
        raise err_missed(req.lang, "elid")
    doomed = [find_record(req, zone, k) for k in keys]
    zone["records"] = [r for r in zone["records"] if all(r is not d for d in doomed)]
    req.state.touch("domains", zone["name"])
    return Doc.ok()


# ---------------------------------------------------------------------------
# mail

MAILDOMAIN_FIELDS: dict[str, tuple[str, str]] = {
    "ip": ("str", ""),
    "ipsrc": ("str", "auto"),
    "defaction": ("str", "ignore"),
    "dkim": ("flag", "off"),
    "dmarc": ("flag", "off"),
    "secure": ("flag", "off"),
    "secure_alias": ("str", ""),
    "ssl_name": ("str", ""),
    "note": ("str", ""),
}


def new_emaildomain(req: Req, name: str, owner: str, values: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {"name": name, "owner": owner, "active": "on"}
    for field, (kind, default) in MAILDOMAIN_FIELDS.items():
        value = values.get(field, default)
        record[field] = norm_flag(req, field, value) if kind == "flag" else value
    if not record["ip"]:
        record["ip"] = default_ip(req.state, owner)
    return record


@func("emaildomain")
def f_emaildomain(req: Req) -> Doc:
    rows = []
    for dom in req.state.emaildomains.values():
        if visible(req, dom):
            rows.append(
                Row(
                    name=dom["name"],
                    owner=dom.get("owner", ""),
                    active=onoff(dom.get("active") == "on" and owner_active(req.state, dom.get("owner", ""))),
                    ip=dom.get("ip", ""),
                    dkim=dom.get("dkim", "off"),
                    defaction=dom.get("defaction", ""),
                    mailboxes=str(sum(1 for e in req.state.emails.values() if e.get("domain") == dom["name"])),
                )
            )
    return Doc.listing(rows)


@func("emaildomain.edit")
def f_emaildomain_edit(req: Req) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    if not req.sok:
        if elid:
            dom = find(req, "emaildomains", elid, "emaildomain")
            return Doc.form(
                [("elid", elid), ("name", elid), ("owner", dom.get("owner", ""))]
                + [(f, str(dom.get(f, ""))) for f in MAILDOMAIN_FIELDS]
            )
        return Doc.form([("name", ""), ("owner", "")] + [(f, d) for f, (_, d) in MAILDOMAIN_FIELDS.items()])
    values = {k: req.p(k) for k in MAILDOMAIN_FIELDS if req.has(k)}
    if elid:
        dom = find(req, "emaildomains", elid, "emaildomain")
        for field, value in values.items():
            dom[field] = norm_flag(req, field, value) if MAILDOMAIN_FIELDS[field][0] == "flag" else value
        state.touch("emaildomains", elid)
        return Doc.ok()
    name = norm_domain(req, "name", req.p("name"))
    owner = resolve_owner(req)
    if name in state.emaildomains:
        raise err_exists(req.lang, "emaildomain", name)
    check_limit(req, owner, "limit_emaildomains", "emaildomains")
    state.put("emaildomains", name, new_emaildomain(req, name, owner, values))
    return Doc.ok(name)


@func("emaildomain.delete")
def f_emaildomain_delete(req: Req) -> Doc:
    doms = find_all(req, "emaildomains", "emaildomain")
    for dom in doms:
        for addr in [a for a, box in req.state.emails.items() if box.get("domain") == dom["name"]]:
            req.state.remove("emails", addr)
        req.state.remove("emaildomains", dom["name"])
    return Doc.ok()


@func("emaildomain.suspend")
def f_emaildomain_suspend(req: Req) -> Doc:
    return group_set_active(req, "emaildomains", "emaildomain", "off")


@func("emaildomain.resume")
def f_emaildomain_resume(req: Req) -> Doc:
    return group_set_active(req, "emaildomains", "emaildomain", "on")


EMAIL_FIELDS: dict[str, tuple[str, str]] = {
    "note": ("str", ""),
    "forward": ("str", ""),
    "greylist": ("flag", "off"),
    "dontsave": ("flag", "off"),
    "spamassassin": ("flag", "off"),
}


def email_total(box: dict[str, Any]) -> str:
    return str(box.get("maxsize", ""))


@func("email")
def f_email(req: Req) -> Doc:
    rows = []
    state = req.state
    for addr, box in state.emails.items():
        if visible(req, box):
            dom = state.emaildomains.get(box.get("domain", ""), {})
            active = (
                box.get("active") == "on"
                and dom.get("active", "on") == "on"
                and owner_active(state, box.get("owner", ""))
            )
            rows.append(
                Row(
                    name=addr,
                    owner=box.get("owner", ""),
                    active=onoff(active),
                    size_used=str(box.get("size_used", "0")),
                    size_total=email_total(box),
                    forward=box.get("forward", ""),
                    note=box.get("note", ""),
                )
            )
    return Doc.listing(rows)


def check_maxsize(req: Req, owner: str, maxsize: str) -> str:
    user = req.state.users.get(owner, {})
    cap = parse_limit(user.get("limit_email_quota"))
    if maxsize and not NUMBER_RE.match(maxsize):
        raise err_value(req.lang, "maxsize", maxsize, "a number of MiB is expected")
    if cap is None:
        return maxsize
    if not maxsize:
        return str(cap)
    if float(maxsize) > cap:
        raise err_limit(req.lang, "limit_email_quota", cap)
    return maxsize


@func("email.edit")
def f_email_edit(req: Req) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    if not req.sok:
        if elid:
            box = find(req, "emails", elid, "email")
            local, _, domain = elid.partition("@")
            return Doc.form(
                [
                    ("elid", elid),
                    ("name", local),
                    ("domainname", domain),
                    ("passwd", box.get("passwd", "")),
                    ("maxsize", email_total(box)),
                ]
                + [(f, str(box.get(f, ""))) for f in EMAIL_FIELDS]
            )
        return Doc.form(
            [("name", ""), ("domainname", ""), ("passwd", ""), ("maxsize", "")]
            + [(f, d) for f, (_, d) in EMAIL_FIELDS.items()]
        )
    if elid:
        box = find(req, "emails", elid, "email")
        passwd = check_passwd(req, required=False)
        if passwd is not None:
            box["passwd"] = passwd
        if req.has("maxsize"):
            box["maxsize"] = check_maxsize(req, box["owner"], req.p("maxsize").strip())
        for field, (kind, _) in EMAIL_FIELDS.items():
            if req.has(field):
                box[field] = norm_flag(req, field, req.p(field)) if kind == "flag" else req.p(field)
        state.touch("emails", elid)
        return Doc.ok()
    local = req.required("name").lower()
    domain = req.p("domainname") or req.p("domain")
    if "@" in local:
        local, _, domain = local.partition("@")
    if not LOCALPART_RE.match(local):
        raise err_value(req.lang, "name", local)
    domain = norm_domain(req, "domainname", domain)
    dom = state.emaildomains.get(domain)
    if not visible(req, dom):
        raise err_missed(req.lang, "emaildomain", domain)
    assert dom is not None
    owner = dom["owner"]
    addr = f"{local}@{domain}"
    if addr in state.emails:
        raise err_exists(req.lang, "email", addr)
    check_limit(req, owner, "limit_emails", "emails")
    passwd = check_passwd(req)
    box = {
        "name": addr,
        "local": local,
        "domain": domain,
        "owner": owner,
        "passwd": passwd,
        "maxsize": check_maxsize(req, owner, req.p("maxsize").strip()),
        "size_used": "0",
        "active": "on",
    }
    for field, (kind, default) in EMAIL_FIELDS.items():
        value = req.p(field, default)
        box[field] = norm_flag(req, field, value) if kind == "flag" else value
    state.put("emails", addr, box)
    return Doc.ok(addr)


@func("email.delete")
def f_email_delete(req: Req) -> Doc:
    return group_delete(req, "emails", "email")


@func("email.suspend")
def f_email_suspend(req: Req) -> Doc:
    return group_set_active(req, "emails", "email", "off")


@func("email.resume")
def f_email_resume(req: Req) -> Doc:
    return group_set_active(req, "emails", "email", "on")


# ---------------------------------------------------------------------------
# databases


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


@func("db.server")
def f_db_server(req: Req) -> Doc:
    return Doc.listing([Row(name=name, type=t, host=h, remote="off") for name, (t, h) in DB_SERVERS.items()])


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
                ("server", "MySQL"),
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
    server = req.p("server").strip() or "MySQL"
    if server not in DB_SERVERS:
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
        "type": DB_SERVERS[server][0],
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
# FTP


@func("ftp.user")
def f_ftp_user(req: Req) -> Doc:
    rows = []
    for ftp in req.state.ftpusers.values():
        if visible(req, ftp):
            active = ftp.get("active") == "on" and owner_active(req.state, ftp.get("owner", ""))
            rows.append(
                Row(
                    name=ftp["name"],
                    owner=ftp.get("owner", ""),
                    home=ftp.get("home", "/"),
                    active=onoff(active),
                )
            )
    return Doc.listing(rows)


@func("ftp.user.edit")
def f_ftp_user_edit(req: Req) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    if not req.sok:
        if elid:
            ftp = find(req, "ftpusers", elid, "ftp_user")
            return Doc.form(
                [
                    ("elid", elid),
                    ("name", elid),
                    ("owner", ftp.get("owner", "")),
                    ("home", ftp.get("home", "/")),
                    ("active", ftp.get("active", "on")),
                ]
            )
        return Doc.form([("name", ""), ("owner", ""), ("home", "/")])
    if elid:
        ftp = find(req, "ftpusers", elid, "ftp_user")
        passwd = check_passwd(req, required=False)
        if passwd is not None:
            ftp["passwd"] = passwd
        if req.has("home"):
            ftp["home"] = req.p("home") or "/"
        state.touch("ftpusers", elid)
        return Doc.ok()
    name = req.required("name")
    if not FTPNAME_RE.match(name):
        raise err_value(req.lang, "name", name)
    owner = resolve_owner(req)
    if name in state.ftpusers:
        raise err_exists(req.lang, "ftp_user", name)
    check_limit(req, owner, "limit_ftp_users", "ftpusers")
    passwd = check_passwd(req)
    state.put(
        "ftpusers",
        name,
        {
            "name": name,
            "owner": owner,
            "home": req.p("home") or "/",
            "passwd": passwd,
            "active": "on",
        },
    )
    return Doc.ok(name)


@func("ftp.user.delete")
def f_ftp_user_delete(req: Req) -> Doc:
    return group_delete(req, "ftpusers", "ftp_user")


@func("ftp.user.suspend")
def f_ftp_user_suspend(req: Req) -> Doc:
    return group_set_active(req, "ftpusers", "ftp_user", "off")


@func("ftp.user.resume")
def f_ftp_user_resume(req: Req) -> Doc:
    return group_set_active(req, "ftpusers", "ftp_user", "on")


# ---------------------------------------------------------------------------
# IP addresses


@func("ipaddr", "ipaddrlist")
def f_ipaddr(req: Req) -> Doc:
    rows = []
    for ip, rec in req.state.ipaddrs.items():
        if req.actor.admin or rec.get("owner") == req.actor.name or rec.get("iprole") == "shared":
            rows.append(
                Row(
                    name=ip,
                    family=rec.get("family", "ipv4"),
                    iprole=rec.get("iprole", "shared"),
                    owner=rec.get("owner", ""),
                )
            )
    return Doc.listing(rows)


@func("ipaddr.edit", "ipaddrlist.edit", admin=True)
def f_ipaddr_edit(req: Req) -> Doc:
    state = req.state
    elid = req.p("elid").strip()
    if not req.sok:
        if elid:
            rec = find(req, "ipaddrs", elid, "ipaddr")
            return Doc.form(
                [
                    ("elid", elid),
                    ("name", elid),
                    ("iprole", rec.get("iprole", "")),
                    ("owner", rec.get("owner", "")),
                    ("family", rec.get("family", "")),
                ]
            )
        return Doc.form([("name", ""), ("iprole", "assigned"), ("iptype", "ipv4"), ("owner", "")])
    if elid:
        rec = find(req, "ipaddrs", elid, "ipaddr")
        if req.has("owner"):
            owner = req.p("owner").strip()
            if owner and owner not in state.users:
                raise err_missed(req.lang, "user", owner)
            rec["owner"] = owner
        if req.has("iprole"):
            rec["iprole"] = req.p("iprole")
        state.touch("ipaddrs", elid)
        return Doc.ok(elid)
    role = req.p("iprole") or "assigned"
    owner = req.p("owner").strip()
    if owner and owner not in state.users:
        raise err_missed(req.lang, "user", owner)
    family = "ipv6" if req.p("iptype") == "ipv6" else "ipv4"
    ip = allocate_ip(req, owner, family, req.p("name").strip())
    state.ipaddrs[ip]["iprole"] = role
    return Doc.ok(ip)


@func("ipaddr.free", "ipaddrlist.free", admin=True)
def f_ipaddr_free(req: Req) -> Doc:
    for rec in find_all(req, "ipaddrs", "ipaddr"):
        if rec.get("iprole") != "shared":
            req.state.remove("ipaddrs", rec["name"])
    return Doc.ok()


@func("ipaddr.delete", "ipaddrlist.delete", admin=True)
def f_ipaddr_delete(req: Req) -> Doc:
    return group_delete(req, "ipaddrs", "ipaddr")


# ---------------------------------------------------------------------------
# emulator-only functions (not part of the real panel)


@func("emulator.usage.set", real_admin=True)
def f_emulator_usage_set(req: Req) -> Doc:
    """Set usage figures: elid/user + quota_used/traff_used; db + db_size; email + email_size."""
    state = req.state
    changed = False
    user_name = (req.p("elid") or req.p("user")).strip()
    if user_name:
        user = find(req, "users", user_name, "user")
        for field in ("quota_used", "traff_used"):
            if req.has(field):
                value = req.p(field).strip()
                if not NUMBER_RE.match(value):
                    raise err_value(req.lang, field, value, "a number of MiB is expected")
                user.setdefault("usage", {})[field] = value
                changed = True
        state.touch("users", user_name)
    if req.p("db").strip():
        db = db_lookup(req, req.p("db").strip())
        value = (req.p("db_size") or req.p("size")).strip()
        if not NUMBER_RE.match(value):
            raise err_value(req.lang, "db_size", value, "a number of MiB is expected")
        db["size"] = value
        state.touch("dbs", db["key"])
        changed = True
    if req.p("email").strip():
        box = find(req, "emails", req.p("email").strip(), "email")
        value = (req.p("email_size") or req.p("size")).strip()
        if not NUMBER_RE.match(value):
            raise err_value(req.lang, "email_size", value, "a number of MiB is expected")
        box["size_used"] = value
        state.touch("emails", box["name"])
        changed = True
    if not changed:
        raise err_missed(req.lang, "quota_used")
    return Doc.ok()


@func("emulator.faults", real_admin=True)
def f_emulator_faults(req: Req) -> Doc:
    rows = []
    for rule in req.app.faults.describe():
        rows.append(
            Row({k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in rule.items()})
        )
    return Doc.listing(rows, key="target")


FAULT_PARAMS = (
    "latency_ms",
    "latency",
    "fail_rate",
    "fail_kind",
    "auth_broken",
    "commit_then_fail",
    "times",
)


@func("emulator.faults.set", real_admin=True)
def f_emulator_faults_set(req: Req) -> Doc:
    faults = req.app.faults
    target = req.p("target").strip() or "*"
    settings = {k: req.p(k) for k in FAULT_PARAMS if req.has(k)}
    if "fail_kind" in settings and settings["fail_kind"] not in FAIL_KINDS:
        raise err_value(req.lang, "fail_kind", settings["fail_kind"], "500 or drop")
    if req.has("seed"):
        seed = req.p("seed").strip()
        faults.reseed(int(seed) if seed else None)
    if settings:
        try:
            faults.set(target, **settings)
        except ValueError as exc:
            raise err_value(req.lang, "target", target, str(exc)) from exc
    return Doc.ok(target)


@func("emulator.faults.clear", real_admin=True)
def f_emulator_faults_clear(req: Req) -> Doc:
    target = req.p("target").strip()
    req.app.faults.clear(target or None)
    return Doc.ok()


@func("emulator.reset", real_admin=True)
def f_emulator_reset(req: Req) -> Doc:
    req.state.reset()
    return Doc.ok()


@func("emulator.time.advance", real_admin=True)
def f_emulator_time_advance(req: Req) -> Doc:
    value = req.required("seconds")
    try:
        req.state.advance_time(float(value))
    except ValueError as exc:
        raise err_value(req.lang, "seconds", value) from exc
    return Doc.ok()


def supported_functions() -> list[str]:
    return sorted(HANDLERS)
