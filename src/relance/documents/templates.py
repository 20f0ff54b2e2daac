"""Sandboxed Jinja2 templates: render, validate and preview what a creditor may edit.

Templates are user-editable (web and files), so they run in an
``ImmutableSandboxedEnvironment`` narrowed further:

- a template reads only the documented context (``context_doc.CONTEXT_DOC``), given as dicts,
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
The sandbox and the filters are in ``sandbox``, the checks in ``template_checks``, the way
amounts and dates are written in ``formatting``; this module renders.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import (
    TemplateError,
)
from jinja2.exceptions import SecurityError
from markupsafe import Markup

from relance.documents import budget
from relance.documents.agency import agency_mentions
from relance.documents.context import LetterContext
from relance.documents.sandbox import html_environment, shipped_source, text_environment
from relance.documents.template_checks import technical_problem, validate_template
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.problems import N_, Problem

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
    "plan_declined",
)


STEP_ALIASES: dict[str, str] = {
    "reminder_1": "reminder",
    "resend_invoice": "invoice_again",
    "call_first": "call",
    "mise_en_demeure": "formal_notice",
}


LETTER_STEPS = frozenset({"reminder_letter", "formal_notice", "escalation"})


# Documents that answer the debtor and ask for nothing (``collection.confirmations``).
ANSWER_STEPS = frozenset({"thank_you", "promise_confirmation", "plan_confirmation"})
# Steps that claim the penalties and indemnities too; the others ask for the principal.
CLAIM_STEPS = frozenset({"formal_notice", "escalation"})


def payable_amount(context: LetterContext, step: str) -> Decimal:
    """What the pay link and the QR code ask for at ``step``."""
    return context.amount_claimed if step_name(step) in CLAIM_STEPS else context.principal


class TemplateRefusedError(InvalidInputError):
    """A template that is broken or unsafe; ``problems`` says where and why."""

    code = "template_refused"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


# What each limit of the render budget says when a template passes it.
_BUDGET_REASONS = {
    "steps": N_(
        "the template stopped after %(limit)s steps (loop turns and calls): it does too much "
        "work for one message; simplify its loops and macros"
    ),
    "time": N_(
        "the template stopped after %(limit)s seconds: it takes too long to write one message; "
        "simplify its loops and macros"
    ),
    "output": N_(
        "the template stopped after writing %(limit)s characters: no message is that long"
    ),
    "depth": N_(
        "the template's macros call each other too deeply (more than %(limit)s levels): a "
        "macro that calls itself without end?"
    ),
}


class TemplateBudgetError(TemplateRefusedError):
    """A template that went past its render budget (time, size, work or macro depth)."""

    code = "template_budget"

    def __init__(self, exceeded: budget.BudgetExceeded, line: int | None) -> None:
        limit = exceeded.limit or budget.MAX_DEPTH
        shown = f"{limit:g}" if isinstance(limit, float) else f"{limit:,}".replace(",", " ")
        super().__init__([Problem.of("budget", _BUDGET_REASONS[exceeded.kind], line, limit=shown)])
        self.kind = exceeded.kind


def step_name(step: str) -> str:
    """The shipped template name for a scenario step key (aliases resolved)."""
    name = STEP_ALIASES.get(step, step)
    if name not in STEPS:
        raise NotFoundError(f"No template for step {step!r}; known steps: {', '.join(STEPS)}.")
    return name


# --- rendering -----------------------------------------------------------------------------


def render_source(source: str, variables: Mapping[str, Any], *, html_escape: bool = False) -> str:
    """Render ``source`` (validated first) against template variables; raises when refused."""
    problems = validate_template(source)
    if problems:
        raise TemplateRefusedError(problems)
    return _render_compiled(source, variables, html_escape=html_escape)


def _render_compiled(source: str, variables: Mapping[str, Any], *, html_escape: bool) -> str:
    return _run(_compiled(source, html_escape), variables)


def _run(template: Any, variables: Mapping[str, Any]) -> str:
    """``template`` rendered under the render budget (``budget``): every way it can fail is a
    ``TemplateRefusedError`` with the line and the reason, never a crash."""
    try:
        with budget.bounded():
            return str(template.render(dict(variables)))
    except budget.BudgetExceeded as exc:
        raise TemplateBudgetError(exc, template_line(exc)) from exc
    except RecursionError as exc:  # under the macro depth bound this takes a deep source
        raise TemplateBudgetError(budget.BudgetExceeded("depth", 0), template_line(exc)) from exc
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
    with budget.bounded():  # the subject and the text share one budget
        return _render_step(context, step, lang, sources)


def _render_step(
    context: LetterContext, step: str, lang: str | None, sources: Mapping[str, str] | None
) -> RenderedText:
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
    text = parts["txt"]
    if context.agency is not None:
        # CPCE R124-4: after the text, whatever the template (an edited one cannot drop them).
        text = text.rstrip() + "\n\n" + agency_mentions(
            context.agency, variables, claims=name in CLAIM_STEPS, lang=language,
            answer=name in ANSWER_STEPS,
        )
    return RenderedText(step=name, lang=language, subject=fold_subject(parts["subject"]), text=tidy(text))


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
    return _run(template, variables)


def _unsafe(exc: SecurityError, line: int | None) -> Problem:
    return technical_problem("unsafe", N_("unsafe operation refused: %(detail)s"), str(exc), line)


def _unrenderable(exc: TemplateError, line: int | None) -> Problem:
    return technical_problem(
        "render", N_("the template cannot be rendered: %(detail)s"), str(exc), line
    )


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
