"""The sandbox staff-written notification templates render in: Jinja2's immutable sandbox with no
loader, a short list of filters, no globals but a small `range`, and limits on loops, values and output.

A template sees only the plain data handed to it (`notifications.context` makes it); it cannot read
attributes that start with an underscore, call anything but a few harmless string and dict
methods, include or import files, or run for long: loops share a budget of iterations, repeated
strings and lists are capped, and the output stops at a fixed size.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from jinja2 import ChainableUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_SOURCE = 50_000  # characters of one template
MAX_OUTPUT = 200_000  # characters one template may produce
MAX_VALUE = 20_000  # length of a string or list a template builds
MAX_ITERATIONS = 10_000  # loop iterations of one rendering, all loops together
MAX_RANGE = 1_000

# Filters kept: none of them reaches outside its value or builds something unbounded.
SAFE_FILTERS = {
    "abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "groupby",
    "int", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
    "reverse", "round", "select", "selectattr", "sort", "string", "striptags", "sum", "title", "trim",
    "truncate", "unique", "upper", "urlencode", "wordcount", "batch", "slice",
}  # fmt: skip
SAFE_STR_METHODS = {
    "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith", "endswith",
    "split", "isdigit", "isalpha", "islower", "isupper",
}  # fmt: skip
# Tags that reach other templates, change escaping or define callables.
FORBIDDEN_NODES: dict[type[nodes.Node], str] = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "import",
    nodes.Extends: "extends",
    nodes.Block: "block",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.EvalContextModifier: "autoescape",
    nodes.ScopedEvalContextModifier: "autoescape",
}
FORBIDDEN_NAMES = {"self", "caller", "varargs", "kwargs", "_loop_budget", "_concat"}


class TemplateRejected(TemplateError):
    """A template uses something the sandbox does not allow; `lineno` is the line at fault."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.lineno = lineno


class Empty(ChainableUndefined):
    """An unknown variable (or one the sandbox refuses) renders as nothing, however deep it is walked."""

    __slots__ = ()


_iterations: contextvars.ContextVar[list[int]] = contextvars.ContextVar("notification_template_iterations")


def _loop_budget(iterable: Iterable[Any]) -> Iterator[Any]:
    counter = _iterations.get()
    for item in iterable:
        counter[0] += 1
        if counter[0] > MAX_ITERATIONS:
            raise SecurityError(f"the template's loops ran more than {MAX_ITERATIONS} times")
        yield item


def _check_size(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_VALUE:
        raise SecurityError(f"the template built a value longer than {MAX_VALUE}")
    return value


def _concat(*parts: Any) -> str:
    return _check_size("".join(str(p) for p in parts))


def _range(*args: Any) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE} numbers in templates")
    return result


def _date(value: Any, fmt: str = "DATE_FORMAT") -> str:
    """A date in the reader's language: `|date`, `|date("SHORT_DATE_FORMAT")` or a Django date format."""
    if not isinstance(value, dt.date) or isinstance(value, Empty):
        return "" if value is None or isinstance(value, Empty) else str(value)
    if len(str(fmt)) > 40:
        raise SecurityError("date format too long")
    return formats.date_format(value, str(fmt))


def _money(value: Any, currency: Any = "") -> str:
    """An amount with two decimals (half up), optionally followed by its currency."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    return f"{amount} {currency}".strip() if currency and not isinstance(currency, Empty) else str(amount)


def _shown(value: Any) -> Any:
    """What `{{ … }}` prints: a method or function prints nothing (never its address)."""
    return "" if callable(value) and not isinstance(value, Empty) else value


class _Guard(NodeTransformer):
    """Refuses the forbidden tags and names, and routes every loop and `~` through the limits."""

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        for kind, tag in FORBIDDEN_NODES.items():
            if isinstance(node, kind):
                raise TemplateRejected(f"{{% {tag} %}} is not allowed in notification templates", node.lineno)
        if isinstance(node, nodes.Name) and node.name in FORBIDDEN_NAMES:
            raise TemplateRejected(f"“{node.name}” is not available in notification templates", node.lineno)
        if isinstance(node, nodes.For) and node.recursive:
            raise TemplateRejected("recursive loops are not allowed in notification templates", node.lineno)
        node = super().generic_visit(node, *args, **kwargs)
        if isinstance(node, nodes.For):
            node.iter = nodes.Call(nodes.Name("_loop_budget", "load"), [node.iter], [], None, None, lineno=node.lineno)
        elif isinstance(node, nodes.Concat):
            return nodes.Call(nodes.Name("_concat", "load"), list(node.nodes), [], None, None, lineno=node.lineno)
        return node


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, narrowed (see the module's docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def __init__(self, *, html: bool) -> None:
        super().__init__(
            loader=None, autoescape=html, undefined=Empty, extensions=[], auto_reload=False, finalize=_shown
        )
        self.filters = {name: FILTERS[name] for name in SAFE_FILTERS}
        self.filters.update(date=_date, money=_money)
        self.globals = {"range": _range, "_loop_budget": _loop_budget, "_concat": _concat}

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Templates get plain dicts: `order.items` is the order's items, never the dict's method.
        if isinstance(obj, dict):
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if isinstance(left, Empty) or isinstance(right, Empty):
            return self.undefined()
        if op == "**":
            if not isinstance(right, int | Decimal | float) or abs(right) > 64 or abs(left) > 10**6:
                raise SecurityError("** is limited to small numbers in templates")
        elif op == "%" and isinstance(left, str):
            raise SecurityError("% string formatting is not available in templates")
        elif op == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    _check_size(range(max(len(seq) * times, 0)))
        elif op == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            _check_size(range(len(left) + len(right)))
        return _check_size(super().call_binop(context, op, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if isinstance(__obj, Empty):
            return __self.undefined()
        if __obj in (_range, _loop_budget, _concat):
            return __context.call(__obj, *args, **kwargs)
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", "")
        allowed = (isinstance(owner, str) and name in SAFE_STR_METHODS) or (
            isinstance(owner, LoopContext) and name in ("cycle", "changed")
        )
        if not allowed:
            raise SecurityError(f"calling {name or type(__obj).__name__!s} is not allowed in templates")
        return _check_size(__context.call(__obj, *args, **kwargs))


_ENVS = {False: Sandbox(html=False), True: Sandbox(html=True)}


def compile_source(source: str, *, html: bool) -> Any:
    """Parse and check a template; raises TemplateSyntaxError or TemplateRejected (both with `lineno`)."""
    if len(source) > MAX_SOURCE:
        raise TemplateRejected(f"a template has at most {MAX_SOURCE} characters", 1)
    env = _ENVS[html]
    tree = env.parse(source)
    tree = _Guard().visit(tree)
    return env.from_string(tree)


@functools.lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Any:
    """A checked template, compiled once per process: every notification renders the same few
    sources. Safe to share: a render's limits live in a context variable, not in the template."""
    return compile_source(source, html=html)


def render(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    """Render `source` on `context` (plain data only). Raises TemplateError for any refusal."""
    template = _compiled(source, html)
    token = _iterations.set([0])
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise SecurityError(f"the template produced more than {MAX_OUTPUT} characters")
            out.append(chunk)
    except TemplateError:
        raise
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError, MemoryError) as exc:
        raise TemplateRejected(f"{type(exc).__name__}: {exc}") from exc
    finally:
        _iterations.reset(token)
    return "".join(out)


def error_line(exc: Exception) -> str:
    """A template error for staff: the message and, when known, the line."""
    lineno = getattr(exc, "lineno", None)
    message = getattr(exc, "message", None) or str(exc)
    return f"line {lineno}: {message}" if lineno else str(message)
