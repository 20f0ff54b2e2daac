"""What a batch (an import, a pass) reports instead of stopping at the first fault.

Messages are English, for the CLI, the API and the JSON outputs. Each one built from a template
marked with ``N_`` keeps that template and its values (``Problem.template``, ``Problem.params``)
so that a layer that knows the reader's language (the web workspace) can say it again in French
with ``gettext(template) % params``; this layer itself never imports a translation machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


def N_(message: str) -> str:  # the gettext_noop convention: `makemessages -k N_` collects it
    """Mark an English message template for translation without translating it here."""
    return message


def _english(params: Mapping[str, Any]) -> dict[str, Any]:
    """The values as the English message shows them: a nested problem by its message."""
    return {
        key: value.message
        if isinstance(value, Problem | Phrase | TranslatableError)
        else str(value)
        if isinstance(value, Phrases)
        else value
        for key, value in params.items()
    }


def format_message(template: str, params: Mapping[str, Any]) -> str:
    """The English message: ``template % params`` (a nested problem shows its message)."""
    return template % _english(params)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A piece of a message that is itself translatable, given as one of a problem's values
    (``what`` in "%(what)s: no amount")."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, template: str, /, **params: Any) -> Phrase:
        return cls(template, params)

    @property
    def message(self) -> str:
        return format_message(self.template, self.params)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault found in an input, located as precisely as the input allows.

    ``line`` is 1-based in the file as the user sees it (the header is line 1 of a CSV);
    ``column`` is the column's name as written in the file, when there is one. ``template`` and
    ``params``, when set, are what ``message`` was made from (see ``Problem.of``); they take no
    part in equality and stay out of ``as_dict``, whose keys scripts rely on.
    """

    code: str
    message: str
    line: int | None = None
    column: str | None = None
    template: str = field(default="", compare=False, repr=False)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        code: str,
        template: str,
        /,
        line: int | None = None,
        column: str | None = None,
        **params: Any,
    ) -> Problem:
        """A problem whose message is ``template % params``, the template marked with ``N_``.

        >>> p = Problem.of("bad_date", N_("%(value)r is not a date"), 3, "due_date", value="x")
        >>> p.message, p.template, dict(p.params)
        ("'x' is not a date", '%(value)r is not a date', {'value': 'x'})
        """
        return cls(code, format_message(template, params), line, column, template, params)

    @classmethod
    def from_error(
        cls, code: str, error: BaseException, line: int | None = None, column: str | None = None
    ) -> Problem:
        """A problem saying ``error``, translatable when the error keeps its template (a
        ``TranslatableError``, or a ``RelanceError`` made with params)."""
        template = getattr(error, "template", "")
        if template:
            message = getattr(error, "message", None) or str(error)
            return cls(code, message, line, column, template, getattr(error, "params", {}))
        return cls(code, str(error), line, column)

    def wording(self) -> dict[str, Any]:
        """``template`` and ``params`` as JSON values, for a layer that stores the problem now
        and says it later in its reader's language (``Problem.from_dict`` reads them back).

        >>> Problem.of("x", N_("%(when)s is late"), when=date(2026, 1, 5)).wording()
        {'template': '%(when)s is late', 'params': {'when': {'date': '2026-01-05'}}}
        """
        return {
            "template": self.template,
            "params": {key: _encode(value) for key, value in self.params.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        """The problem ``as_dict`` (and ``wording``, when present) describe."""
        params = data.get("params") or {}
        return cls(
            str(data.get("code", "")),
            str(data.get("message", "")),
            data.get("line"),
            data.get("column"),
            str(data.get("template") or ""),
            {key: _decode(value) for key, value in params.items()},
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
        }

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        return (
            f"{prefix}: {self.message} [{self.code}]" if prefix else f"{self.message} [{self.code}]"
        )


class TranslatableError(ValueError):
    """A ``ValueError`` in English whose message keeps its ``N_`` template and values, so that
    the problem made from it (``Problem.from_error``) can be translated like any other."""

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params: Mapping[str, Any] = params
        self.message = format_message(template, params)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class OneOf(tuple[str, ...]):
    """Names any one of which will do, as a problem's value: ``'a' or 'b'`` in English; the
    layer that translates joins them with its own word for "or"."""

    __slots__ = ()

    def __str__(self) -> str:
        return " or ".join(repr(name) for name in self)


class Phrases(tuple[Phrase, ...]):
    """Phrases said one after the other, as one value of a message: ``; `` between them in
    English; the layer that translates says each and joins them its own way."""

    __slots__ = ()

    def __str__(self) -> str:
        return "; ".join(phrase.message for phrase in self)


def _encode(value: Any) -> Any:
    if isinstance(value, Problem | Phrase | TranslatableError):
        return {
            "phrase": value.template,
            "params": {key: _encode(item) for key, item in value.params.items()},
            "message": value.message,
        }
    if isinstance(value, OneOf):
        return {"one_of": list(value)}
    if isinstance(value, Phrases):
        return {"phrases": [_encode(phrase) for phrase in value]}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    if "phrase" in value:
        params = {key: _decode(item) for key, item in (value.get("params") or {}).items()}
        return Phrase(str(value["phrase"]), params)
    if "phrases" in value:
        return Phrases(_decode(phrase) for phrase in value["phrases"])
    if "one_of" in value:
        return OneOf(value["one_of"])
    if "decimal" in value:
        return Decimal(value["decimal"])
    if "date" in value:
        return date.fromisoformat(value["date"])
    return str(value)


class Note(str):
    """A remark on a batch (an import's notes), in English like a problem's message, keeping its
    ``N_`` template and values: it is a ``str`` everywhere (JSON, equality), and a page can say
    it in its reader's language from ``template`` and ``params`` (``wording``)."""

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Note:
        note = super().__new__(cls, format_message(template, params))
        note.template = template
        note.params = params
        return note

    def __reduce__(self) -> tuple[Any, ...]:
        return (_note, (self.template, dict(self.params)))

    def wording(self) -> dict[str, Any]:
        """The note as JSON with what it is made of; ``note_from`` reads it back."""
        return {
            "message": str(self),
            "template": self.template,
            "params": {key: _encode(value) for key, value in self.params.items()},
        }


def _note(template: str, params: dict[str, Any]) -> Note:
    return Note(template, **params)


def note_from(data: str | Mapping[str, Any]) -> str | Phrase:
    """A note as ``Note.wording`` stored it (a translatable phrase), or the text as it is."""
    if isinstance(data, Mapping):
        params = {key: _decode(value) for key, value in (data.get("params") or {}).items()}
        return Phrase(str(data.get("template") or data.get("message", "")), params)
    return data
