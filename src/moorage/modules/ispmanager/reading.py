"""Reconciliation's readings of an ispmanager panel: an account's package (preset and limits) against
what billing asks, and writing billing's ownership marker on an account staff adopt.

Plain functions taking the module as `self`, so the module class binds them as methods:
`package_differences = reading.package_differences` and `claim_account = reading.claim_account`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moorage.modules.ispmanager.client import flat
from moorage.modules.ispmanager.fields import INT_PARAMS, add_limits, panel_overrides
from moorage.modules.ispmanager.module import IspManagerModule, marker_comment
from moorage.provisioning.interface import OURS, PERMANENT, Connection, ModuleError


def _same(name: str, wanted: str, found: str) -> bool:
    if name in INT_PARAMS:
        try:
            return int(wanted) == int(found)
        except (TypeError, ValueError):
            return str(wanted).strip() == str(found).strip()
    if wanted in ("on", "off"):
        return (found == "on") == (wanted == "on")
    return str(wanted).strip() == str(found).strip()


def package_differences(
    self: IspManagerModule, conn: Connection, wanted: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, tuple[str, str]]]:
    """One `user` list, one `preset.edit` per preset asked and one `user.edit` form per account: the
    settings a change of package would send (preset, its limits, the overrides, the additions) that
    the account does not hold now."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    presets: dict[str, dict[str, str]] = {}
    with self._client(conn) as c:
        listed = {row.get("name") for row in c.rows("user")}
        for username, options in wanted.items():
            if username not in listed:
                continue
            form = flat(c.call("user.edit", {"elid": username}))
            if form.get("name") != username:
                continue  # not the account's own form: nothing can be read
            preset = str(options.get("preset") or "")
            params: dict[str, Any] = {}
            if preset:
                if preset not in presets:
                    presets[preset] = self._preset_limits(c, preset)
                params["preset"] = preset
                params.update(presets[preset])
            params.update(panel_overrides(options))
            add_limits(params, options)
            diffs = {}
            for name, value in params.items():
                found = str(form.get(name, ""))
                if not _same(name, str(value), found):
                    diffs[name] = (str(value), found)
            out[username] = diffs
    return out


def claim_account(self: IspManagerModule, conn: Connection, username: str, marker: str) -> None:
    """Add `moorage:<marker>` to the account's comment (other notes stay), then prove it reads back."""
    if not marker:
        raise ModuleError("no ownership marker to write", kind=PERMANENT, panel_type="value")
    with self._client(conn) as c:
        if self._user_row(c, username) is None:
            raise ModuleError(
                f"the account {username} is not on the panel", kind=PERMANENT, panel_type="missed", panel_object="user"
            )
        form = flat(c.call("user.edit", {"elid": username}))
        if form.get("name") != username:
            raise ModuleError(f"the panel did not show the form of {username}", kind=PERMANENT, panel_type="missed")
        comment = str(form.get("comment", ""))
        if marker_comment(marker) not in comment:
            comment = f"{comment} {marker_comment(marker)}".strip()
            c.call("user.edit", {"sok": "ok", "elid": username, "comment": comment}, mutating=True)
        if self._ownership(c, username, marker) != OURS:
            raise ModuleError(
                f"the ownership marker of {username} did not read back; the panel may not keep comments",
                kind=PERMANENT,
                panel_type="value",
            )
