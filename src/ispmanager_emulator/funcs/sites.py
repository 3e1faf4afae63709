"""Websites: `webdomain` (+ suspend/resume/delete), `webdomain.edit` (v5) and `site.edit` (v6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..common import (
    check_limit,
    default_ip,
    group_delete,
    group_set_active,
    norm_domain,
    norm_flag,
    now_str,
    onoff,
    owner_active,
    resolve_owner,
    visible,
)
from ..dispatch import func
from ..edit import EditSpec, edit
from ..errors import err_exists, err_missed, err_unknown_func, err_value, is_ru
from ..render import Doc, Loc, Row
from ..request import Req

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


def webdomain_row(req: Req, site: dict[str, Any]) -> Row:
    owner = site.get("owner", "")
    php_on = site.get("php") == "on" and site.get("php_mode") != "php_mode_none"
    version_text, php_path = PHP_VERSIONS.get(
        site.get("php_version", "native"),
        (site.get("php_version", ""), f"/opt/{site.get('php_version')}/bin/php"),
    )
    mode_label = PHP_MODES.get(site.get("php_mode", ""), "")
    ru = is_ru(req.lang)
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


def site_head(prefix: str) -> Callable[[Req, dict[str, Any] | None], list[tuple[str, Any]]]:
    def head(req: Req, site: dict[str, Any] | None) -> list[tuple[str, Any]]:
        if site is None:
            owner = req.actor.name if not req.actor.admin else ""
            return [
                (prefix + "name", ""),
                (prefix + "owner", owner),
                (prefix + "ipaddrs", default_ip(req.state, req.actor.name)),
            ]
        return [
            ("elid", site["name"]),
            (prefix + "name", site["name"]),
            (prefix + "owner", site.get("owner", "")),
            (prefix + "ipaddrs", site.get("ipaddr", "")),
        ]

    return head


def site_creator(prefix: str) -> Callable[[Req], str]:
    def create(req: Req) -> str:
        if not prefix and req.app.version >= 6:
            # ispmanager 6 still lists and changes sites through webdomain.edit, but creates them
            # with site.edit only
            raise err_unknown_func(req.lang, req.func)
        state = req.state
        values = site_params(req)
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
        return name

    return create


def site_update(req: Req, site: dict[str, Any], values: dict[str, str]) -> None:
    values.pop("name", None)
    values.pop("owner", None)
    ip = values.pop("ipaddr", None)
    if ip is not None and ip.strip():
        site["ipaddr"] = ip.split()[0]


def site_check(req: Req, site: dict[str, Any]) -> None:
    if site.get("php_mode") not in PHP_MODES:
        raise err_value(req.lang, "php_mode", site.get("php_mode", ""))


def site_spec(prefix: str) -> EditSpec:
    return EditSpec(
        "webdomains",
        "webdomain",
        SITE_FIELDS,
        head=site_head(prefix),
        create=site_creator(prefix),
        collect=site_params,
        update=site_update,
        check=site_check,
        prefix=prefix,
    )


WEBDOMAIN_EDIT = site_spec("")
SITE_EDIT = site_spec("site_")


@func("webdomain.edit")
def f_webdomain_edit(req: Req) -> Doc:
    return edit(req, WEBDOMAIN_EDIT)


@func("site.edit", versions=(6,))
def f_site_edit(req: Req) -> Doc:
    return edit(req, SITE_EDIT)


@func("webdomain.suspend")
def f_webdomain_suspend(req: Req) -> Doc:
    return group_set_active(req, "webdomains", "webdomain", "off")


@func("webdomain.resume")
def f_webdomain_resume(req: Req) -> Doc:
    return group_set_active(req, "webdomains", "webdomain", "on")


@func("webdomain.delete")
@func("site.delete", versions=(6,))
def f_webdomain_delete(req: Req) -> Doc:
    return group_delete(req, "webdomains", "webdomain")
