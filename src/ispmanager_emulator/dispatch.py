"""The function registry, and how a request finds its handler."""

from __future__ import annotations

from collections.abc import Callable

from .auth import SESSION_COOKIE, check_password, func_auth, session_actor
from .errors import ApiError, err_access, err_badpassword, err_missed
from .pages import logged_in_page, login_page
from .paging import apply_paging
from .render import Doc
from .request import Actor, Req

Handler = Callable[[Req], Doc]


class FuncInfo:
    __slots__ = ("fn", "admin", "real_admin")

    def __init__(self, fn: Handler, admin: bool, real_admin: bool) -> None:
        self.fn = fn
        self.admin = admin
        self.real_admin = real_admin


HANDLERS: dict[str, FuncInfo] = {}


def func(*names: str, admin: bool = False, real_admin: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = FuncInfo(fn, admin or real_admin, real_admin)
        return fn

    return register


def authenticate(req: Req, cookies: dict[str, str]) -> Actor | Doc:
    """The acting account of a request, or the login page a browser gets instead."""
    params = req.params
    authinfo = params.get("authinfo")
    if authinfo is not None:
        name, _, password = authinfo.partition(":")
        actor = check_password(req.app, name, password)
        if actor is None:
            raise err_badpassword(req.lang, req.remote)
        return actor
    if params.get("auth"):
        return session_actor(req, params["auth"])
    if cookies.get(SESSION_COOKIE):
        try:
            return session_actor(req, cookies[SESSION_COOKIE])
        except ApiError:
            if req.browser:
                return login_page()
            raise
    if req.browser:
        return login_page()
    raise err_badpassword(req.lang, req.remote)


def switch_user(req: Req, actor: Actor) -> Actor:
    """``su=<name>``: an administrator acts as another account."""
    su = req.params.get("su", "").strip()
    if not su or su == actor.name:
        return actor
    if not actor.admin:
        raise err_access(req.lang, "su")
    if su in req.app.admins:
        return Actor(su, True, actor.real)
    if su in req.state.users:
        return Actor(su, False, actor.real, via_su=True)
    raise err_missed(req.lang, "user", su)


def dispatch(req: Req, cookies: dict[str, str], auth_broken: bool) -> Doc:
    if auth_broken:
        raise err_badpassword(req.lang, req.remote)
    if req.func == "auth":
        return func_auth(req)
    found = authenticate(req, cookies)
    if isinstance(found, Doc):
        return found
    actor = found
    if not req.func:
        if req.browser:
            return logged_in_page(actor.name, actor.admin)
        raise err_missed(req.lang, "func")
    info = HANDLERS.get(req.func)
    if info is None:
        raise ApiError(
            "missed",
            "func",
            req.func,
            f"Функция '{req.func}' не найдена" if req.lang == "ru" else f"Unknown function '{req.func}'",
        )
    actor = switch_user(req, actor)
    req.actor = actor
    if info.admin and not actor.admin:
        raise err_access(req.lang, req.func)
    if info.real_admin and actor.real not in req.app.admins:
        raise err_access(req.lang, req.func)
    return apply_paging(req, info.fn(req))
