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
from functools import cache
from importlib import resources
from typing import Any, cast

from jinja2 import (
    BaseLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

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

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        def number(x: Any) -> bool:
            return isinstance(x, int | float | Decimal)

        a, b = cast(Any, left), cast(Any, right)  # operands stay Any: the checks are on values
        if operator == "**":
            if not (number(a) and number(b)) or abs(b) > MAX_POWER:
                raise SecurityError(
                    f"powers are limited to numbers and exponents up to {MAX_POWER}"
                )
            return a**b
        if operator == "*":
            for seq, times in ((a, b), (b, a)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_REPEAT
                ):
                    raise SecurityError(f"repeating gives more than {MAX_REPEAT} items")
            return a * b
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
    env.filters = {name: f for name, f in env.filters.items() if name in BUILTIN_FILTERS}
    env.filters.update(FILTERS)
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
