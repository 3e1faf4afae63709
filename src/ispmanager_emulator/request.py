"""One API request: its parameters, language and acting account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import err_missed

if TYPE_CHECKING:
    from .app import Emulator

ADMIN_LEVEL = "29"
USER_LEVEL = "16"
RESELLER_LEVEL = "24"
SECRET_PARAMS = frozenset({"authinfo", "auth", "password", "passwd", "confirm"})
# not echoed in ``tparams``: the secrets, and ``username`` (a real session.newkey reply echoes
# func, key and out but not the username it was sent)
NOT_ECHOED = SECRET_PARAMS | {"username"}
FORMATS = frozenset({"xml", "devel", "json", "sjson", "JSONdata", "text"})


class Actor:
    __slots__ = ("name", "admin", "level", "real", "via_su")

    def __init__(self, name: str, admin: bool, real: str, via_su: bool = False) -> None:
        self.name = name
        self.admin = admin
        self.level = ADMIN_LEVEL if admin else USER_LEVEL
        self.real = real
        self.via_su = via_su


class Req:
    __slots__ = ("params", "func", "lang", "actor", "remote", "state", "app", "browser", "headers")

    def __init__(self, app: Emulator, params: dict[str, str], func: str, lang: str, remote: str) -> None:
        self.app = app
        self.state = app.state
        self.params = params
        self.func = func
        self.lang = lang
        self.remote = remote
        self.actor: Actor = Actor("", False, "")
        self.browser = False
        self.headers: list[tuple[str, str]] = []

    def p(self, name: str, default: str = "") -> str:
        return self.params.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.params

    @property
    def sok(self) -> bool:
        return bool(self.params.get("sok"))

    def elids(self) -> list[str]:
        raw = self.params.get("elid", "")
        return [part.strip() for part in raw.split(", ") if part.strip()]

    def required(self, name: str) -> str:
        value = self.params.get(name, "").strip()
        if not value:
            raise err_missed(self.lang, name)
        return value
