"""Promotional codes at checkout: the discount a code gives a cart, and its use counted once.

What is discounted (HostBill's default): the first period's price of the plan and the item's priced
extras billed per period (order-form options, add-ons). Setup fees, one-time extras and domains are
not discounted; post-paid and metered products (billed after their period) get no discount. A
percentage is rounded half-up to cents per item; a fixed amount is taken off each eligible item, never
more than that item's discounted amount, so no invoice goes below zero. A recurring code also lowers
every renewal: a ServiceComponent of kind "discount" with a negative recurring amount, worked out the
same way on the service's recurring price and its components.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F, Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from moorage.billing.models import InvoiceLine
from moorage.core.cycles import Cycle
from moorage.core.errors import DomainError
from moorage.core.money import ZERO, round_money
from moorage.core.validators import text_problem
from moorage.promotions.models import PromoCode, Redemption
from moorage.services.components import Charge, PricedItem
from moorage.services.models import ServiceComponent

FIELD = "promo_code"


def _refuse(message: str, code: str) -> DomainError:
    return DomainError(message, field=FIELD, code=code)


def find(code: str) -> PromoCode:
    """The code as staff wrote it, whatever its case; refused when unknown or switched off."""
    code = (code or "").strip()
    # A NUL or another control character is no code (and PostgreSQL refuses NUL in a query).
    plausible = 0 < len(code) <= 64 and text_problem(code) is None
    promo = PromoCode.objects.filter(code__iexact=code).first() if plausible else None
    if promo is None:
        shown = code[:64] if text_problem(code) is None else ""
        raise _refuse(_("The promotional code %(code)s does not exist") % {"code": shown}, "promo_unknown")
    if not promo.active:
        raise _refuse(
            _("The promotional code %(code)s is no longer available") % {"code": promo.code}, "promo_inactive"
        )
    return promo


def check_usable(promo: PromoCode, *, client_id: int | None, today: dt.date) -> None:
    """Dates, the use limit and the client's own limit (the products and cycles are per cart)."""
    if promo.valid_from and today < promo.valid_from:
        raise _refuse(
            _("The promotional code %(code)s is valid from %(date)s")
            % {"code": promo.code, "date": date_format(promo.valid_from)},
            "promo_not_yet_valid",
        )
    if promo.valid_until and today > promo.valid_until:
        raise _refuse(
            _("The promotional code %(code)s expired on %(date)s")
            % {"code": promo.code, "date": date_format(promo.valid_until)},
            "promo_expired",
        )
    if promo.max_uses is not None and promo.uses >= promo.max_uses:
        raise _refuse(_("The promotional code %(code)s has been used up") % {"code": promo.code}, "promo_used_up")
    if client_id is not None and promo.max_uses_per_client is not None:
        used = Redemption.objects.filter(promo_code=promo, client_id=client_id).count()
        if used >= promo.max_uses_per_client:
            raise _refuse(
                _("You have already used the promotional code %(code)s as often as it allows") % {"code": promo.code},
                "promo_client_limit",
            )


def _off(promo: PromoCode, base: Decimal) -> Decimal:
    """The discount on one item's amount: a rounded percentage, or the fixed value capped at the amount."""
    if base <= 0:
        return ZERO
    if promo.kind == PromoCode.Kind.PERCENT:
        return min(round_money(base * promo.value / Decimal(100)), base)
    return min(promo.value, base)


def _label(promo: PromoCode) -> str:
    if promo.kind == PromoCode.Kind.PERCENT:
        return _("Promotional code %(code)s: %(value)s%% off") % {
            "code": promo.code,
            "value": format(promo.value.normalize(), "f"),
        }
    return _("Promotional code %(code)s: %(value)s off") % {"code": promo.code, "value": promo.value}


def discounts(
    code: str, *, client_id: int | None, priced: list[PricedItem], today: dt.date
) -> list[tuple[int, Charge]]:
    """The discount charges `code` gives the cart: (item index, a Charge with a negative amount and,
    for a recurring code, a negative recurring_amount of component kind "discount"). Raises
    DomainError(field="promo_code") naming why the code does not apply."""
    promo = find(code)
    check_usable(promo, client_id=client_id, today=today)
    product_ids = set(promo.products.values_list("pk", flat=True))
    cycles = set(promo.cycles or ())
    for_product = {i for i, p in enumerate(priced) if not product_ids or p.product.pk in product_ids}
    if not for_product:
        raise _refuse(
            _("The promotional code %(code)s is not for the products in your cart") % {"code": promo.code},
            "promo_not_for_products",
        )
    eligible = [(i, p) for i, p in enumerate(priced) if i in for_product and (not cycles or p.cycle in cycles)]
    if not eligible:
        raise _refuse(
            _("The promotional code %(code)s is not for the billing cycles in your cart") % {"code": promo.code},
            "promo_not_for_cycles",
        )
    result = []
    recurring = promo.applies == PromoCode.Applies.RECURRING
    for index, p in eligible:
        if p.product.is_postpaid:
            continue
        extras = [c for c in p.charges if c.line_kind != InvoiceLine.Kind.DISCOUNT]
        first = p.amount + sum((c.amount for c in extras if c.periodic and c.amount > 0), ZERO)
        amount = _off(promo, first)
        again = ZERO
        if recurring and p.cycle != Cycle.ONE_TIME:
            renewing = p.amount + sum(
                (c.recurring_amount for c in extras if c.component_kind and c.recurring_amount > 0), ZERO
            )
            again = _off(promo, renewing)
        if not amount and not again:
            continue
        result.append(
            (
                index,
                Charge(
                    line_kind=InvoiceLine.Kind.DISCOUNT,
                    description=str(_label(promo)),
                    amount=-amount,
                    recurring_amount=-again,
                    component_kind=ServiceComponent.Kind.DISCOUNT if again else "",
                    source=f"promo:{promo.pk}",
                    periodic=True,
                ),
            )
        )
    if not result:
        raise _refuse(
            _("The promotional code %(code)s gives no discount on the items in your cart") % {"code": promo.code},
            "promo_nothing_to_discount",
        )
    return result


def redeem(code: str, *, client_id: int, order_id: int, now: dt.datetime) -> Redemption:
    """Inside checkout's transaction: count one use of `code` for this order (refused over its limit).

    The count is a conditional UPDATE: of two checkouts racing for the last use, the second finds no
    row to update and its whole order is rolled back with "used up". Checkout holds the client's row,
    so one client's checkouts are counted one at a time for the per-client limit.
    """
    promo = find(code)
    taken = (
        PromoCode.objects.filter(pk=promo.pk, active=True)
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .update(uses=F("uses") + 1)
    )
    if not taken:
        raise _refuse(_("The promotional code %(code)s has been used up") % {"code": promo.code}, "promo_used_up")
    if promo.max_uses_per_client is not None:
        used = Redemption.objects.filter(promo_code=promo, client_id=client_id).count()
        if used >= promo.max_uses_per_client:
            raise _refuse(
                _("You have already used the promotional code %(code)s as often as it allows") % {"code": promo.code},
                "promo_client_limit",
            )
    return Redemption.objects.create(promo_code=promo, client_id=client_id, order_id=order_id, created_at=now)
