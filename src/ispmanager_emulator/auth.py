"""Logins: passwords, sessions and one-time keys (``func=auth``)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from .errors import ApiError, err_badpassword
from .pages import logged_in_page
from .render import Doc, Node
from .request import Actor, Req

if TYPE_CHECKING:
    from .app import Emulator

SESSION_IDLE = 3600.0
KEY_LIFETIME = 3600.0
SESSION_COOKIE = "ispmgrses5"


def check_password(app: Emulator, name: str, password: str) -> Actor | None:
    admin_pw = app.admins.get(name)
    if admin_pw is not None:
        return Actor(name, True, name) if secrets.compare_digest(admin_pw, password) else None
    user = app.state.users.get(name)
    if user is None or user.get("active") != "on":
        return None
    if not secrets.compare_digest(str(user.get("passwd", "")), password):
        return None
    return Actor(name, False, name)


def actor_for(app: Emulator, name: str) -> Actor | None:
    if name in app.admins:
        return Actor(name, True, name)
    user = app.state.users.get(name)
    if user is None or user.get("active") != "on":
        return None
    return Actor(name, False, name)


def new_session(app: Emulator, actor: Actor) -> str:
    sid = secrets.token_hex(12)
    app.state.sessions[sid] = {"user": actor.name, "last": app.state.now()}
    return sid


def session_actor(req: Req, sid: str) -> Actor:
    state = req.state
    sess = state.sessions.get(sid)
    now = state.now()
    if sess is None or now - sess["last"] > SESSION_IDLE:
        state.sessions.pop(sid, None)
        msg = "Сессия истекла или неверна" if req.lang == "ru" else "The session has expired or is invalid"
        raise ApiError("access", "session", "", msg)
    actor = actor_for(req.app, sess["user"])
    if actor is None:
        state.sessions.pop(sid, None)
        raise err_badpassword(req.lang, req.remote)
    sess["last"] = now
    return actor


def func_auth(req: Req) -> Doc:
    state = req.state
    username = req.p("username").strip()
    key = req.p("key")
    actor: Actor | None = None
    if key:
        entry = state.keys.pop(key, None)
        if (
            entry is not None
            and (not username or entry["user"] == username)
            and state.now() - entry["created"] <= KEY_LIFETIME
        ):
            actor = actor_for(req.app, entry["user"])
    elif username:
        actor = check_password(req.app, username, req.p("password"))
    if actor is None:
        raise err_badpassword(req.lang, req.remote)
    sid = new_session(req.app, actor)
    if req.browser:
        req.headers.append(("Set-Cookie", f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"))
        return logged_in_page(actor.name, actor.admin)
    return Doc.data([("auth", Node({"id": sid, "level": actor.level}, sid))])
