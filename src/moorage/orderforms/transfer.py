"""An order form as data: export, the checks of an imported form (a JSON or YAML file, or the "form"
key of a product export), and reading such a file safely.

`parse_form` writes nothing: it returns the clean field list or raises DomainError naming the place
in the file (`fields[2].options[0].value`), so a bad file creates nothing.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from django.utils.translation import gettext

from moorage.core.errors import DomainError
from moorage.orderforms.answers import LIMIT_NAME, MAX_QUANTITY, MAX_TEXT
from moorage.orderforms.models import FormField

T = FormField.Type
MAX_FILE_BYTES = 256 * 1024
MAX_FIELDS = 100
MAX_OPTIONS = 200
MAX_YAML_NODES = 50_000
MAX_PRICE = Decimal("999999999.99")
CODE = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
CHOICE_TYPES = (T.SELECT, T.RADIO)

FIELD_KEYS = {
    "code",
    "label",
    "type",
    "required",
    "client_editable",
    "help",
    "sort",
    "default",
    "min",
    "max",
    "one_time_price",
    "recurring_price",
    "limits",
    "options",
}
OPTION_KEYS = {"label", "value", "sort", "one_time_price", "recurring_price", "limits"}


def _bad(path: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(f"{path}: {message}", field=path, code=code)


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def export_form(product: Any) -> list[dict[str, Any]]:
    """The product's order form as JSON-ready data (amounts as decimal strings)."""
    out = []
    for f in FormField.objects.filter(product=product).prefetch_related("options").order_by("sort", "id"):
        row: dict[str, Any] = {
            "code": f.code,
            "label": f.label,
            "type": f.type,
            "required": f.required,
            "client_editable": f.client_editable,
            "help": f.help,
            "sort": f.sort,
            "default": f.default,
            "one_time_price": _money(f.one_time_price),
            "recurring_price": _money(f.recurring_price),
            "limits": dict(f.limits or {}),
        }
        if f.type == T.NUMBER:
            row["min"] = f.min_value
            row["max"] = f.max_value
        if f.type in CHOICE_TYPES:
            row["options"] = [
                {
                    "label": o.label,
                    "value": o.value,
                    "sort": o.sort,
                    "one_time_price": _money(o.one_time_price),
                    "recurring_price": _money(o.recurring_price),
                    "limits": dict(o.limits or {}),
                }
                for o in f.options.all()
            ]
        out.append(row)
    return out


# --- checking -------------------------------------------------------------------------------------


def _str(row: dict, key: str, path: str, *, limit: int, required: bool = False) -> str:
    value = row.get(key, "")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _bad(f"{path}.{key}", gettext("must be text"), "wrong_type")
    value = str(value).strip()
    if required and not value:
        raise _bad(f"{path}.{key}", gettext("is required"), "required")
    if len(value) > limit:
        raise _bad(f"{path}.{key}", gettext("at most %(limit)s characters") % {"limit": limit}, "too_long")
    return value


def _bool(row: dict, key: str, path: str) -> bool:
    value = row.get(key, False)
    if not isinstance(value, bool):
        raise _bad(f"{path}.{key}", gettext("must be true or false"), "wrong_type")
    return value


def _int(row: dict, key: str, path: str, *, low: int, high: int, default: int | None = 0) -> int | None:
    value = row.get(key, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{path}.{key}", gettext("must be a whole number"), "wrong_type")
    if value < low or value > high:
        raise _bad(
            f"{path}.{key}", gettext("must be from %(low)s to %(high)s") % {"low": low, "high": high}, "out_of_range"
        )
    return value


def _price(row: dict, key: str, path: str) -> Decimal:
    value = row.get(key, "0")
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _bad(f"{path}.{key}", gettext("must be an amount"), "wrong_type")
    try:
        # A YAML float is read back from its shortest text (5.99 → "5.99"), never used as a float.
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise _bad(f"{path}.{key}", gettext("must be an amount"), "wrong_type") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        raise _bad(f"{path}.{key}", gettext("must be an amount from 0 to %(max)s") % {"max": MAX_PRICE}, "out_of_range")
    if amount != amount.quantize(Decimal("0.01")):
        raise _bad(f"{path}.{key}", gettext("at most two decimal places"), "invalid")
    return amount.quantize(Decimal("0.01"))


def clean_limits(value: Any, path: str) -> dict[str, int]:
    """A limit mapping {"limit_quota": 1024}: lowercase names, whole numbers."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(path, gettext('must be a mapping like {"limit_quota": 1024}'), "wrong_type")
    if len(value) > 50:
        raise _bad(path, gettext("too many limits"), "too_long")
    out = {}
    for name, amount in value.items():
        if not isinstance(name, str) or not LIMIT_NAME.match(name):
            raise _bad(f"{path}.{str(name)[:64]}", gettext("not a limit name"), "invalid")
        if isinstance(amount, bool) or not isinstance(amount, int) or abs(amount) > MAX_QUANTITY * 1000:
            raise _bad(f"{path}.{name}", gettext("must be a whole number"), "wrong_type")
        out[name] = amount
    return out


def _unknown(row: dict, allowed: set[str], path: str) -> None:
    for key in row:
        if key not in allowed:
            raise _bad(f"{path}.{str(key)[:50]}", gettext("unknown key"), "unknown_key")


def _option(row: Any, path: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise _bad(path, gettext("must be a mapping"), "wrong_type")
    _unknown(row, OPTION_KEYS, path)
    return {
        "label": _str(row, "label", path, limit=200, required=True),
        "value": _str(row, "value", path, limit=100, required=True),
        "sort": _int(row, "sort", path, low=-1_000_000, high=1_000_000),
        "one_time_price": _price(row, "one_time_price", path),
        "recurring_price": _price(row, "recurring_price", path),
        "limits": clean_limits(row.get("limits"), f"{path}.limits"),
    }


def _field(row: Any, path: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise _bad(path, gettext("must be a mapping"), "wrong_type")
    _unknown(row, FIELD_KEYS, path)
    code = _str(row, "code", path, limit=50, required=True)
    if not CODE.match(code):
        raise _bad(f"{path}.code", gettext("letters, digits, - and _ only"), "invalid")
    kind = _str(row, "type", path, limit=20, required=True)
    if kind not in T.values:
        raise _bad(
            f"{path}.type", gettext("must be one of %(types)s") % {"types": ", ".join(T.values)}, "invalid_choice"
        )
    clean: dict[str, Any] = {
        "code": code,
        "label": _str(row, "label", path, limit=200, required=True),
        "type": kind,
        "required": _bool(row, "required", path),
        "client_editable": _bool(row, "client_editable", path),
        "help": _str(row, "help", path, limit=500),
        "sort": _int(row, "sort", path, low=-1_000_000, high=1_000_000),
        "default": _str(row, "default", path, limit=MAX_TEXT),
        "min_value": _int(row, "min", path, low=0, high=MAX_QUANTITY, default=None),
        "max_value": _int(row, "max", path, low=0, high=MAX_QUANTITY, default=None),
        "one_time_price": _price(row, "one_time_price", path),
        "recurring_price": _price(row, "recurring_price", path),
        "limits": clean_limits(row.get("limits"), f"{path}.limits"),
        "options": [],
    }
    options = row.get("options")
    if kind in CHOICE_TYPES:
        if not isinstance(options, list) or not options:
            raise _bad(f"{path}.options", gettext("a select or radio field needs a list of options"), "required")
        if len(options) > MAX_OPTIONS:
            raise _bad(f"{path}.options", gettext("at most %(n)s options") % {"n": MAX_OPTIONS}, "too_long")
        clean["options"] = [_option(o, f"{path}.options[{i}]") for i, o in enumerate(options)]
        values = [o["value"] for o in clean["options"]]
        for i, value in enumerate(values):
            if value in values[:i]:
                raise _bad(f"{path}.options[{i}].value", gettext("the same value twice"), "duplicate")
        if clean["default"] and clean["default"] not in values:
            raise _bad(f"{path}.default", gettext("must be one of the options' values"), "invalid_choice")
        if clean["one_time_price"] or clean["recurring_price"] or clean["limits"]:
            raise _bad(
                f"{path}.recurring_price", gettext("a select or radio field is priced by its options"), "invalid"
            )
    elif options not in (None, []):
        raise _bad(f"{path}.options", gettext("only select and radio fields have options"), "invalid")
    if kind != T.NUMBER and (clean["min_value"] is not None or clean["max_value"] is not None):
        raise _bad(f"{path}.min", gettext("only number fields have min and max"), "invalid")
    if kind == T.NUMBER:
        low, high = clean["min_value"] or 0, clean["max_value"]
        if high is not None and high < low:
            raise _bad(f"{path}.max", gettext("must not be less than min"), "out_of_range")
        top = high if high is not None else MAX_QUANTITY
        if clean["default"] and (not clean["default"].isdigit() or not low <= int(clean["default"]) <= top):
            raise _bad(f"{path}.default", gettext("must be a whole number within min and max"), "invalid")
    if kind == T.CHECKBOX and clean["default"] not in ("", "0", "1"):
        raise _bad(f"{path}.default", gettext('must be "1" (ticked) or "0"'), "invalid")
    return clean


def parse_form(value: Any, path: str = "fields") -> list[dict[str, Any]]:
    """An order form's field list (or {"fields": [...]}), checked; raises DomainError naming the place."""
    if isinstance(value, dict):
        _unknown(value, {"fields"}, path.rsplit(".", 1)[0] if "." in path else "form")
        value = value.get("fields")
    if not isinstance(value, list):
        raise _bad(path, gettext("must be a list of fields"), "wrong_type")
    if len(value) > MAX_FIELDS:
        raise _bad(path, gettext("at most %(n)s fields") % {"n": MAX_FIELDS}, "too_long")
    fields = [_field(row, f"{path}[{i}]") for i, row in enumerate(value)]
    codes = [f["code"] for f in fields]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            raise _bad(f"{path}[{i}].code", gettext("the same code twice"), "duplicate")
    return fields


def export_section(product: Any) -> list[dict[str, Any]] | None:
    """The product file's "form" section: the form's fields, or None (left out) when it has none."""
    return export_form(product) or None


def parse_section(value: Any, path: str) -> list[dict[str, Any]]:
    """The product file's "form" section: a field list (or {"fields": [...]}), every error named from
    `path` (`product.form[2].options[0].value`, `product.form.feilds`)."""
    if isinstance(value, dict):
        _unknown(value, {"fields"}, path)
        return parse_form(value.get("fields"), f"{path}.fields")
    return parse_form(value, path)


# --- files ----------------------------------------------------------------------------------------


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases (no "billion laughs": an alias makes a structure whose
    walk grows exponentially) and with a bound on the number of nodes."""

    nodes = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise _bad("file", gettext("line %(line)s: YAML aliases are not allowed") % {"line": mark.line + 1})
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            raise _bad("file", gettext("the file has too many values"), "too_long")
        return super().compose_node(parent, index)


def read_file(content: bytes, filename: str = "") -> Any:
    """A form file (JSON, or YAML for .yml/.yaml) read safely into plain data, for `parse_form` (which
    `actions.form_import` calls) to check; raises DomainError, writes nothing."""
    if len(content) > MAX_FILE_BYTES:
        raise _bad("file", gettext("the file is larger than %(kb)s KB") % {"kb": MAX_FILE_BYTES // 1024}, "too_large")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad("file", gettext("the file is not UTF-8 text"), "invalid") from None
    is_yaml = filename.lower().endswith((".yml", ".yaml"))
    try:
        if is_yaml:
            loader = _SafeLoader(text)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
        else:
            data = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except DomainError:
        raise
    except RecursionError:
        raise _bad("file", gettext("the file is nested too deeply"), "invalid") from None
    except (yaml.YAMLError, ValueError) as exc:
        kind = "YAML" if is_yaml else "JSON"
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise _bad("file", gettext("not valid %(kind)s: %(detail)s") % {"kind": kind, "detail": detail}) from None
    return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")
