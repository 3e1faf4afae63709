"""The emulated panel: :meth:`Emulator.handle` turns request parameters into a response.

It takes the request parameters (query string and form body merged) and returns a
:class:`~ispmanager_emulator.render.Doc` plus the rendering context. Authentication and
dispatch live in :mod:`.dispatch`, the request object in :mod:`.request`, errors in
:mod:`.errors`, and every panel function in a module of :mod:`.funcs` per topic.
Transport concerns (HTTP, TLS, faults that drop replies) live in :mod:`.server`.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import funcs  # noqa: F401 - registers every function
from .dispatch import HANDLERS, VERSIONS, dispatch
from .errors import ApiError, error_doc
from .faults import Faults
from .pages import error_page
from .render import Ctx, Doc
from .request import FORMATS, NOT_ECHOED, Req
from .state import State

__all__ = ["ApiError", "Emulator", "supported_functions"]


class Emulator:
    """Panel logic shared by every connection. ``admins`` maps admin login -> password."""

    def __init__(
        self,
        state: State,
        admins: dict[str, str],
        faults: Faults | None = None,
        *,
        version: int = 6,
        superusers: Iterable[str] | None = None,
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"the emulated ispmanager version is 5 or 6, not {version!r}")
        self.state = state
        self.admins = dict(admins)
        self.faults = faults or Faults()
        self.admin_settings: dict[str, dict[str, str]] = {}
        self.version = version
        self.superusers = default_superusers(self.admins) if superusers is None else frozenset(superusers)
        unknown = self.superusers - self.admins.keys()
        if unknown:
            raise ValueError(f"a superuser must be an administrator: {', '.join(sorted(unknown))}")

    def handle(
        self,
        params: dict[str, str],
        remote: str,
        cookies: dict[str, str] | None = None,
        host: str = "https://127.0.0.1:1500",
        binary: str = "/ispmgr",
        auth_broken: bool = False,
    ) -> tuple[Doc, Ctx]:
        func_name = params.get("func", "")
        out = params.get("out", "")
        lang = params.get("lang") or "en"
        req = Req(self, params, func_name, lang, remote)
        req.browser = not out and func_name in ("", "auth")
        fmt = out if out in FORMATS else "xml"
        tparams = [(k, v) for k, v in params.items() if k not in NOT_ECHOED]
        ctx = Ctx(fmt, lang, func_name, host, binary, tparams)
        state = self.state
        with state.lock:
            try:
                doc = dispatch(req, cookies or {}, auth_broken)
            except ApiError as exc:
                doc = error_page(exc.msg) if req.browser else error_doc(exc, lang)
            finally:
                state.flush()
        doc.headers.extend(req.headers)
        return doc, ctx


def default_superusers(admins: dict[str, str]) -> frozenset[str]:
    """As on a real panel the superuser is ``root``; without a root login, the first administrator."""
    if "root" in admins:
        return frozenset({"root"})
    return frozenset(list(admins)[:1])


def supported_functions(version: int | None = None) -> list[str]:
    """The functions the emulator answers: of one panel version, or (None) of either."""
    return sorted(name for name, info in HANDLERS.items() if version is None or version in info.versions)
