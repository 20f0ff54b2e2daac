"""The reader's language for messages built below Django.

The formats, the domain and the documents may not import Django, so their problems and errors
are English; each one made from a template marked ``N_`` keeps that template and its values
(``relance.domain.problems``). Here, and only for pages, the template goes through gettext in
the active language and takes its values back, dates and amounts written the reader's way. The
CLI, the API and the JSON outputs keep the English ``message``, which scripts rely on.

The French of these templates lives in the workspace's catalogue
(``locale/fr/LC_MESSAGES/django.po``, under "Messages built below Django");
``tests/apps/workspace/test_wording.py`` fails when a marked template has no translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext, pgettext

from relance.domain.problems import (
    Note,
    OneOf,
    Phrase,
    Phrases,
    Problem,
    TranslatableError,
    note_from,
)


def say(template: str, params: Mapping[str, Any], fallback: str) -> str:
    """``template`` in the active language with ``params``; ``fallback`` if that fails."""
    if not template:
        return gettext(fallback) if fallback else fallback
    try:
        return gettext(template) % {key: _value(value) for key, value in params.items()}
    except (KeyError, ValueError, TypeError):  # a catalogue entry that does not fit its values
        return fallback


def problem_text(problem: Problem | Phrase | TranslatableError) -> str:
    """What ``problem`` says, in the active language."""
    if isinstance(problem, Phrase):
        return say(problem.template, problem.params, problem.message)
    return say(getattr(problem, "template", ""), getattr(problem, "params", {}), problem.message)


def error_text(error: BaseException) -> str:
    """What an error for the user (a ``RelanceError`` most often) says, in the active language:
    its template when it has one, else its English message when the catalogue knows it."""
    problems = getattr(error, "problems", None)  # a refused template says each of its faults
    if problems:
        return "; ".join(_located(problem) for problem in problems)
    message = getattr(error, "message", None) or str(error)
    return say(getattr(error, "template", ""), getattr(error, "params", {}), message)


def _located(problem: Problem) -> str:
    text = f"{problem_text(problem)} [{problem.code}]"
    if problem.line is None:
        return text
    return gettext("line %(line)s: %(problem)s") % {"line": problem.line, "problem": text}


def _value(value: Any) -> Any:
    if isinstance(value, Problem | Phrase | TranslatableError):
        return problem_text(value)
    if isinstance(value, Phrases):
        return pgettext("between phrases", "; ").join(problem_text(phrase) for phrase in value)
    if isinstance(value, OneOf):
        quoted = pgettext("one name among others", "%(name)r")
        return f" {pgettext('one name or another', 'or')} ".join(
            quoted % {"name": name} for name in value
        )
    if isinstance(value, date | Decimal):
        return formats.localize(value)
    return value


def stored_problem_text(problem: Problem | Mapping[str, Any]) -> str:
    """``problem_text`` for a problem kept as a dict (an import's dry run is stored as JSON)."""
    if isinstance(problem, Mapping):
        return problem_text(Problem.from_dict(problem))
    return problem_text(problem)


def note_text(note: str | Mapping[str, Any]) -> str:
    """An import's note in the active language: a ``Note``, or one stored by ``Note.wording``."""
    if isinstance(note, Note):
        return say(note.template, note.params, str(note))
    found = note_from(note)
    if isinstance(found, Phrase):
        return problem_text(found)
    return found
