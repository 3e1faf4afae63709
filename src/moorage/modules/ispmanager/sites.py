"""The client's website and DNS zone, and which panel generation (5 or 6) makes websites how.

ispmanager 6 creates a website with `site.edit` (fields `site_name`, `site_owner`, `site_aliases` …),
ispmanager 5 only with `webdomain.edit` (`name`, `owner`, `email`, `ip`, `aliases`). Both list
websites with `webdomain`.
"""

from __future__ import annotations

import re
from typing import Any

from moorage.modules.ispmanager.client import TRANSPORT_TYPES, IspManagerClient, flat
from moorage.provisioning.interface import PERMANENT, AccountSpec, Connection, ModuleError

GENERATIONS = ("5", "6")
_VERSION = re.compile(r"^\s*v?(\d+)")
_NAMED = re.compile(r"\b(?:ispmanager|isp\s*manager)\s*(\d)\b", re.IGNORECASE)
# Answers of a panel that has no such function (ispmanager 5 asked for `site.edit`).
NO_FUNCTION = {"missed", "unknown", "xml"}


def generation_of(info: dict[str, str]) -> str:
    """The generation named in `license.info` (its `version`, else its `panel_name`), or ""."""
    match = _VERSION.match(info.get("version", ""))
    if match and match.group(1) in GENERATIONS:
        return match.group(1)
    for field in ("panel_name", "mgr", "name"):
        match = _NAMED.search(info.get(field, ""))
        if match and match.group(1) in GENERATIONS:
            return match.group(1)
    return ""


def detect_generation(c: IspManagerClient) -> str:
    """Ask the panel which generation it is: `license.info`, else whether `site.edit` exists."""
    try:
        info = flat(c.call("license.info"))
    except ModuleError as exc:
        if exc.panel_type in TRANSPORT_TYPES:
            raise
        info = {}
    found = generation_of(info)
    if found:
        return found
    try:
        c.call("site.edit")  # the empty "new website" form: only ispmanager 6 has it
    except ModuleError as exc:
        if exc.panel_type in NO_FUNCTION:
            return "5"
        raise
    return "6"


def generation(c: IspManagerClient, conn: Connection) -> str:
    """The connection's stored generation, else the panel's answer (asked once per client)."""
    if not c.generation:
        c.generation = conn.generation if conn.generation in GENERATIONS else detect_generation(c)
    return c.generation


def check_domain_free(c: IspManagerClient, conn: Connection, spec: AccountSpec) -> None:
    """Refuse (PERMANENT) when the client's website or DNS zone is on the panel under another owner."""
    owned_by(c, "webdomain", spec.domain, spec.username, "website")
    if conn.nameservers:
        owned_by(c, "domain", spec.domain, spec.username, "DNS zone")


def ensure_site(c: IspManagerClient, conn: Connection, spec: AccountSpec) -> None:
    """The client's website and DNS zone; one already there counts as made only if the account owns it
    (a retry after a lost reply); under another owner it is a failure."""
    domain = spec.domain
    ip = str(spec.options.get("domain_ip") or conn.ip_address or "")
    if generation(c, conn) == "5":
        func, params = "webdomain.edit", _v5_site(spec)
    else:
        func = "site.edit"
        params = {
            "sok": "ok",
            "su": spec.username,
            "site_name": domain,
            "site_owner": spec.username,
            "site_aliases": f"www.{domain}",
        }
    create_or_confirm(c, func, ("webdomain", "website", spec.username), params)
    if conn.nameservers:
        ns = " ".join(f"{name.rstrip('.')}." for name, _ip in conn.nameservers)
        create_or_confirm(
            c,
            "domain.edit",
            ("domain", "DNS zone", spec.username),
            {"sok": "ok", "name": domain, "ip": ip or None, "ns": ns, "owner": spec.username, "dtype": "master"},
        )


def _v5_site(spec: AccountSpec) -> dict[str, Any]:
    """`webdomain.edit` of ispmanager 5, made by the administrator for the account (`owner`). The IP is
    sent only when the product names one (the panel's default otherwise)."""
    return {
        "sok": "ok",
        "name": spec.domain,
        "owner": spec.username,
        "email": spec.email or None,
        "aliases": f"www.{spec.domain}",
        "ip": str(spec.options.get("domain_ip") or "") or None,
    }


def owned_by(c: IspManagerClient, list_func: str, name: str, owner: str, what: str) -> bool:
    """Whether `name` is in the panel's `list_func` list (False if not); raise PERMANENT when its owner
    is not `owner`. The owner column is `owner` for websites and `user` for DNS zones."""
    for row in c.rows(list_func):
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


def create_or_confirm(c: IspManagerClient, func: str, owned: tuple[str, str, str], params: dict[str, Any]) -> None:
    """Create an object; an `exists` answer is success only if the list shows it under our account."""
    list_func, what, owner = owned
    try:
        c.commit(func, params)
    except ModuleError as exc:
        if exc.panel_type != "exists":
            raise
        name = str(params.get("site_name") or params.get("name") or "")
        if not owned_by(c, list_func, name, owner, what):
            raise
