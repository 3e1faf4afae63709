"""The hosted payment page's HTML: the card form, the 3-D Secure step and the closed-session notice."""

from __future__ import annotations

from html import escape
from typing import Any

from .app import format_amount

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f9fc;margin:0;color:#1a1f36}
main{max-width:420px;margin:48px auto;background:#fff;border-radius:8px;padding:28px;box-shadow:0 2px 8px #0002}
h1{font-size:20px;margin:0 0 4px} .amount{font-size:28px;font-weight:600;margin:8px 0 18px}
label{display:block;font-size:13px;margin:12px 0 4px} input{width:100%;box-sizing:border-box;padding:9px;
border:1px solid #ccd;border-radius:5px;font-size:15px} .row{display:flex;gap:10px} .row>div{flex:1}
button{margin-top:18px;width:100%;padding:11px;border:0;border-radius:5px;background:#635bff;color:#fff;
font-size:16px;cursor:pointer} button.secondary{background:#e3e8ee;color:#1a1f36}
.error{background:#fde8e8;color:#9b1c1c;padding:9px;border-radius:5px;margin:12px 0}
.note{font-size:13px;color:#697386} .test{font-size:12px;color:#697386;border-top:1px solid #e3e8ee;
margin-top:20px;padding-top:10px}
"""


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>{body}</main></body></html>"
    ).encode()


def _header(session: dict[str, Any]) -> str:
    names = ", ".join(escape(line["name"]) for line in session["lines"])
    return (
        "<p class='note'>Stripe stand-in · test mode</p>"
        f"<h1>{names}</h1>"
        f"<div class='amount'>{escape(format_amount(session['amount_total'], session['currency']))}</div>"
    )


def card_form(session: dict[str, Any], error: str = "") -> bytes:
    sid = escape(session["id"])
    parts = [_header(session)]
    if error:
        parts.append(f"<div class='error' role='alert'>{escape(error)}</div>")
    parts.append(
        f"<form method='post' action='/pay/{sid}'>"
        "<label for='email'>Email</label>"
        f"<input id='email' name='email' value='{escape(session.get('customer_email') or '')}' readonly>"
        "<label for='card'>Card number</label>"
        "<input id='card' name='card' inputmode='numeric' autocomplete='cc-number' placeholder='1234 1234 1234 1234'>"
        "<div class='row'><div><label for='exp'>Expiry (MM/YY)</label>"
        "<input id='exp' name='exp' autocomplete='cc-exp' placeholder='MM / YY'></div>"
        "<div><label for='cvc'>CVC</label>"
        "<input id='cvc' name='cvc' autocomplete='cc-csc' placeholder='CVC'></div></div>"
        "<label for='name'>Name on card</label><input id='name' name='name' autocomplete='cc-name'>"
    )
    if session["save_card"]:
        parts.append(
            "<p class='note'>By paying you allow the merchant to charge this card for future payments "
            "in accordance with their terms.</p>"
        )
    amount = escape(format_amount(session["amount_total"], session["currency"]))
    parts.append(f"<button type='submit'>Pay {amount}</button></form>")
    if session.get("cancel_url"):
        parts.append(
            f"<form method='get' action='{escape(session['cancel_url'])}'>"
            "<button type='submit' class='secondary'>Cancel and go back</button></form>"
        )
    parts.append(
        "<div class='test'>Test cards: 4242 4242 4242 4242 succeeds · 4000 0000 0000 0002 is declined · "
        "4000 0025 0000 3155 asks for 3-D Secure · any future expiry, any CVC.</div>"
    )
    return _page("Pay · Stripe stand-in", "".join(parts))


def authenticate_page(session: dict[str, Any]) -> bytes:
    sid = escape(session["id"])
    body = (
        _header(session) + "<h1>3-D Secure authentication</h1>"
        "<p>Your bank asks you to confirm this payment. This is a test page: choose the outcome.</p>"
        f"<form method='post' action='/pay/{sid}/authenticate'>"
        "<button type='submit' name='action' value='complete'>Complete authentication</button>"
        "<button type='submit' name='action' value='fail' class='secondary'>Fail authentication</button>"
        "</form>"
    )
    return _page("3-D Secure · Stripe stand-in", body)


def closed_page(session: dict[str, Any]) -> bytes:
    if session["status"] == "complete":
        text = "This payment is already complete."
    else:
        text = "This checkout session has expired."
    link = ""
    target = session.get("success_url") if session["status"] == "complete" else session.get("cancel_url")
    if target:
        target = target.replace("{CHECKOUT_SESSION_ID}", session["id"])
        link = f"<p><a href='{escape(target)}'>Return to the merchant</a></p>"
    return _page("Checkout · Stripe stand-in", f"<h1>{escape(text)}</h1>{link}")


def not_found() -> bytes:
    return _page("Not found · Stripe stand-in", "<h1>This checkout session does not exist.</h1>")
