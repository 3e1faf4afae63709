"""Value checks and lookups shared by the function modules."""

from __future__ import annotations

import ipaddress
import re
import time
from typing import Any

from .errors import err_exists, err_limit, err_missed, err_value
from .limits import COUNT, FLAG, LIMIT_KIND, NUM, SIZE, is_limit_param, parse_limit
from .render import Doc
from .request import Req
from .state import SHARED_IP, State

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
PRESET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@ -]{0,63}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")
LOCALPART_RE = re.compile(r"^[a-z0-9._+-]{1,64}$")
DBNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
FTPNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
PARAM_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
NUMBER_RE = re.compile(r"^\d+(\.\d+)?$")


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


def default_ip(state: State, owner: str) -> str:
    for ip, rec in state.ipaddrs.items():
        if rec.get("owner") == owner and rec.get("family") == "ipv4":
            return ip
    return SHARED_IP


def group_set_active(req: Req, coll: str, obj: str, active: str) -> Doc:
    for rec in find_all(req, coll, obj):
        rec["active"] = active
        req.state.touch(coll, rec["name"])
    return Doc.ok()


def group_delete(req: Req, coll: str, obj: str) -> Doc:
    for rec in find_all(req, coll, obj):
        req.state.remove(coll, rec.get("key") or rec["name"])
    return Doc.ok()
