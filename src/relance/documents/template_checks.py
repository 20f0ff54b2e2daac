"""Checking a template before it is saved: every reason to refuse it (syntax, unknown names,
filters or tests, unsafe attributes, calls, includes, imports), each with its line, and
Jinja's own reasons put into the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import (
    TemplateError,
    TemplateSyntaxError,
    nodes,
)
from jinja2.meta import find_undeclared_variables

from relance.documents.context_doc import CONTEXT_DOC
from relance.documents.sandbox import (
    FORBIDDEN_NAMES,
    DocumentEnvironment,
    is_partial,
    text_environment,
)
from relance.domain.problems import N_, OneOf, Phrase, Problem

# --- validation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Finding:
    line: int
    code: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def problem(self) -> Problem:
        if self.template == _COMPILE:
            return technical_problem(
                self.code, self.template, str(self.params["detail"]), self.line
            )
        return Problem.of(self.code, self.template, self.line, **self.params)


def technical_problem(code: str, template: str, detail: str, line: int | None) -> Problem:
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
            technical_problem(
                "syntax", N_("syntax error: %(detail)s"), exc.message or "syntax error", exc.lineno
            )
        ]
    except RecursionError:  # brackets or blocks nested thousands deep
        return [
            Problem.of("nesting", N_("the template nests its blocks or brackets too deeply"), 1)
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
        except RecursionError:
            findings.append(
                _Finding(1, "nesting", N_("the template nests its blocks or brackets too deeply"))
            )
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
