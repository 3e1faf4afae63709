"""Paging of list functions, as a real panel pages them.

``p_cnt`` is the page size (1,000 when not sent), ``p_num`` the page number counted from 1;
the reply carries ``p_cnt``, ``p_num`` and ``p_elems`` (the number of elements in the whole
list). A page past the end is empty.
"""

from __future__ import annotations

import re

from .errors import err_value
from .render import DEFAULT_PAGE_SIZE, Doc
from .request import Req

_POSITIVE = re.compile(r"^[1-9][0-9]{0,8}$")


def page_number(req: Req, name: str, default: int) -> int:
    raw = req.p(name).strip()
    if not raw:
        return default
    if not _POSITIVE.match(raw):
        raise err_value(req.lang, name, raw, "a whole number from 1 is expected")
    return int(raw)


def apply_paging(req: Req, doc: Doc) -> Doc:
    if doc.kind == "list":
        doc.page_rows(page_number(req, "p_cnt", DEFAULT_PAGE_SIZE), page_number(req, "p_num", 1))
    return doc
