"""Emulator-only control functions (not part of the real panel): usage, faults, reset, clock."""

from __future__ import annotations

from ..common import NUMBER_RE, find
from ..dispatch import func
from ..errors import err_missed, err_value
from ..faults import FAIL_KINDS
from ..render import Doc, Row
from ..request import Req
from .databases import db_lookup


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
