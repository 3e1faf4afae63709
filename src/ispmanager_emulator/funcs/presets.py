"""Templates (presets): `preset`, `preset.edit`, `preset.delete`."""

from __future__ import annotations

from typing import Any

from ..common import PRESET_RE, find, find_all, limit_params
from ..dispatch import func
from ..errors import err_exists, err_value
from ..limits import default_limits, is_limit_param
from ..render import Doc, Row
from ..request import ADMIN_LEVEL, RESELLER_LEVEL, USER_LEVEL, Req


def preset_row(preset: dict[str, Any]) -> Row:
    row = Row(name=preset["name"], level=preset.get("level", USER_LEVEL))
    for k, v in preset.items():
        if is_limit_param(k):
            row[k] = v
    return row


# a template is for users (16), resellers (24) or administrators (29)
PRESET_LEVELS = {USER_LEVEL: "user", RESELLER_LEVEL: "reseller", ADMIN_LEVEL: "admin"}


def preset_level(req: Req) -> str:
    level = req.p("level").strip() or USER_LEVEL
    if level not in PRESET_LEVELS:
        raise err_value(req.lang, "level", level, "16 (user), 24 (reseller) or 29 (admin)")
    return level


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
        preset = {"name": name, "level": preset_level(req)}
        preset.update(default_limits())
        preset.update(limit_params(req))
        state.put("presets", name, preset)
        return Doc.ok(name)
    preset = find(req, "presets", elid, "preset")
    if req.has("name") and req.p("name").strip() not in ("", elid):
        raise err_value(req.lang, "name", req.p("name"), "a template cannot be renamed")
    preset.update(limit_params(req))
    if req.has("level"):
        preset["level"] = preset_level(req)
    state.touch("presets", elid)
    return Doc.ok()


@func("preset.delete", admin=True)
def f_preset_delete(req: Req) -> Doc:
    for preset in find_all(req, "presets", "preset"):
        req.state.remove("presets", preset["name"])
    return Doc.ok()
