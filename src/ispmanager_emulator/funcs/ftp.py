"""FTP users: `ftp.user` and its edit, delete, suspend and resume."""

from __future__ import annotations

from ..common import (
    FTPNAME_RE,
    check_limit,
    check_passwd,
    find,
    group_delete,
    group_set_active,
    onoff,
    owner_active,
    resolve_owner,
    visible,
)
from ..dispatch import func
from ..errors import err_exists, err_value
from ..render import Doc, Row
from ..request import Req


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
