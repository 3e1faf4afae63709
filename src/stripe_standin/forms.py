"""Stripe's form encoding: `metadata[reference]=x&line_items[0][quantity]=1&expand[]=y` to nested values."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class FormError(ValueError):
    """A parameter Stripe would refuse (bad name or value); `param` names it."""

    def __init__(self, message: str, param: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def parse(query: str) -> dict[str, Any]:
    """Decode a query string or form body into nested dicts; dicts whose keys are all indexes become lists."""
    root: dict[str, Any] = {}
    for raw_key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        match = _KEY.match(raw_key)
        if not match:
            raise FormError(f"Invalid parameter name: {raw_key}")
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: dict[str, Any] = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # `expand[]`: append
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise FormError(f"Invalid parameter name: {raw_key}")
                node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def as_bool(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "yes")


def as_int(value: Any, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise FormError(f"Invalid integer: {value}", name) from None
    return number


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]
