"""The cart's "Use promotional code": enter a code, see its discount lines, or remove it.

The code lives in the session (`cart.promo_code`); whether it applies and how much it takes off is
asked of `promotions.checkout.discounts` each time the cart is shown, exactly as checkout asks, so a
code that stops applying (expired, used up, cart changed) says why at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from moorage.clientarea import cart
from moorage.clientarea.views import client_of
from moorage.core import clock
from moorage.core.logins import client_ip

# Wrong codes per address and hour: beyond it the form stops answering (no guessing codes).
WRONG_CODES_PER_HOUR = 20


def cart_context(request: HttpRequest, lines: list[cart.CartLine]) -> dict:
    """What the cart table and the promo form show: discount lines, totals and the code's state."""
    client = client_of(request.user)
    found, error = cart.discounts(
        request.session,
        lines,
        client_id=client.pk if client else None,
        today=clock.local_date(clock.now()),
    )
    return {
        "discounts": found,
        "totals": cart.totals(lines, found),
        "promo_code": cart.promo_code(request.session),
        "promo_error": error.message if error else "",
    }


def _throttle_key(request: HttpRequest) -> str:
    return f"moorage:promo-wrong:{client_ip(request) or 'unknown'}"


@require_POST
def cart_promo(request: HttpRequest) -> HttpResponse:
    """Apply a promotional code to the cart; refused with the reason, and then not kept."""
    code = (request.POST.get("code") or "").strip()
    if not code:
        messages.error(request, _("Enter a promotional code."))
        return redirect("clientarea:cart")
    if len(code) > 64:
        code = code[:64]
    key = _throttle_key(request)
    if (cache.get(key) or 0) >= WRONG_CODES_PER_HOUR:
        messages.error(request, _("Too many wrong promotional codes; please try again later."))
        return redirect("clientarea:cart")
    lines = cart.lines(request.session)
    if not lines:
        messages.error(request, _("Your cart is empty."))
        return redirect("clientarea:cart")
    previous = cart.promo_code(request.session)
    cart.set_promo_code(request.session, code)
    context = cart_context(request, lines)
    if context["promo_error"]:
        cart.set_promo_code(request.session, previous)
        if cache.add(key, 1, timeout=3600) is False:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=3600)
        messages.error(request, context["promo_error"])
    else:
        messages.success(request, _("The promotional code %(code)s was applied.") % {"code": code})
    return redirect("clientarea:cart")


@require_POST
def cart_promo_remove(request: HttpRequest) -> HttpResponse:
    cart.set_promo_code(request.session, "")
    messages.info(request, _("The promotional code was removed."))
    return redirect("clientarea:cart")
