"""IP addresses: `ipaddr` / `ipaddrlist` and their edit, free and delete."""

from __future__ import annotations

from ..common import allocate_ip, find, find_all, group_delete
from ..dispatch import func
from ..errors import err_missed
from ..render import Doc, Row
from ..request import Req


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
