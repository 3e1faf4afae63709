"""Mail: `emaildomain` and `email` with their edit, delete, suspend and resume."""

from __future__ import annotations

from typing import Any

from ..common import (
    LOCALPART_RE,
    NUMBER_RE,
    check_limit,
    check_passwd,
    default_ip,
    find_all,
    group_delete,
    group_set_active,
    norm_domain,
    onoff,
    owner_active,
    resolve_owner,
    visible,
)
from ..dispatch import func
from ..edit import EditSpec, edit, fill_fields, sent_fields
from ..errors import err_exists, err_limit, err_missed, err_value
from ..limits import parse_limit
from ..render import Doc, Row
from ..request import Req

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
    record.update(fill_fields(req, MAILDOMAIN_FIELDS, values))
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


def emaildomain_head(req: Req, dom: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if dom is None:
        return [("name", ""), ("owner", "")]
    return [("elid", dom["name"]), ("name", dom["name"]), ("owner", dom.get("owner", ""))]


def create_emaildomain(req: Req) -> str:
    state = req.state
    name = norm_domain(req, "name", req.p("name"))
    owner = resolve_owner(req)
    if name in state.emaildomains:
        raise err_exists(req.lang, "emaildomain", name)
    check_limit(req, owner, "limit_emaildomains", "emaildomains")
    values = sent_fields(req, MAILDOMAIN_FIELDS)
    state.put("emaildomains", name, new_emaildomain(req, name, owner, values))
    return name


EMAILDOMAIN_EDIT = EditSpec(
    "emaildomains", "emaildomain", MAILDOMAIN_FIELDS, head=emaildomain_head, create=create_emaildomain
)


@func("emaildomain.edit")
def f_emaildomain_edit(req: Req) -> Doc:
    return edit(req, EMAILDOMAIN_EDIT)


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
    """A mailbox size in MiB; ``0`` means unlimited, which a user with a mailbox size limit
    cannot have; empty means the user's limit (or unlimited without one)."""
    user = req.state.users.get(owner, {})
    cap = parse_limit(user.get("limit_email_quota"))
    if maxsize and not NUMBER_RE.match(maxsize):
        raise err_value(req.lang, "maxsize", maxsize, "a number of MiB is expected")
    if cap is None:
        return maxsize or "0"
    if not maxsize:
        return str(cap)
    if float(maxsize) == 0 or float(maxsize) > cap:
        raise err_limit(req.lang, "limit_email_quota", cap)
    return maxsize


def email_head(req: Req, box: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if box is None:
        return [("name", ""), ("domainname", ""), ("passwd", ""), ("maxsize", "")]
    local, _, domain = box["name"].partition("@")
    return [
        ("elid", box["name"]),
        ("name", local),
        ("domainname", domain),
        ("passwd", box.get("passwd", "")),
        ("maxsize", email_total(box)),
    ]


def create_email(req: Req) -> str:
    state = req.state
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
    box.update(fill_fields(req, EMAIL_FIELDS, sent_fields(req, EMAIL_FIELDS)))
    state.put("emails", addr, box)
    return addr


def update_email(req: Req, box: dict[str, Any], values: dict[str, str]) -> None:
    passwd = check_passwd(req, required=False)
    if passwd is not None:
        box["passwd"] = passwd
    if req.has("maxsize"):
        box["maxsize"] = check_maxsize(req, box["owner"], req.p("maxsize").strip())


EMAIL_EDIT = EditSpec("emails", "email", EMAIL_FIELDS, head=email_head, create=create_email, update=update_email)


@func("email.edit")
def f_email_edit(req: Req) -> Doc:
    return edit(req, EMAIL_EDIT)


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
