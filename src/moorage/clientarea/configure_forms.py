"""The product configure page's order-form section (see clientarea.configure), and the field rows the
Edit Forms page shares with it. What the client typed is only collected here; checkout checks and
prices it again (`orderforms.checkout`), and a hidden field's value never comes from the POST."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.http import QueryDict

from moorage.catalog.models import Product
from moorage.clientarea.configure import ConfigureSection
from moorage.core.errors import DomainError
from moorage.customers.models import Client
from moorage.orderforms.answers import clean_value, form_fields
from moorage.orderforms.models import FormField
from moorage.services.components import as_pairs

T = FormField.Type
PREFIX = "form_"


def input_name(field: FormField) -> str:
    return PREFIX + field.code


def posted(field: FormField, data: QueryDict) -> str | None:
    """The raw answer of one field in a POST; an unticked checkbox is "0" (browsers send nothing)."""
    if field.type == T.CHECKBOX:
        return "1" if data.get(input_name(field)) else "0"
    value = data.get(input_name(field))
    return None if value is None else value[:10_000]


def field_rows(
    fields: Iterable[FormField],
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    editable: Iterable[str] | None = None,
) -> list[dict]:
    """What the template shows per field (hidden fields are not shown at all)."""
    allowed = None if editable is None else set(editable)
    rows = []
    for f in fields:
        if f.type == T.HIDDEN:
            continue
        value = values.get(f.code, f.default)
        rows.append(
            {
                "field": f,
                "name": input_name(f),
                "id": "id_" + input_name(f),
                "value": value,
                "checked": f.type == T.CHECKBOX and value == "1",
                "options": list(f.options.all()) if f.type in (T.SELECT, T.RADIO) else [],
                "error": errors.get(f.code, ""),
                "editable": allowed is None or f.code in allowed,
                "min": f.min_value or 0,
                "max": f.max_value,
            }
        )
    return rows


def section(product: Product, data: QueryDict | None, client: Client | None) -> ConfigureSection:
    fields = form_fields(product)
    if not fields:
        return ConfigureSection()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if data is not None:
        for f in fields:
            if f.type == T.HIDDEN:
                continue  # checkout gives it its default; the POST is not read
            raw = posted(f, data)
            try:
                values[f.code] = clean_value(f, raw, where=f.code)
            except DomainError as exc:
                values[f.code] = "" if raw is None else raw
                errors[f.code] = exc.message
    return ConfigureSection(
        template="clientarea/_configure_forms.html",
        context={"rows": field_rows(fields, values, errors)},
        item_fields={"form": as_pairs({k: v for k, v in values.items() if k not in errors})},
        errors=list(errors.values()),
    )
