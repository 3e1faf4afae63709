"""The ispmanager module on its own: an emulator over real HTTP (no database needed), a transport that
notes what the module sends, and a small paging panel for the list loop."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from ispmanager_emulator import EmulatorServer
from moorage.modules.ispmanager.module import IspManagerModule
from moorage.provisioning.interface import Connection

ADMIN = ("root", "s3cret-root")


def emulator_versions() -> list[str]:
    """The generations the emulator can play ("--version 5/6"), or only its default when it has none."""
    return ["5", "6"] if "version" in inspect.signature(EmulatorServer.__init__).parameters else ["6"]


class Spy(httpx.BaseTransport):
    """Passes requests to the real transport and keeps each one's form parameters."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport(retries=0)
        self.sent: list[dict[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(dict(parse_qsl(request.content.decode(), keep_blank_values=True)))
        return self.inner.handle_request(request)

    def funcs(self) -> list[str]:
        return [p["func"] for p in self.sent]

    def of(self, func: str) -> list[dict[str, str]]:
        return [p for p in self.sent if p["func"] == func]


def start_panel(version: str | None = None, **kwargs: Any) -> EmulatorServer:
    if version is not None and version in emulator_versions() and len(emulator_versions()) > 1:
        kwargs["version"] = int(version)
    server = EmulatorServer(port=0, admin=ADMIN, **kwargs).start()
    server.call("preset.edit", sok="ok", name="basic", limit_db=2, limit_webdomains=3, limit_quota=1024)
    server.call("preset.edit", sok="ok", name="unlimited", limit_db="", limit_webdomains="", limit_quota="")
    return server


@pytest.fixture(params=emulator_versions(), ids=lambda v: f"ispmanager{v}")
def panel(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    server = start_panel(request.param)
    server.generation = request.param  # type: ignore[attr-defined]
    yield server
    server.stop()


def connection(panel: EmulatorServer, **fields: Any) -> Connection:
    values: dict[str, Any] = {
        "url": panel.url,
        "username": ADMIN[0],
        "password": ADMIN[1],
        "ip_address": "127.0.0.1",
        "generation": getattr(panel, "generation", ""),
    }
    values.update(fields)
    return Connection(**values)


@pytest.fixture
def spy() -> Spy:
    return Spy()


@pytest.fixture
def module(spy: Spy) -> IspManagerModule:
    return IspManagerModule(transport=spy)


class PagingPanel(httpx.BaseTransport):
    """Answers list functions like a real panel: `p_cnt` rows of page `p_num`, with `p_elems`."""

    def __init__(self, lists: dict[str, list[dict[str, str]]], *, count: bool = True, honour_page: bool = True):
        self.lists = lists
        self.count = count
        self.honour_page = honour_page
        self.sent: list[dict[str, str]] = []
        self.answer: Callable[[dict[str, str]], dict[str, Any] | None] = lambda params: None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        params = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        self.sent.append(params)
        special = self.answer(params)
        if special is not None:
            return httpx.Response(200, json={"doc": special})
        rows = self.lists.get(params["func"], [])
        size = int(params.get("p_cnt") or 1000)
        page = int(params.get("p_num") or 1) if self.honour_page else 1
        chunk = rows[(page - 1) * size : page * size]
        doc: dict[str, Any] = {"p_cnt": {"$": str(size)}, "p_num": {"$": str(page)}}
        if self.count:
            doc["p_elems"] = {"$": str(len(rows))}
        if chunk:
            doc["elem"] = [{k: {"$": v} for k, v in row.items()} for row in chunk]
        return httpx.Response(200, json={"doc": doc})


FAKE = Connection(url="https://panel.example.net:1500/ispmgr", username="root", password="pw", generation="6")
