"""Checking a client's answers to an order form and pricing them from the catalog.

Used by checkout (`checkout.COMPONENT`), the configure page and Edit Forms, so an answer is judged the
same way everywhere. Prices and limits always come from the field and option rows, never from the
client: the client only names a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.core.errors import DomainError
from moorage.core.money import ZERO
from moorage.orderforms.models import FormField, FormFieldOption
from moorage.services.components import Charge

T = FormField.Type
MAX_TEXT = 500
MAX_TEXTAREA = 5000
MAX_QUANTITY = 1_000_000
LIMIT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TRUE_VALUES = {"1", "on", "true", "yes"}
FALSE_VALUES = {"", "0", "off", "false", "no"}
# Control characters other than newline and tab have no place in an answer (they also break panels).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def form_fields(product: Product | int) -> list[FormField]:
    """The product's form fields in page order, with their options."""
    product_id = product if isinstance(product, int) else product.pk
    return list(FormField.objects.filter(product_id=product_id).prefetch_related("options").order_by("sort", "id"))


def source_of(field: FormField) -> str:
    """The ServiceComponent source of a field's recurring price and limits."""
    return f"form:{field.pk}"


def _error(message: str, field: str, code: str) -> DomainError:
    return DomainError(message, field=field, code=code)


def clean_value(field: FormField, raw: str | None, *, where: str) -> str:
    """One answer checked against its field; None means "not answered" (the default applies)."""
    if field.type == T.HIDDEN:
        return field.default  # never taken from the client
    value = field.default if raw is None else str(raw)
    if CONTROL.search(value):
        raise _error(
            gettext("%(label)s: control characters are not allowed") % {"label": field.label}, where, "invalid"
        )
    if field.type in (T.TEXT, T.TEXTAREA):
        value = value.strip() if field.type == T.TEXT else value.strip("\r\n ").replace("\r\n", "\n")
        limit = MAX_TEXT if field.type == T.TEXT else MAX_TEXTAREA
        if field.type == T.TEXT and "\n" in value:
            raise _error(gettext("%(label)s: one line only") % {"label": field.label}, where, "invalid")
        if len(value) > limit:
            raise _error(
                gettext("%(label)s: at most %(limit)s characters") % {"label": field.label, "limit": limit},
                where,
                "too_long",
            )
        if field.required and not value:
            raise _error(gettext("%(label)s is required") % {"label": field.label}, where, "required")
        return value
    if field.type in (T.SELECT, T.RADIO):
        value = value.strip()
        if not value:
            if field.required:
                raise _error(gettext("%(label)s: choose an option") % {"label": field.label}, where, "required")
            return ""
        if value not in {o.value for o in field.options.all()}:
            raise _error(
                gettext("%(label)s: %(value)s is not one of the options") % {"label": field.label, "value": value[:50]},
                where,
                "invalid_choice",
            )
        return value
    if field.type == T.CHECKBOX:
        flag = value.strip().lower()
        if flag in TRUE_VALUES:
            return "1"
        if flag in FALSE_VALUES:
            if field.required:
                raise _error(gettext("%(label)s must be ticked") % {"label": field.label}, where, "required")
            return "0"
        raise _error(gettext("%(label)s: tick the box or leave it") % {"label": field.label}, where, "invalid")
    # Number (quantity): a whole number within the field's bounds.
    text = value.strip()
    low = field.min_value or 0
    high = min(field.max_value if field.max_value is not None else MAX_QUANTITY, MAX_QUANTITY)
    if not text:
        if field.required:
            raise _error(gettext("%(label)s is required") % {"label": field.label}, where, "required")
        return str(low)
    if not re.fullmatch(r"[0-9]{1,7}", text):
        raise _error(gettext("%(label)s: enter a whole number") % {"label": field.label}, where, "invalid")
    number = int(text)
    if number < low or number > high:
        raise _error(
            gettext("%(label)s: enter a number from %(low)s to %(high)s")
            % {"label": field.label, "low": low, "high": high},
            where,
            "out_of_range",
        )
    return str(number)


def clean_answers(fields: Iterable[FormField], given: Mapping[str, str], *, prefix: str = "form.") -> dict[str, str]:
    """Every field's answer (code → value), checked; an answer to no field of the form is refused."""
    fields = list(fields)
    codes = {f.code for f in fields}
    for code in given:
        if code not in codes:
            raise _error(
                gettext("The order form has no field %(code)s") % {"code": str(code)[:50]},
                prefix + str(code)[:50],
                "unknown_field",
            )
    return {f.code: clean_value(f, given.get(f.code), where=prefix + f.code) for f in fields}


def _option(field: FormField, value: str) -> FormFieldOption | None:
    return next((o for o in field.options.all() if o.value == value), None)


def units(field: FormField, value: str) -> int:
    """How many times the field's own prices and limits apply to this answer."""
    if field.type == T.NUMBER:
        return int(value or 0)
    if field.type == T.CHECKBOX:
        return 1 if value == "1" else 0
    if field.type in (T.TEXT, T.TEXTAREA, T.HIDDEN):
        return 1 if value else 0
    return 0  # select and radio: priced by the chosen option


def display(field: FormField, value: str) -> str:
    """The answer as a person reads it."""
    if field.type in (T.SELECT, T.RADIO):
        option = _option(field, value)
        return option.label if option else value
    if field.type == T.CHECKBOX:
        return gettext("Yes") if value == "1" else gettext("No")
    return value


def scaled_limits(limits: Mapping, times: int) -> dict[str, int]:
    """Limits × units, integers only (staff input is checked on save; a bad row is skipped here)."""
    out: dict[str, int] = {}
    for name, amount in (limits or {}).items():
        if isinstance(amount, bool) or not isinstance(amount, int) or not LIMIT_NAME.match(str(name)):
            continue
        if amount * times:
            out[str(name)] = amount * times
    return out


def priced(field: FormField, value: str) -> tuple[Decimal, Decimal, dict[str, int]]:
    """(one-time, recurring per cycle, limits) that this answer costs and adds."""
    if field.type in (T.SELECT, T.RADIO):
        option = _option(field, value)
        if option is None:
            return ZERO, ZERO, {}
        return option.one_time_price, option.recurring_price, scaled_limits(option.limits, 1)
    n = units(field, value)
    return field.one_time_price * n, field.recurring_price * n, scaled_limits(field.limits, n)


def describe(field: FormField, value: str) -> str:
    if field.type == T.CHECKBOX:
        return field.label
    if field.type == T.NUMBER:
        return f"{field.label}: {value}"
    text = display(field, value)
    return f"{field.label}: {text[:100]}"


def field_charges(field: FormField, value: str) -> list[Charge]:
    """The charges of one answer: a per-cycle part (billed with the service, a ServiceComponent with
    the limits) and a one-time part (the first invoice only)."""
    one_time, recurring, limits = priced(field, value)
    charges = []
    description = describe(field, value)
    if recurring or limits:
        charges.append(
            Charge(
                line_kind="option",
                description=description,
                amount=recurring,
                recurring_amount=recurring,
                component_kind="option",
                source=source_of(field),
                limits=limits,
                periodic=True,
            )
        )
    if one_time:
        charges.append(
            Charge(
                line_kind="option",
                description=description + " " + str(_("(one-time)")),
                amount=one_time,
                periodic=False,
            )
        )
    return charges
