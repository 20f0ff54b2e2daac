"""Sandboxed Jinja2 templates: render, validate and preview what a creditor may edit.

Templates are user-editable (web and files), so they run in an
``ImmutableSandboxedEnvironment`` narrowed further:

- a template reads only the documented context (``context.CONTEXT_DOC``), given as dicts,
  lists and primitive values; ``x.y`` is a dict lookup, never a Python attribute (the only
  attributes allowed are a ``loop``'s counters);
- no globals (no ``range``, ``cycler``, ``joiner``, ``lipsum``, ``namespace``), no calls
  except to macros the template defines itself, and ``{% include %}`` only of the shipped
  partials (``templates/<lang>/_*.j2``); ``{% extends %}`` and ``{% import %}`` are refused;
- undefined names fail (``StrictUndefined``).

``validate_template(source)`` reports every problem with its line and reason before a template
is saved; ``preview(source, context)`` renders it once validated. Filters: ``money``,
``date``, ``percent``, ``siren``, ``iban`` (French or English by the context's ``lang``).

Shipped templates live in ``templates/{fr,en}/<step>.subject.j2`` and ``<step>.txt.j2``; the
e-mail HTML is derived from the same text (``text_to_html``), never kept apart.

A creditor's edited templates travel on its ``CreditorInfo.templates`` as
``("fr/reminder.txt", source)`` pairs and replace the shipped ones in ``render_step`` (so in
``compose_letter``, the PDF and the e-mail). This layer never reads the database: the editors
app registers a provider (``register_source_provider``) and the app side asks it through
``creditor_sources(key)`` when it builds the context, so letters rendered in worker processes
carry their sources with them. An edited source is validated and compiled once per content
(keyed by its sha256), so a changed template is never served from a stale cache.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any, cast

from jinja2 import (
    BaseLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    nodes,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from relance.documents.context import CONTEXT_DOC, LetterContext, format_iban, format_siren
from relance.domain.money import round_cents
from relance.domain.problems import N_, OneOf, Phrase, Problem
from relance.errors import InvalidInputError, NotFoundError

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

# The steps of the default scenarios (collection/scenarios/*.toml) and the extra documents;
# the brief's and other scenarios' names map onto them.
STEPS: tuple[str, ...] = (
    "courtesy",
    "reminder",
    "invoice_again",
    "call",
    "final_reminder",
    "reminder_letter",
    "formal_notice",
    "escalation",
    "thank_you",
    "promise_confirmation",
    "plan_confirmation",
)
STEP_ALIASES: dict[str, str] = {
    "reminder_1": "reminder",
    "resend_invoice": "invoice_again",
    "call_first": "call",
    "mise_en_demeure": "formal_notice",
}
LETTER_STEPS = frozenset({"reminder_letter", "formal_notice", "escalation"})
# Steps that claim the penalties and indemnities too; the others ask for the principal.
CLAIM_STEPS = frozenset({"formal_notice", "escalation"})


def payable_amount(context: LetterContext, step: str) -> Decimal:
    """What the pay link and the QR code ask for at ``step``."""
    return context.amount_claimed if step_name(step) in CLAIM_STEPS else context.principal


FR_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$"}


class TemplateRefusedError(InvalidInputError):
    """A template that is broken or unsafe; ``problems`` says where and why."""

    code = "template_refused"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


def step_name(step: str) -> str:
    """The shipped template name for a scenario step key (aliases resolved)."""
    name = STEP_ALIASES.get(step, step)
    if name not in STEPS:
        raise NotFoundError(f"No template for step {step!r}; known steps: {', '.join(STEPS)}.")
    return name


# --- filters -------------------------------------------------------------------------------


def format_money(amount: Decimal | int | str, lang: str = "fr", currency: str = "EUR") -> str:
    """An amount as a French or English reader expects it.

    >>> format_money(Decimal("1234.5")), format_money(Decimal("1234.5"), "en")
    ('1\\u202f234,50\\xa0€', '€1,234.50')
    >>> format_money(Decimal("-40"), "en", "GBP")
    '-£40.00'
    """
    value = round_cents(Decimal(amount))
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):,.2f}".split(".")
    symbol = CURRENCY_SIGNS.get(currency, currency)
    if lang == "fr":
        # Narrow no-break space between thousands, no-break space before the sign: the
        # Imprimerie nationale's rules, and no line break inside an amount.
        return f"{sign}{whole.replace(',', chr(0x202F))},{cents}\u00a0{symbol}"
    if len(symbol) > 1:
        return f"{sign}{symbol}\u00a0{whole}.{cents}"
    return f"{sign}{symbol}{whole}.{cents}"


def format_date(day: date | None, lang: str = "fr") -> str:
    """A date in words.

    >>> format_date(date(2026, 11, 23)), format_date(date(2026, 11, 1), "en")
    ('23 novembre 2026', '1 November 2026')
    >>> format_date(date(2026, 11, 1))
    '1er novembre 2026'
    """
    if day is None:
        return ""
    if lang == "fr":
        first = "1er" if day.day == 1 else str(day.day)
        return f"{first} {FR_MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def format_percent(rate: Decimal, lang: str = "fr") -> str:
    """A rate in percent.

    >>> format_percent(Decimal("12.15")), format_percent(Decimal("12.15"), "en")
    ('12,15\\xa0%', '12.15%')
    """
    text = f"{Decimal(rate):.2f}"
    return f"{text.replace('.', ',')}\u00a0%" if lang == "fr" else f"{text}%"


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


# --- validation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Finding:
    line: int
    code: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def problem(self) -> Problem:
        if self.template == _COMPILE:
            return _technical(self.code, self.template, str(self.params["detail"]), self.line)
        return Problem.of(self.code, self.template, self.line, **self.params)


def _technical(code: str, template: str, detail: str, line: int | None) -> Problem:
    """A problem whose English message is Jinja's own ``detail``, unchanged for scripts, and
    whose translatable form puts that detail after a sentence in the reader's language."""
    return Problem(code, detail, line, None, template, {"detail": jinja_reason(detail)})


_TAGS = r"Jinja was looking for the following tags: (?P<tags>.+)\. The innermost block that needs to be closed is '(?P<block>[^']+)'\."
# Jinja's commonest reasons, as its English says them (jinja2's lexer, parser and runtime), each
# with an N_ template that reads the same in English: the reason can then be translated too.
_JINJA_REASONS = [
    (
        re.compile(r"Expected an expression, got (?P<token>'[^']*')"),
        N_("Expected an expression, got %(token)s"),
    ),
    (
        re.compile(r"Unexpected end of template\. " + _TAGS),
        N_(
            "Unexpected end of template. Jinja was looking for the following tags: %(tags)s. "
            "The innermost block that needs to be closed is %(block)r."
        ),
    ),
    (
        re.compile(r"Encountered unknown tag '(?P<tag>[^']+)'\. " + _TAGS),
        N_(
            "Encountered unknown tag %(tag)r. Jinja was looking for the following tags: "
            "%(tags)s. The innermost block that needs to be closed is %(block)r."
        ),
    ),
    (
        re.compile(r"Encountered unknown tag '(?P<tag>[^']+)'\."),
        N_("Encountered unknown tag %(tag)r."),
    ),
    (
        re.compile(r"unexpected end of template, expected (?P<token>'[^']*')\."),
        N_("unexpected end of template, expected %(token)s."),
    ),
    (
        re.compile(r"expected token (?P<expected>'[^']*'), got (?P<token>'[^']*')"),
        N_("expected token %(expected)s, got %(token)s"),
    ),
    (re.compile(r"unexpected (?P<token>'[^']*')"), N_("unexpected %(token)s")),
    (
        re.compile(r"unexpected char (?P<char>\"[^\"]*\"|'[^']*') at (?P<position>\d+)"),
        N_("unexpected char %(char)s at %(position)s"),
    ),
    (re.compile(r"Missing end of comment tag"), N_("Missing end of comment tag")),
    (
        re.compile(r"'(?P<object>[^']+)' has no attribute '(?P<name>[^']+)'"),
        N_("%(object)r has no attribute %(name)r"),
    ),
    (
        re.compile(
            r"access to attribute '(?P<name>[^']+)' of '(?P<object>[^']+)' object is unsafe\."
        ),
        N_("access to attribute %(name)r of %(object)r object is unsafe."),
    ),
    (re.compile(r"'(?P<name>[^']+)' is undefined"), N_("%(name)r is undefined")),
]
# What Jinja calls the tokens it expected or found.
_TOKENS = {
    "end of statement block": N_("'end of statement block'"),
    "end of print statement": N_("'end of print statement'"),
    "end of template": N_("'end of template'"),
    "name": N_("'name'"),
}


def jinja_reason(detail: str) -> Phrase | str:
    """Jinja's English ``detail`` as a translatable phrase reading the same, when it is one of
    the reasons it commonly gives; else the text as it is.

    >>> jinja_reason("Expected an expression, got 'end of statement block'").message
    "Expected an expression, got 'end of statement block'"
    >>> jinja_reason("something new")
    'something new'
    """
    for pattern, template in _JINJA_REASONS:
        match = pattern.fullmatch(detail)
        if match is None:
            continue
        params: dict[str, object] = {}
        for key, value in match.groupdict().items():
            if key in ("token", "expected"):
                bare = value[1:-1]
                params[key] = (
                    Phrase.of(_TOKENS[bare])
                    if bare in _TOKENS
                    else Phrase.of(N_("%(text)r"), text=bare)
                )
            elif key == "tags":
                params[key] = OneOf(re.findall(r"'([^']+)'", value))
            else:
                params[key] = value
        phrase = Phrase(template, params)
        return phrase if phrase.message == detail else detail
    return detail


def validate_template(source: str, *, allowed: Mapping[str, str] = CONTEXT_DOC) -> list[Problem]:
    """Every reason to refuse ``source``, each with its line; empty when it may be saved.

    >>> validate_template("Bonjour {{ debtor.name }}")
    []
    >>> [p.code for p in validate_template("{{ ''.__class__ }}\\n{{ secret }}")]
    ['unsafe_attribute', 'unknown_name']
    >>> validate_template("{% if %}")[0].line
    1
    """
    env = text_environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [
            _technical(
                "syntax", N_("syntax error: %(detail)s"), exc.message or "syntax error", exc.lineno
            )
        ]
    findings = _walk(ast, env)
    declared = {"loop", "caller", "varargs", "kwargs"}
    try:
        undeclared = find_undeclared_variables(ast)
    except TemplateError as exc:  # an unknown filter or test, already reported by _walk
        if not findings:
            line = getattr(exc, "lineno", None) or 1
            findings.append(_Finding(line, "compile", _COMPILE, {"detail": str(exc)}))
        undeclared = set()
    for name in sorted(undeclared - set(allowed) - declared):
        line = next(
            (n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"), 1
        )
        findings.append(
            _Finding(
                line,
                "unknown_name",
                N_("%(name)r is not in the documented context (%(names)s)"),
                {"name": name, "names": ", ".join(sorted(allowed))},
            )
        )
    if not findings:
        try:
            env.compile(source)
        except TemplateError as exc:
            line = getattr(exc, "lineno", None) or 1
            findings.append(_Finding(line, "compile", _COMPILE, {"detail": str(exc)}))
    findings.sort(key=lambda f: f.line)
    return [f.problem() for f in findings]


# Jinja's own reason stays in English after this sentence; the English message is the bare
# reason, as before. The reasons Relance gives itself are all translatable.
_COMPILE = N_("the template cannot be compiled: %(detail)s")


def _walk(ast: nodes.Template, env: DocumentEnvironment) -> list[_Finding]:
    findings: list[_Finding] = []
    macros = {m.name for m in ast.find_all(nodes.Macro)}
    for node in ast.find_all(nodes.Node):
        line = node.lineno
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name == "self":
            findings.append(
                _Finding(line, "unknown_name", N_("'self' is not in the documented context"))
            )
        elif isinstance(node, nodes.Getattr):
            if _unsafe_name(node.attr):
                findings.append(
                    _Finding(
                        line,
                        "unsafe_attribute",
                        N_("access to %(name)r is not allowed"),
                        {"name": node.attr},
                    )
                )
        elif isinstance(node, nodes.Getitem):
            key = node.arg.value if isinstance(node.arg, nodes.Const) else None
            if isinstance(key, str) and _unsafe_name(key):
                findings.append(
                    _Finding(
                        line,
                        "unsafe_attribute",
                        N_("access to %(name)r is not allowed"),
                        {"name": key},
                    )
                )
        elif isinstance(node, nodes.Call):
            target = node.node
            if not (isinstance(target, nodes.Name) and target.name in macros | {"caller"}):
                findings.append(
                    _Finding(
                        line,
                        "call",
                        N_(
                            "calling %(what)s is not allowed; only the template's own macros "
                            "may be called"
                        ),
                        {"what": _describe(target)},
                    )
                )
        elif isinstance(node, nodes.Filter | nodes.Test):
            registry = env.filters if isinstance(node, nodes.Filter) else env.tests
            if node.name not in registry:
                if isinstance(node, nodes.Filter):
                    code, unknown = "unknown_filter", N_("no filter named %(name)r")
                else:
                    code, unknown = "unknown_test", N_("no test named %(name)r")
                findings.append(_Finding(line, code, unknown, {"name": node.name}))
        elif isinstance(node, nodes.Include):
            name = node.template.value if isinstance(node.template, nodes.Const) else None
            if not (isinstance(name, str) and is_partial(name)):
                findings.append(
                    _Finding(
                        line,
                        "include",
                        N_("only the shipped partials (fr/_*.j2, en/_*.j2) may be included"),
                    )
                )
        elif isinstance(node, nodes.Extends | nodes.Import | nodes.FromImport):
            findings.append(_Finding(line, "import", N_("extends and import are not allowed")))
    return findings


def _unsafe_name(name: str) -> bool:
    return name.startswith("_") or name.lower() in FORBIDDEN_NAMES


def _describe(node: nodes.Node) -> str | Phrase:
    if isinstance(node, nodes.Name):
        return Phrase.of(N_("%(text)r"), text=node.name)
    if isinstance(node, nodes.Getattr):
        return Phrase.of(N_("the method %(name)r"), name=node.attr)
    return Phrase.of(N_("an expression"))


# --- rendering -----------------------------------------------------------------------------


def render_source(source: str, variables: Mapping[str, Any], *, html_escape: bool = False) -> str:
    """Render ``source`` (validated first) against template variables; raises when refused."""
    problems = validate_template(source)
    if problems:
        raise TemplateRefusedError(problems)
    return _render_compiled(source, variables, html_escape=html_escape)


def _render_compiled(source: str, variables: Mapping[str, Any], *, html_escape: bool) -> str:
    template = _compiled(source, html_escape)
    try:
        return str(template.render(dict(variables)))
    except SecurityError as exc:
        raise TemplateRefusedError([_unsafe(exc, template_line(exc))]) from exc
    except TemplateError as exc:
        line = getattr(exc, "lineno", None) or template_line(exc)
        raise TemplateRefusedError([_unrenderable(exc, line)]) from exc


@lru_cache(maxsize=1024)  # bounded: previews compile sources a person is still typing
def _compiled(source: str, html_escape: bool) -> Any:
    env = html_environment() if html_escape else text_environment()
    return env.from_string(source)


def preview(source: str, context: LetterContext) -> str | list[Problem]:
    """What ``source`` gives for ``context``, or the problems that refuse it."""
    problems = validate_template(source)
    if problems:
        return problems
    try:
        return _render_compiled(source, context.as_template_vars(), html_escape=False)
    except TemplateRefusedError as exc:
        return list(exc.problems)


@cache
def shipped_source(name: str) -> str:
    """A shipped template's source, ``"fr/formal_notice.txt.j2"`` say."""
    path = resources.files("relance.documents").joinpath(TEMPLATE_ROOT, *name.split("/"))
    if not path.is_file():
        raise NotFoundError(f"No shipped template {name!r}.")
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class RenderedText:
    """A step's document as text: subject, plain body, and the e-mail HTML derived from it."""

    step: str
    lang: str
    subject: str
    text: str

    @property
    def html(self) -> str:
        return text_to_html(self.text)


def _step_variables(context: LetterContext, name: str, language: str) -> dict[str, Any]:
    if language not in ("fr", "en"):
        raise InvalidInputError(f"Unknown language {language!r}; use fr or en.")
    # Channel labels and filters follow the document's language.
    variables = replace(context, lang=language).as_template_vars()  # type: ignore[arg-type]
    amount = payable_amount(context, name)
    variables["pay"] = {**variables["pay"], "amount": amount, "link": context.pay_link(amount)}
    return variables


def render_step(
    context: LetterContext,
    step: str,
    lang: str | None = None,
    *,
    sources: Mapping[str, str] | None = None,
) -> RenderedText:
    """The subject and body of ``step`` for ``context``.

    ``sources`` overrides templates by part (``"subject"``, ``"txt"``); otherwise the creditor's
    edited versions (``context.creditor.templates``) are used, else the shipped ones. Edited
    sources are validated before use.
    """
    name = step_name(step)
    language = lang or context.lang
    variables = _step_variables(context, name, language)
    edited = dict(context.creditor.templates) if context.creditor.templates else {}
    parts: dict[str, str] = {}
    for part in PARTS:
        source = sources.get(part) if sources else None
        if source is None:
            source = edited.get(f"{language}/{name}.{part}")
        if source is not None:
            parts[part] = _render_edited(source, variables)
        else:
            parts[part] = _render_compiled(
                shipped_source(f"{language}/{name}.{part}.j2"), variables, html_escape=False
            )
    return RenderedText(
        step=name, lang=language, subject=fold_subject(parts["subject"]), text=tidy(parts["txt"])
    )


def fold_subject(text: str) -> str:
    """A subject on one line. Only ASCII blanks fold: the no-break spaces inside amounts stay."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def preview_step(
    context: LetterContext, name: str, source: str, lang: str | None = None
) -> str | list[Problem]:
    """What the edited template ``name`` (``"reminder.txt"``) gives for ``context``, laid out as
    ``render_step`` would, or the problems that refuse it."""
    step, part = split_name(name)
    language = lang or context.lang
    problems = checked_problems(source)
    if problems:
        return list(problems)
    try:
        text = _render_edited(source, _step_variables(context, step, language))
    except TemplateRefusedError as exc:
        return list(exc.problems)
    return fold_subject(text) if part == "subject" else tidy(text)


# --- edited templates ----------------------------------------------------------------------

PARTS = ("subject", "txt")
EDITED_CACHE_SIZE = 512
_edited_lock = threading.Lock()
_edited: OrderedDict[str, tuple[tuple[Problem, ...], Any]] = OrderedDict()
SourceProvider = Callable[[str], Iterable[tuple[str, str]]]
_provider: list[SourceProvider] = []


def editable_names() -> list[str]:
    """Every template a creditor may edit: ``<step>.subject`` and ``<step>.txt`` per step."""
    return [f"{step}.{part}" for step in STEPS for part in PARTS]


def split_name(name: str) -> tuple[str, str]:
    """``"reminder.txt"`` (or ``"fr/reminder.txt.j2"``) as (step, part); refuses the others."""
    bare = name.strip().rsplit("/", 1)[-1].removesuffix(".j2")
    step, _, part = bare.rpartition(".")
    if part not in PARTS or step not in STEPS:
        raise NotFoundError(
            f"No editable template {name!r}: use <step>.subject or <step>.txt, step one of "
            f"{', '.join(STEPS)} (the partials _*.j2 are shared and not edited)."
        )
    return step, part


def _entry(source: str) -> tuple[tuple[Problem, ...], Any]:
    """Validation problems and compiled template of an edited source, cached by its sha256."""
    digest = hashlib.sha256(source.encode()).hexdigest()
    with _edited_lock:
        hit = _edited.get(digest)
        if hit is not None:
            _edited.move_to_end(digest)
            return hit
    problems = tuple(validate_template(source))
    compiled = None if problems else text_environment().from_string(source)
    with _edited_lock:
        _edited[digest] = (problems, compiled)
        while len(_edited) > EDITED_CACHE_SIZE:
            _edited.popitem(last=False)
    return problems, compiled


def checked_problems(source: str) -> tuple[Problem, ...]:
    """``validate_template(source)``, remembered by content."""
    return _entry(source)[0]


def _render_edited(source: str, variables: Mapping[str, Any]) -> str:
    problems, template = _entry(source)
    if problems:
        raise TemplateRefusedError(problems)
    try:
        return str(template.render(dict(variables)))
    except SecurityError as exc:
        raise TemplateRefusedError([_unsafe(exc, template_line(exc))]) from exc
    except TemplateError as exc:
        line = getattr(exc, "lineno", None) or template_line(exc)
        raise TemplateRefusedError([_unrenderable(exc, line)]) from exc


def _unsafe(exc: SecurityError, line: int | None) -> Problem:
    return _technical("unsafe", N_("unsafe operation refused: %(detail)s"), str(exc), line)


def _unrenderable(exc: TemplateError, line: int | None) -> Problem:
    return _technical("render", N_("the template cannot be rendered: %(detail)s"), str(exc), line)


def template_line(exc: BaseException) -> int | None:
    """The line of the template being rendered where ``exc`` was raised (Jinja rewrites the
    traceback so that template frames carry template lines), or None."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            return tb.tb_lineno
        tb = tb.tb_next
    return None


def register_source_provider(provider: SourceProvider) -> None:
    """Where ``creditor_sources`` finds edited templates (the editors app registers it)."""
    _provider[:] = [provider]


def creditor_sources(key: str) -> tuple[tuple[str, str], ...]:
    """A creditor's edited templates as ``("fr/reminder.txt", source)`` pairs, for its
    ``CreditorInfo.templates``; empty when nothing is edited or no provider is registered."""
    if not _provider:
        return ()
    return tuple(sorted(_provider[0](key)))


def tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def text_to_html(text: str) -> str:
    """HTML from a rendered text: paragraphs, ``- `` lists, and headed blocks, all escaped.

    >>> text_to_html("Bonjour,\\n\\n- F1 <b>\\n- F2")
    '<p>Bonjour,</p>\\n<ul><li>F1 &lt;b&gt;</li><li>F2</li></ul>'
    """
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    out: list[str] = []
    for block in blocks:
        lines = block.splitlines()
        items = [line for line in lines if line.startswith("- ")]
        head = [line for line in lines if not line.startswith(("- ", "  "))]
        if items and len(head) <= 1 and lines[-1].startswith(("- ", "  ")):
            parts: list[str] = []
            if head and not lines[0].startswith("- "):
                parts.append(f"<p>{html.escape(head[0])}</p>")
            lis: list[str] = []
            for line in lines[1 if parts else 0 :]:
                if line.startswith("- "):
                    lis.append(html.escape(line[2:]))
                elif lis:
                    lis[-1] += "<br>" + html.escape(line.strip())
            parts.append("<ul>" + "".join(f"<li>{li}</li>" for li in lis) + "</ul>")
            out.append("".join(parts))
        else:
            out.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
    return "\n".join(out)


def html_markup(text: str) -> Markup:
    """``text_to_html`` as markup a trusted layout may insert unescaped."""
    return Markup(text_to_html(text))  # noqa: S704 - every piece was escaped by text_to_html
