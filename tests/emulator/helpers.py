"""Shared helpers for the emulator tests."""

from __future__ import annotations

from typing import Any

import httpx

ADMIN = ("root", "s3cret-pw")
AUTHINFO = f"{ADMIN[0]}:{ADMIN[1]}"
FORMATS = ("xml", "json", "sjson", "JSONdata", "text")


class Api:
    """Thin helper: POST a call as admin (authinfo) and decode json/sjson."""

    def __init__(self, client: httpx.Client, path: str = "/ispmgr") -> None:
        self.client = client
        self.path = path

    def raw(
        self,
        func: str,
        out: str = "sjson",
        auth: dict[str, str] | None = None,
        method: str = "POST",
        **params: Any,
    ) -> httpx.Response:
        data = {"func": func, "out": out, **(auth if auth is not None else {"authinfo": AUTHINFO})}
        data.update({k: str(v) for k, v in params.items()})
        if method == "GET":
            return self.client.get(self.path, params=data)
        return self.client.post(self.path, data=data)

    def __call__(self, func: str, out: str = "sjson", auth: dict[str, str] | None = None, **params: Any) -> Any:
        resp = self.raw(func, out, auth, **params)
        assert resp.status_code == 200, resp.text
        if out in ("json", "sjson", "JSONdata"):
            return resp.json()
        return resp.text

    def ok(self, func: str, auth: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        doc = self(func, "sjson", auth, **params)["doc"]
        assert "error" not in doc, doc.get("error")
        assert doc["ok"] == {}
        return doc

    def error(self, func: str, auth: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        doc = self(func, "sjson", auth, **params)["doc"]
        assert "error" in doc, doc
        return doc["error"]

    def elems(self, func: str, auth: dict[str, str] | None = None, **params: Any) -> list[dict[str, Any]]:
        doc = self(func, "sjson", auth, **params)["doc"]
        assert "error" not in doc, doc.get("error")
        return doc.get("elem", [])


def val(node: Any) -> str:
    """The scalar of a json/sjson field: {"$": v} -> v, {} -> ""."""
    return node.get("$", "") if isinstance(node, dict) else node


def flat(elem: dict[str, Any]) -> dict[str, str]:
    return {k: val(v) for k, v in elem.items()}
