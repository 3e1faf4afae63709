"""One generic form handler (``X.edit``) driven by a topic's field specs.

A field spec maps a field name to ``(kind, default)``; kind ``flag`` values are
normalised to ``on``/``off``, ``str`` values are stored as sent. A form function

* without ``sok`` reads: the empty create form (defaults) or, with ``elid``, the record;
* with ``sok`` and no ``elid`` creates (the topic's ``create`` validates and stores);
* with ``sok`` and ``elid`` changes only the fields sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .common import find, norm_flag
from .render import Doc
from .request import Req

FieldSpec = dict[str, tuple[str, str]]
Record = dict[str, Any]
Items = list[tuple[str, Any]]


def norm_field(req: Req, spec: FieldSpec, field: str, value: str) -> str:
    return norm_flag(req, field, value) if spec[field][0] == "flag" else value


def fill_fields(req: Req, spec: FieldSpec, values: dict[str, str]) -> Record:
    """Every field of ``spec``: the sent value (normalised) or the default."""
    return {field: norm_field(req, spec, field, values.get(field, default)) for field, (_, default) in spec.items()}


def sent_fields(req: Req, spec: FieldSpec, prefix: str = "") -> dict[str, str]:
    return {field: req.p(prefix + field) for field in spec if req.has(prefix + field)}


@dataclass(frozen=True)
class EditSpec:
    """How one ``X.edit`` function reads, creates and changes its records."""

    coll: str
    obj: str
    fields: FieldSpec
    head: Callable[[Req, Record | None], Items]  # the form's leading items (elid, name, owner ...)
    create: Callable[[Req], str]  # validate, store, return the new id
    collect: Callable[[Req], dict[str, str]] | None = None  # sent values (default: the spec's fields)
    update: Callable[[Req, Record, dict[str, str]], None] | None = None  # extra work before the fields
    check: Callable[[Req, Record], None] | None = None  # validation after the fields changed
    lookup: Callable[[Req, str], Record] | None = None
    prefix: str = ""

    def find(self, req: Req, elid: str) -> Record:
        return self.lookup(req, elid) if self.lookup else find(req, self.coll, elid, self.obj)


def form_items(spec: EditSpec, req: Req, rec: Record | None) -> Items:
    items = spec.head(req, rec)
    for field, (_, default) in spec.fields.items():
        items.append((spec.prefix + field, default if rec is None else str(rec.get(field, ""))))
    return items


def edit(req: Req, spec: EditSpec) -> Doc:
    elid = req.p("elid").strip()
    if not req.sok:
        return Doc.form(form_items(spec, req, spec.find(req, elid) if elid else None))
    if not elid:
        return Doc.ok(spec.create(req))
    rec = spec.find(req, elid)
    values = spec.collect(req) if spec.collect else sent_fields(req, spec.fields, spec.prefix)
    if spec.update:
        spec.update(req, rec, values)
    for field, value in values.items():
        if field in spec.fields:
            rec[field] = norm_field(req, spec.fields, field, value)
    if spec.check:
        spec.check(req, rec)
    req.state.touch(spec.coll, elid)
    return Doc.ok()
