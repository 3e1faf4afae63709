"""DNS: zones (`domain`, `domain.edit`, `domain.delete`) and their records."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..common import (
    check_limit,
    default_ip,
    find,
    group_delete,
    norm_domain,
    onoff,
    owner_active,
    resolve_owner,
    visible,
)
from ..dispatch import func
from ..errors import err_exists, err_missed, err_value
from ..render import Doc, Loc, Row
from ..request import Req

RECORD_TYPES = ("a", "aaaa", "cname", "mx", "txt", "ns", "srv", "caa", "ptr")


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


def zone_records(name: str, ip: str, ns_list: list[str], mx: str, ttl: str) -> list[dict[str, Any]]:
    """The records a new zone starts with: NS, A/AAAA for the zone, www and mail, and MX."""
    a_type = "aaaa" if ":" in ip else "a"
    records: list[dict[str, Any]] = [
        {"name": f"{name}.", "rtype": "ns", "value": ns if ns.endswith(".") else ns + ".", "ttl": ttl} for ns in ns_list
    ]
    records += [
        {"name": f"{name}.", "rtype": a_type, "value": ip, "ttl": ttl},
        {"name": f"www.{name}.", "rtype": a_type, "value": ip, "ttl": ttl},
        {"name": f"mail.{name}.", "rtype": a_type, "value": ip, "ttl": ttl},
        {"name": f"{name}.", "rtype": "mx", "value": mx if mx.endswith(".") else mx + ".", "prio": "10", "ttl": ttl},
    ]
    return records


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
    zone["records"] = zone_records(name, ip, ns_list, mx, ttl)
    state.put("domains", name, zone)
    return Doc.ok(name)


@func("domain.delete")
def f_domain_delete(req: Req) -> Doc:
    return group_delete(req, "domains", "domain")


def zone_for(req: Req) -> dict[str, Any]:
    zone_name = (req.p("plid") or "").strip().rstrip(".")
    if not zone_name:
        zone_name = req.p("elid").strip().rstrip(".") if req.func in ("domain.record", "domain.sublist") else ""
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


@func("domain.record", versions=(6,))
@func("domain.sublist", versions=(5,))
def f_domain_record(req: Req) -> Doc:
    zone = zone_for(req)
    return Doc.listing([record_row(r) for r in zone["records"]], key="rkey")


def find_record(req: Req, zone: dict[str, Any], key: str) -> dict[str, Any]:
    records: list[dict[str, Any]] = zone["records"]
    for rec in records:
        if rkey(rec) == key:
            return rec
    raise err_missed(req.lang, "record", key)


@func("domain.record.edit", versions=(6,))
@func("domain.sublist.edit", versions=(5,))
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


@func("domain.record.delete", versions=(6,))
@func("domain.sublist.delete", versions=(5,))
def f_domain_record_delete(req: Req) -> Doc:
    zone = zone_for(req)
    keys = req.elids()
    if not keys:
        raise err_missed(req.lang, "elid")
    doomed = [find_record(req, zone, k) for k in keys]
    zone["records"] = [r for r in zone["records"] if all(r is not d for d in doomed)]
    req.state.touch("domains", zone["name"])
    return Doc.ok()
