"""The few HTML pages a browser sees (login form, logged-in page, error page)."""

from __future__ import annotations

from html import escape as html_escape

from .render import Doc


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html_escape(title)} - ispmanager emulator</title></head>"
        f"<body><h1>ispmanager emulator</h1>{body}</body></html>\n"
    )


def login_page() -> Doc:
    return Doc.page(
        page(
            "Log in",
            '<form method="post" id="login"><input type="hidden" name="func" value="auth">'
            '<label>Username <input name="username"></label> '
            '<label>Password <input name="password" type="password"></label> '
            '<button type="submit">Log in</button></form>',
        )
    )


def logged_in_page(name: str, admin: bool) -> Doc:
    level = "admin" if admin else "user"
    return Doc.page(
        page(
            name,
            '<p id="logged-in">Logged in as '
            f'<strong id="username">{html_escape(name)}</strong>'
            f' (<span id="level">{level}</span>)</p>',
        )
    )


def error_page(msg: str) -> Doc:
    return Doc.page(page("Error", f'<p id="error">{html_escape(msg)}</p>'))
