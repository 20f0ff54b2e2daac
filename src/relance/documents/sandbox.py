"""The sandbox the document templates run in: a Jinja ``ImmutableSandboxedEnvironment`` narrowed
to dict lookups, loop counters and calls of the template's own macros, bounded arithmetic, the
documents' filters and the builtin filters that only transform values, and ``{% include %}``
of the shipped partials only. Also where the shipped sources are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import cache, wraps
from importlib import resources
from typing import Any, cast

from jinja2 import (
    BaseLoader,
    StrictUndefined,
    TemplateNotFound,
    nodes,
    pass_context,
    pass_eval_context,
)
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from relance.documents import budget
from relance.documents.context import format_iban, format_siren
from relance.documents.formatting import format_date, format_money, format_percent
from relance.domain.errors import NotFoundError

TEMPLATE_ROOT = "templates"


MAX_POWER = 64


MAX_REPEAT = 10_000


LOOP_ATTRIBUTES = frozenset(
    {
        "index",
        "index0",
        "revindex",
        "revindex0",
        "first",
        "last",
        "length",
        "depth",
        "depth0",
        "previtem",
        "nextitem",
    }
)


FORBIDDEN_NAMES = frozenset(
    {
        "mro",
        "globals",
        "func_globals",
        "builtins",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "f_globals",
        "f_locals",
        "f_back",
        "tb_frame",
        "im_func",
        "environment",
        "module",
        "self",
        "subclasses",
        "class",
        "base",
        "bases",
        "dict",
        "code",
        "import",
        "eval",
        "exec",
        "getattr",
        "setattr",
        "open",
        "os",
        "sys",
        "config",
        "request",
    }
)


# --- filters -------------------------------------------------------------------------------


def _lang(ctx: Context) -> str:
    value = ctx.get("lang", "fr")
    return value if value in ("fr", "en") else "fr"


def _currency(ctx: Context) -> str:
    totals = ctx.get("totals")
    if isinstance(totals, Mapping):
        return str(totals.get("currency", "EUR"))
    return "EUR"


@pass_context
def _money_filter(ctx: Context, amount: Any, currency: str | None = None) -> str:
    return format_money(amount, _lang(ctx), currency or _currency(ctx))


@pass_context
def _date_filter(ctx: Context, day: Any) -> str:
    if day is not None and not isinstance(day, date):
        raise SecurityError("the date filter takes a date")
    return format_date(day, _lang(ctx))


@pass_context
def _percent_filter(ctx: Context, rate: Any) -> str:
    return format_percent(rate, _lang(ctx))


FILTERS: dict[str, Callable[..., Any]] = {
    "money": _money_filter,
    "date": _date_filter,
    "percent": _percent_filter,
    "siren": format_siren,
    "iban": format_iban,
}


# Jinja's builtin filters that only transform values; ``attr``, ``map``, ``groupby`` and
# friends reach attributes and are left out, and so are ``center``, ``indent`` and ``format``,
# which pad to any width a template asks for.
BUILTIN_FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "default",
        "d",
        "escape",
        "e",
        "first",
        "float",
        "int",
        "join",
        "last",
        "length",
        "count",
        "list",
        "lower",
        "replace",
        "round",
        "safe",
        "string",
        "striptags",
        "sum",
        "title",
        "trim",
        "truncate",
        "upper",
        "wordwrap",
        "wordcount",
        "batch",
        "slice",
        "reverse",
        "sort",
        "unique",
        "max",
        "min",
    }
)


# --- the budget's hooks ----------------------------------------------------------------------
# Every loop, piece of output and concatenation of a parsed template is routed through these
# filters (``_Counted``), so the budget sees all the work a template can do. They take the
# context so that Jinja never runs them once at compile time.


@pass_context
def _counted_items(ctx: Context, items: Any) -> Any:
    for item in items:
        budget.tick()
        yield item


@pass_context
def _written(ctx: Context, value: Any) -> Any:
    budget.spend(budget.weight(value))
    return value


@pass_eval_context
def _joined(eval_ctx: EvalContext, parts: Any) -> Any:
    pieces = list(parts)
    budget.fits(sum(budget.weight(p) for p in pieces))
    out = markup_join(pieces) if eval_ctx.autoescape else str_join(pieces)
    budget.spend(len(out))
    return out


HOOKS: dict[str, Callable[..., Any]] = {
    "_counted_items": _counted_items,
    "_written": _written,
    "_joined": _joined,
}


class _Counted(NodeTransformer):
    """Routes a parsed template's loops, output and ``~`` through the budget's hooks."""

    def _hook(self, name: str, node: nodes.Expr) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = self._hook("_counted_items", cast(nodes.Expr, node.iter))
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        # Literal text stays unescaped under autoescape, as Jinja writes it.
        node.nodes = [
            self._hook(
                "_written",
                nodes.MarkSafeIfAutoescape(n, lineno=n.lineno)
                if isinstance(n, nodes.TemplateData)
                else n,
            )
            for n in node.nodes
        ]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return self._hook("_joined", nodes.List(node.nodes, lineno=node.lineno))


def _bounded_filter(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` counted as a step, its result weighed, and the filters that could build a huge
    value from small ones (``join``, ``replace``, ``batch``, ``slice``) checked first."""

    def weigh(result: Any) -> Any:
        if isinstance(result, str):
            budget.spend(len(result))
        else:
            budget.tick()
        return result

    passes = getattr(f, "jinja_pass_arg", None)

    @wraps(f)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        values = args[1:] if passes is not None else args
        if values:
            if name in WRITES_TEXT:
                budget.fits_value(values[0])  # a list written whole as text
            _check_growth(name, values, kwargs)
        return weigh(f(*args, **kwargs))

    return bounded


# The filters that write their value as text first (a list whole, with every item's text).
WRITES_TEXT = frozenset(
    {
        "capitalize",
        "e",
        "escape",
        "lower",
        "replace",
        "safe",
        "string",
        "striptags",
        "title",
        "trim",
        "truncate",
        "upper",
        "wordcount",
        "wordwrap",
    }
)


def _check_growth(name: str, values: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    value = values[0]
    if name == "replace" and isinstance(value, str) and len(values) >= 3:
        old, new = str(values[1]), str(values[2])
        count = value.count(old) if old else len(value) + 1
        budget.fits(len(value) + count * max(len(new) - len(old), 0))
    elif name == "join" and isinstance(value, Sequence) and not isinstance(value, str):
        sep = values[1] if len(values) > 1 else kwargs.get("d", "")
        size = sum(len(v) if isinstance(v, str) else 24 for v in value)
        budget.fits(size + len(str(sep)) * len(value))
    elif (
        name in ("batch", "slice")
        and len(values) > 1
        and (not isinstance(values[1], int) or values[1] > MAX_REPEAT)
    ):
        raise SecurityError(f"{name} takes at most {MAX_REPEAT} items per group")


# --- environment ---------------------------------------------------------------------------


class _PartialLoader(BaseLoader):
    """Loads only the shipped partials (``<lang>/_name.j2``) for ``{% include %}``."""

    def get_source(
        self, environment: Any, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if not is_partial(template):
            raise TemplateNotFound(template)
        return shipped_source(template), None, lambda: True


def is_partial(name: str) -> bool:
    return bool(re.fullmatch(r"(fr|en)/_[a-z_]+\.(txt|html)\.j2", name))


class DocumentEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, narrowed to dict lookups, loop counters and no calls but macros.

    Arithmetic that could exhaust the machine is bounded: ``**`` takes small exponents, ``*``
    repeats a string or list only up to ``MAX_REPEAT`` items, ``%`` never formats a string.
    """

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template = super()._parse(source, name, filename)
        return cast(nodes.Template, _Counted().visit(template))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        with budget.deeper():
            return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        def number(x: Any) -> bool:
            return isinstance(x, int | float | Decimal)

        a, b = cast(Any, left), cast(Any, right)  # operands stay Any: the checks are on values
        budget.tick()
        if operator == "+":
            if isinstance(a, str | list | tuple) and isinstance(b, str | list | tuple):
                budget.fits(len(a) + len(b))
            return _small(a + b)
        if operator == "**":
            if not (number(a) and number(b)) or abs(b) > MAX_POWER:
                raise SecurityError(
                    f"powers are limited to numbers and exponents up to {MAX_POWER}"
                )
            return _small(a**b)
        if operator == "*":
            for seq, times in ((a, b), (b, a)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_REPEAT
                ):
                    raise SecurityError(f"repeating gives more than {MAX_REPEAT} items")
            return _small(a * b)
        if operator == "%":
            if not (number(a) and number(b)):
                raise SecurityError("% only takes numbers; format values with the filters")
            return a % b
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, LoopContext):
            return attr in LOOP_ATTRIBUTES
        return False

    def is_safe_callable(self, obj: Any) -> bool:
        from jinja2.runtime import Macro

        return isinstance(obj, Macro)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, LoopContext) and attribute in LOOP_ATTRIBUTES:
            return getattr(obj, attribute)
        return self.unsafe_undefined(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping) and isinstance(argument, str):
            return self.getattr(obj, argument)
        if isinstance(obj, Sequence) and isinstance(argument, int | slice):
            try:
                return obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=str(argument))
        if isinstance(argument, str):
            return self.unsafe_undefined(obj, argument)
        return self.undefined(obj=obj, name=str(argument))


def _small(value: Any) -> Any:
    """``value``, refused when it is an integer too large to compute with."""
    if isinstance(value, int) and value.bit_length() > budget.MAX_INT_BITS:
        raise SecurityError(f"numbers are limited to {budget.MAX_INT_BITS} bits")
    return value


def _make_environment(*, autoescape: bool) -> DocumentEnvironment:
    env = DocumentEnvironment(
        loader=_PartialLoader(),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals.clear()
    env.filters = {
        name: _bounded_filter(name, f)
        for name, f in {**env.filters, **FILTERS}.items()
        if name in BUILTIN_FILTERS or name in FILTERS
    }
    env.filters.update(HOOKS)
    return env


@cache
def text_environment() -> DocumentEnvironment:
    return _make_environment(autoescape=False)


@cache
def html_environment() -> DocumentEnvironment:
    return _make_environment(autoescape=True)


@cache
def shipped_source(name: str) -> str:
    """A shipped template's source, ``"fr/formal_notice.txt.j2"`` say."""
    path = resources.files("relance.documents").joinpath(TEMPLATE_ROOT, *name.split("/"))
    if not path.is_file():
        raise NotFoundError(f"No shipped template {name!r}.")
    return path.read_text(encoding="utf-8")
