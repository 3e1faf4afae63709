"""Response documents and their serialisation to the panel's output formats.

A response is a :class:`Doc`. Its content is a list of ``(name, value)`` children
where a value is

* ``str``     a scalar element: XML ``<name>v</name>``, JSON ``{"$": "v"}``;
              the empty string is an empty element (``<name/>`` / ``{}``)
* :class:`Loc` a localised scalar carrying the internal value:
              XML ``<name orig="o">text</name>``, JSON ``{"$orig": "o", "$": "text"}``
* :class:`Node` an element with attributes, optional text and children
* ``list``    the same element repeated (XML repeated tags, JSON array)

List functions keep their elements as :class:`Row` dicts (field -> str/Loc); each Row
caches its own serialisation per (format, lang) so that long lists render quickly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

_enc = json.encoder.encode_basestring  # C accelerated; keeps non-ASCII as UTF-8
_first = itemgetter(0)


class Loc:
    """A localised value: the displayed text plus the internal value (``$orig``)."""

    __slots__ = ("text", "orig")

    def __init__(self, text: str, orig: str) -> None:
        self.text = text
        self.orig = orig

    def __repr__(self) -> str:
        return f"Loc({self.text!r}, orig={self.orig!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Loc) and other.text == self.text and other.orig == self.orig


class Node:
    """An element with attributes (``$name`` keys in JSON), text and children."""

    __slots__ = ("attrs", "text", "children")

    def __init__(
        self,
        attrs: dict[str, str] | None = None,
        text: str = "",
        children: list[tuple[str, Any]] | None = None,
    ) -> None:
        self.attrs = attrs or {}
        self.text = text
        self.children = children or []


class Row(dict[str, Any]):
    """One element of a list; ``cache`` holds rendered fragments keyed by (fmt, lang).

    ``shared`` may hold a second Row of ``limit_*`` fields shared by many elements (users
    of the same plan have identical limit blocks); it is rendered once and spliced in.
    All its keys must start with ``limit_`` and must not occur in the row itself.
    """

    __slots__ = ("cache", "shared")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache: dict[tuple[str, str], str] = {}
        self.shared: Row | None = None

    def all_items(self) -> list[tuple[str, Any]]:
        items = list(self.items())
        if self.shared is not None:
            items.extend(self.shared.items())
        return items


SHARED_PREFIX = "limit_"
DEFAULT_PAGE_SIZE = 1000


class Doc:
    """A response document. ``kind`` is one of ok, list, form, data, error, html."""

    __slots__ = ("kind", "items", "rows", "row_key", "bare", "error", "html", "status", "headers") + (
        "p_cnt",
        "p_num",
        "p_elems",
    )

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.items: list[tuple[str, Any]] = []
        self.rows: list[Row] = []
        self.row_key = "name"
        self.bare = False
        self.error: tuple[str, str, str, str, str] | None = None
        self.html = ""
        self.status = 200
        self.headers: list[tuple[str, str]] = []
        # paging of a list: page size, page number (from 1), number of elements in the whole list
        self.p_cnt = DEFAULT_PAGE_SIZE
        self.p_num = 1
        self.p_elems = 0

    def page_rows(self, p_cnt: int, p_num: int) -> None:
        """Keep only page ``p_num`` (from 1) of ``p_cnt`` rows; remember the whole list's size."""
        self.p_elems = len(self.rows)
        self.p_cnt = p_cnt
        self.p_num = p_num
        start = (p_num - 1) * p_cnt
        self.rows = self.rows[start : start + p_cnt]

    # -- constructors -----------------------------------------------------
    @classmethod
    def ok(cls, elid: str | None = None) -> Doc:
        doc = cls("ok")
        doc.items.append(("ok", ""))
        if elid is not None:
            doc.items.append(("id", elid))
        return doc

    @classmethod
    def listing(cls, rows: list[Row], key: str = "name") -> Doc:
        doc = cls("list")
        doc.rows = rows
        doc.p_elems = len(rows)
        doc.row_key = key
        return doc

    @classmethod
    def form(cls, items: list[tuple[str, Any]]) -> Doc:
        doc = cls("form")
        doc.items = items
        return doc

    @classmethod
    def data(cls, items: list[tuple[str, Any]]) -> Doc:
        doc = cls("data")
        doc.items = items
        return doc

    @classmethod
    def page(cls, html: str, status: int = 200) -> Doc:
        doc = cls("html")
        doc.html = html
        doc.status = status
        return doc


# ---------------------------------------------------------------------------
# Rendering context


class Ctx:
    """What the renderer needs to know about the request."""

    __slots__ = ("fmt", "lang", "func", "host", "binary", "tparams")

    def __init__(
        self,
        fmt: str,
        lang: str,
        func: str,
        host: str,
        binary: str,
        tparams: list[tuple[str, str]],
    ) -> None:
        self.fmt = fmt
        self.lang = lang
        self.func = func
        self.host = host
        self.binary = binary
        self.tparams = tparams


FEATURES = "ed13fed30f9503fcf2cdf0415231f846"
LOCALDIR = "local_e6a1a7e5a1a7/"

CONTENT_TYPES = {
    "xml": "text/xml; charset=UTF-8",
    "devel": "text/xml; charset=UTF-8",
    "json": "application/json; charset=UTF-8",
    "sjson": "application/json; charset=UTF-8",
    "JSONdata": "application/json; charset=UTF-8",
    "text": "text/plain; charset=UTF-8",
    "html": "text/html; charset=UTF-8",
}
FORMATS = ("xml", "devel", "json", "sjson", "JSONdata", "text")


def doc_attrs(ctx: Ctx) -> list[tuple[str, str]]:
    host = ctx.host
    logolink = host.rsplit(":", 1)[0] if host.count(":") > 1 else host
    return [
        ("lang", ctx.lang),
        ("func", ctx.func),
        ("binary", ctx.binary),
        ("host", host),
        ("themename", "dragon"),
        ("features", FEATURES),
        ("notify", ""),
        ("theme", "/manimg/dragon/"),
        ("css", "main.css"),
        ("logo", "logo.png"),
        ("logolink", logolink),
        ("favicon", "favicon.ico"),
        ("localdir", LOCALDIR),
    ]


def _tparams_node(ctx: Ctx) -> Node:
    return Node(children=list(ctx.tparams))


def _top_children(doc: Doc, ctx: Ctx, with_meta: bool) -> list[tuple[str, Any]]:
    """Children of <doc> after the content (lists handled separately)."""
    tail: list[tuple[str, Any]] = []
    if doc.kind == "list" and with_meta:
        cols = [k for k, _ in doc.rows[0].all_items()][:8] if doc.rows else [doc.row_key]
        tail.append(
            (
                "metadata",
                Node(
                    {"name": ctx.func, "type": "list", "key": doc.row_key, "mgr": "ispmgr"},
                    children=[
                        (
                            "coldata",
                            Node(
                                children=[
                                    (
                                        "col",
                                        [Node({"type": "data", "name": c, "sort": "alpha"}) for c in cols],
                                    )
                                ]
                            ),
                        )
                    ],
                ),
            )
        )
        tail += [
            ("p_cnt", str(doc.p_cnt)),
            ("p_elems", str(doc.p_elems)),
            ("p_num", str(doc.p_num)),
            ("p_order", "asc"),
            ("p_sort", doc.row_key),
        ]
    if doc.kind != "error" or not doc.bare:
        tail.append(("saved_filters", ""))
        tail.append(("tparams", _tparams_node(ctx)))
    return tail


# ---------------------------------------------------------------------------
# XML


def xml_text(s: str) -> str:
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    return s


def xml_attr(s: str) -> str:
    s = xml_text(s)
    if '"' in s:
        s = s.replace('"', "&quot;")
    return s


def _x(name: str, value: Any, out: list[str]) -> None:
    t = type(value)
    if t is str:
        if value:
            out.append(f"<{name}>{xml_text(value)}</{name}>")
        else:
            out.append(f"<{name}/>")
    elif t is Loc:
        out.append(f'<{name} orig="{xml_attr(value.orig)}">{xml_text(value.text)}</{name}>')
    elif t is Node:
        attrs = "".join(f' {k}="{xml_attr(v)}"' for k, v in value.attrs.items())
        if not value.text and not value.children:
            out.append(f"<{name}{attrs}/>")
            return
        out.append(f"<{name}{attrs}>")
        if value.text:
            out.append(xml_text(value.text))
        for cname, cval in value.children:
            _x(cname, cval, out)
        out.append(f"</{name}>")
    elif t is list:
        for item in value:
            _x(name, item, out)
    else:  # pragma: no cover - defensive
        _x(name, str(value), out)


def _xml_fields(items: Iterable[tuple[str, Any]], parts: list[str]) -> None:
    for k, v in items:
        if type(v) is str:
            parts.append(f"<{k}>{xml_text(v)}</{k}>" if v else f"<{k}/>")
        else:
            _x(k, v, parts)


def _xml_row(row: Row) -> str:
    parts = ["<elem>"]
    _xml_fields(row.items(), parts)
    shared = row.shared
    if shared is not None:
        key = ("xml", "")
        block = shared.cache.get(key)
        if block is None:
            block_parts: list[str] = []
            _xml_fields(shared.items(), block_parts)
            block = shared.cache[key] = "".join(block_parts)
        parts.append(block)
    parts.append("</elem>")
    return "".join(parts)


def render_xml(doc: Doc, ctx: Ctx) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    if doc.bare:
        out.append("<doc>")
    else:
        attrs = "".join(f' {k}="{xml_attr(v)}"' for k, v in doc_attrs(ctx))
        out.append(f"<doc{attrs}>")
    for name, value in doc.items:
        _x(name, value, out)
    if doc.rows:
        key = ("xml", ctx.lang)
        for row in doc.rows:
            s = row.cache.get(key)
            if s is None:
                s = row.cache[key] = _xml_row(row)
            out.append(s)
    for name, value in _top_children(doc, ctx, with_meta=ctx.fmt == "devel"):
        _x(name, value, out)
    out.append("</doc>\n")
    return "".join(out)


# ---------------------------------------------------------------------------
# json / sjson


def _j(value: Any, sort: bool) -> str:
    t = type(value)
    if t is str:
        return '{"$":' + _enc(value) + "}" if value else "{}"
    if t is Loc:
        return '{"$orig":' + _enc(value.orig) + ',"$":' + _enc(value.text) + "}"
    if t is Node:
        parts = ['"$' + k + '":' + _enc(v) for k, v in value.attrs.items()]
        if value.text:
            parts.append('"$":' + _enc(value.text))
        children = value.children
        if sort:
            children = sorted(children, key=_first)
        for cname, cval in children:
            parts.append(_enc(cname) + ":" + _j(cval, sort))
        return "{" + ",".join(parts) + "}"
    if t is list:
        return "[" + ",".join(_j(v, sort) for v in value) + "]"
    return _j(str(value), sort)  # pragma: no cover - defensive


_JSON_PREFIX: dict[str, str] = {}
_JSON_EMPTY: dict[str, str] = {}


def _json_key(k: str) -> str:
    prefix = _JSON_PREFIX.get(k)
    if prefix is None:
        quoted = _enc(k)
        prefix = _JSON_PREFIX[k] = quoted + ':{"$":'
        _JSON_EMPTY[k] = quoted + ":{}"
    return prefix


def _json_fields(items: Iterable[tuple[str, Any]], sort: bool, parts: list[str]) -> None:
    append = parts.append
    prefixes = _JSON_PREFIX
    empties = _JSON_EMPTY
    for k, v in items:
        if type(v) is str:
            if v:
                prefix = prefixes.get(k) or _json_key(k)
                append(prefix + _enc(v) + "}")
            else:
                empty = empties.get(k)
                if empty is None:
                    _json_key(k)
                    empty = empties[k]
                append(empty)
        else:
            append(_enc(k) + ":" + _j(v, sort))


def _json_row(row: Row, sort: bool) -> str:
    parts: list[str] = []
    shared = row.shared
    if shared is None:
        _json_fields(sorted(row.items(), key=_first) if sort else row.items(), sort, parts)
        return "{" + ",".join(parts) + "}"
    key = ("sjson" if sort else "json", "")
    block = shared.cache.get(key)
    if block is None:
        block_parts: list[str] = []
        _json_fields(sorted(shared.items(), key=_first) if sort else shared.items(), sort, block_parts)
        block = shared.cache[key] = ",".join(block_parts)
    if not sort:
        _json_fields(row.items(), sort, parts)
        if block:
            parts.append(block)
        return "{" + ",".join(parts) + "}"
    items = sorted(row.items(), key=_first)
    _json_fields((kv for kv in items if kv[0] < SHARED_PREFIX), sort, parts)
    if block:
        parts.append(block)
    _json_fields((kv for kv in items if kv[0] > SHARED_PREFIX), sort, parts)
    return "{" + ",".join(parts) + "}"


def render_json(doc: Doc, ctx: Ctx, sort: bool) -> str:
    parts: list[str] = []
    if not doc.bare:
        parts = ['"$' + k + '":' + _enc(v) for k, v in doc_attrs(ctx)]
    # (name, pieces) - pieces are joined once at the end to avoid copying long lists
    children: list[tuple[str, list[str]]] = [(name, [_j(value, sort)]) for name, value in doc.items]
    if doc.rows:
        key = ("sjson" if sort else "json", ctx.lang)
        rendered = ["["]
        first = True
        for row in doc.rows:
            s = row.cache.get(key)
            if s is None:
                s = row.cache[key] = _json_row(row, sort)
            if first:
                first = False
            else:
                rendered.append(",")
            rendered.append(s)
        rendered.append("]")
        children.append(("elem", rendered))
    children.extend((name, [_j(value, sort)]) for name, value in _top_children(doc, ctx, with_meta=True))
    if sort:
        children.sort(key=_first)
    out = ['{"doc":{', ",".join(parts)]
    sep = "," if parts else ""
    for name, pieces in children:
        out.append(sep)
        sep = ","
        out.append(_enc(name) + ":")
        out.extend(pieces)
    out.append("}}")
    return "".join(out)


# ---------------------------------------------------------------------------
# JSONdata (flat)


def _flat(value: Any) -> Any:
    t = type(value)
    if t is str:
        return value
    if t is Loc:
        return value.text
    if t is Node:
        if value.attrs:
            return dict(value.attrs)
        if value.children:
            return {k: _flat(v) for k, v in value.children}
        return value.text
    if t is list:
        return [_flat(v) for v in value]
    return str(value)  # pragma: no cover


def _flat_dict(row: Row) -> str:
    return json.dumps({k: (v if type(v) is str else _flat(v)) for k, v in row.items()}, ensure_ascii=False)


def _flat_row(row: Row) -> str:
    base = _flat_dict(row)
    shared = row.shared
    if shared is None or not shared:
        return base
    key = ("JSONdata", "")
    block = shared.cache.get(key)
    if block is None:
        block = shared.cache[key] = _flat_dict(shared)
    return base[:-1] + ", " + block[1:] if len(base) > 2 else block


def render_jsondata(doc: Doc, ctx: Ctx) -> str:
    if doc.kind == "error" and doc.error is not None:
        etype, obj, value, msg, detail = doc.error
        return json.dumps(
            {"error": {"code": etype, "object": obj, "value": value, "msg": msg, "detail": detail}},
            ensure_ascii=False,
        )
    if doc.kind == "list":
        key = ("JSONdata", ctx.lang)
        rendered = []
        for row in doc.rows:
            s = row.cache.get(key)
            if s is None:
                s = row.cache[key] = _flat_row(row)
            rendered.append(s)
        return "[" + ",".join(rendered) + "]"
    data: dict[str, Any] = {}
    for name, value in doc.items:
        if name in ("slist", "messages"):  # data only: no option lists, no UI messages
            continue
        data[name] = _flat(value)
    return json.dumps(data, ensure_ascii=False)


# ---------------------------------------------------------------------------
# text (mgrctl style)


def _t(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Loc):
        return value.text
    return str(_flat(value))


def render_text(doc: Doc, ctx: Ctx) -> str:
    if doc.kind == "error" and doc.error is not None:
        etype, obj, value, msg, detail = doc.error
        return f"ERROR {etype}({obj}): {msg}\n"
    if doc.kind == "list":
        key = ("text", ctx.lang)
        lines = []
        for row in doc.rows:
            s = row.cache.get(key)
            if s is None:
                s = " ".join(f"{k}={_t(v)}" for k, v in row.items())
                shared = row.shared
                if shared:
                    block = shared.cache.get(("text", ""))
                    if block is None:
                        block = shared.cache[("text", "")] = " ".join(f"{k}={_t(v)}" for k, v in shared.items())
                    s = f"{s} {block}" if s else block
                row.cache[key] = s
            lines.append(s)
        return "\n".join(lines) + ("\n" if lines else "")
    if doc.kind == "ok":
        lines = ["OK"]
        lines += [f"{k}={_t(v)}" for k, v in doc.items if k not in ("ok", "messages")]
        return "\n".join(lines) + "\n"
    lines = []
    for name, value in doc.items:
        if name == "slist":
            continue
        if type(value) is Node and value.attrs:
            lines.append(" ".join(f"{k}={v}" for k, v in value.attrs.items()))
        else:
            lines.append(f"{name}={_t(value)}")
    return "\n".join(lines) + ("\n" if lines else "")


def render(doc: Doc, ctx: Ctx) -> tuple[bytes, str]:
    """Serialise ``doc`` in ``ctx.fmt``; returns (body, content type)."""
    if doc.kind == "html":
        return doc.html.encode("utf-8"), CONTENT_TYPES["html"]
    fmt = ctx.fmt
    if fmt == "json":
        body = render_json(doc, ctx, sort=False)
    elif fmt == "sjson":
        body = render_json(doc, ctx, sort=True)
    elif fmt == "JSONdata":
        body = render_jsondata(doc, ctx)
    elif fmt == "text":
        body = render_text(doc, ctx)
    else:
        body = render_xml(doc, ctx)
    return body.encode("utf-8"), CONTENT_TYPES.get(fmt, CONTENT_TYPES["xml"])
