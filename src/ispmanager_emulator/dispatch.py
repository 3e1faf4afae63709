"""The function registry, and how a request finds its handler."""

from __future__ import annotations

from collections.abc import Callable

from .auth import SESSION_COOKIE, check_password, func_auth, session_actor
from .errors import ApiError, err_access, err_badpassword, err_missed, err_unknown_func
from .pages import logged_in_page, login_page
from .paging import apply_paging
from .render import Doc, Node
from .request import Actor, Req

Handler = Callable[[Req], Doc]


VERSIONS = (5, 6)


class FuncInfo:
    __slots__ = ("fn", "admin", "real_admin", "superuser", "versions")

    def __init__(self, fn: Handler, admin: bool, real_admin: bool, superuser: bool, versions: tuple[int, ...]) -> None:
        self.fn = fn
        self.admin = admin
        self.real_admin = real_admin
        self.superuser = superuser
        self.versions = versions


HANDLERS: dict[str, FuncInfo] = {}


def func(
    *names: str,
    admin: bool = False,
    real_admin: bool = False,
    superuser: bool = False,
    versions: tuple[int, ...] = VERSIONS,
) -> Callable[[Handler], Handler]:
    """Register a panel function. ``admin``: administrators only (also through ``su``);
    ``real_admin``: the logged-in account must be an administrator; ``superuser``: it must be
    a superuser (root); ``versions``: the panel versions (5, 6) that have the function."""

    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = FuncInfo(
                fn, admin or real_admin or superuser, real_admin or superuser, superuser, versions
            )
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
    if info is None or req.app.version not in info.versions:
        raise err_unknown_func(req.lang, req.func)
    actor = switch_user(req, actor)
    req.actor = actor
    if info.admin and not actor.admin:
        raise err_access(req.lang, req.func)
    if info.real_admin and actor.real not in req.app.admins:
        raise err_access(req.lang, req.func)
    if info.superuser and actor.real not in req.app.superusers:
        raise err_access(req.lang, req.func)
    return apply_paging(req, answer_commit(req, call(req, info)))


FORM_FUNCS = frozenset({"usrparam", "srvparam", "dnsparam", "user.add", "user.add.finish"})


def is_form(func_name: str) -> bool:
    return func_name.endswith(".edit") or func_name in FORM_FUNCS


def call(req: Req, info: FuncInfo) -> Doc:
    """Run the handler. As a real panel does, reading the form of an element that does not exist
    is not an error: the answer is the empty form carrying the asked ``elid``."""
    try:
        return info.fn(req)
    except ApiError as exc:
        elid = req.p("elid").strip()
        if req.sok or not elid or not is_form(req.func) or exc.etype != "missed" or exc.value != elid:
            raise
    req.params = {k: v for k, v in req.params.items() if k != "elid"}
    doc = info.fn(req)
    if doc.kind == "form":
        doc.items.insert(0, ("elid", elid))
    return doc


def answer_commit(req: Req, doc: Doc) -> Doc:
    """A committed form answers ``ok``, the element's ``id`` and the ``msg_ok`` message."""
    if doc.kind != "ok" or not req.sok or not is_form(req.func):
        return doc
    if not any(name == "id" for name, _ in doc.items):
        elid = req.p("elid").strip()
        if elid:
            doc.items.append(("id", elid))
    text = "Изменения успешно сохранены" if req.lang == "ru" else "Changes saved successfully"
    doc.items.append(("messages", Node(children=[("msg", Node({"name": "msg_ok"}, text))])))
    return doc
