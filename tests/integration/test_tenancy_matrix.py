"""One creditor never reaches another (issue #19, point 4), model by model.

Every model of Relance's apps is either owned by a creditor (a ``creditor`` field, or a chain
of foreign keys that ends at one) or listed in ``INSTALL_WIDE`` with the reason; a new model
that is neither fails ``test_every_model_belongs_to_a_creditor_or_says_why_not``.

Then a row of every owned model is made for creditor B, each text carrying a marker, and an
admin of creditor A goes through every workspace page and every API endpoint, with B's ids in
the path and in the form, reading and posting, and through the commands that take an id or an
account with ``--creditor A``: none shows a marker of B, and none changes a row of B.
"""

from __future__ import annotations

import io
import itertools
import re
import uuid
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from relance import cli
from relance.apps.api_tokens.services import token_create
from relance.apps.audit.models import Event
from relance.apps.workspace.services import user_create
from tests.factories import CreditorFactory

pytestmark = pytest.mark.django_db

MARK = "ZZB"  # in every text of B's rows: no page of A may show it

INSTALL_WIDE = {
    "creditors.Creditor": "the tenant itself: a user reaches only the creditors of their grants",
    "audit.Event": "the install's one hash chain; each event names its creditor (creditor_id) "
    "and pages read the active creditor's only",
    "audit.ChainHead": "the head of the install's one hash chain, shown to no creditor",
    "legal.RateOverride": "a published rate (ECB, taux légal, Bank of England) is a fact for "
    "every creditor; only an install administrator records one",
    "workspace.LoginFailure": "login throttling by user name and address, before any creditor "
    "is known",
    "api_tokens.ApiToken": "a user's key; the API finds the creditor from the user's grants",
}
# Owned by a creditor, or install-wide when the owner is empty (then only an install
# administrator changes it): the rows made here are B's own.
OWNED_OR_INSTALL_WIDE = {
    "collection.Scenario": "the shipped scenarios and the defaults are install-wide",
    "collection.Step": "a step belongs to its scenario",
}
# Where the web pages are for people other than a creditor's users.
NOT_A_CREDITOR_PAGE = {
    "admin/": "Django's admin: install administrators (staff) only",
    "p/": "the debtor portal: reached by the debtor's own signed link, no user",
    "api/openapi.json": "the schema, no data",
    "api/docs": "the schema, no data",
    "i18n/": "the language switch",
    "login/": "before any creditor",
    "logout/": "no data",
}


def _relance_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("relance.")]


def owner_path(model: type[models.Model], seen: tuple[str, ...] = ()) -> str | None:
    """The lookup from ``model`` to its creditor (``"creditor"``, ``"debtor__creditor"``…)."""
    names = {f.name for f in model._meta.fields}
    if "creditor" in names:
        return "creditor"
    for field in model._meta.fields:
        if not field.is_relation or field.null or field.related_model is None:
            continue
        target = field.related_model
        if target._meta.label in seen or not target.__module__.startswith("relance."):
            continue
        rest = owner_path(target, (*seen, model._meta.label))
        if rest is not None:
            return f"{field.name}__{rest}"
    return None


def test_every_model_belongs_to_a_creditor_or_says_why_not():
    unowned = [
        m._meta.label
        for m in _relance_models()
        if m._meta.label not in INSTALL_WIDE and owner_path(m) is None
    ]
    assert not unowned, (
        f"{unowned}: give each a creditor (or a foreign key chain to one), or list it in "
        "INSTALL_WIDE with the reason it is shared by the install"
    )
    for label in INSTALL_WIDE:
        assert apps.get_model(label), label  # no stale entry


# --- B's world: a row of every owned model ---------------------------------------------------


def _value(field: models.Field, model: type[models.Model], mark: str) -> Any:
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.JSONField):
        return {} if "payload" in field.name or "edits" in field.name else []
    if isinstance(field, models.EmailField):
        return f"{mark.lower()}@example.org"
    if isinstance(field, models.CharField | models.TextField):
        text = f"{mark}-{model.__name__}-{field.name}"
        return text[: field.max_length] if field.max_length else text
    if isinstance(field, models.DateTimeField):
        return timezone.now() - timedelta(days=3)
    if isinstance(field, models.DateField):
        return date.today() - timedelta(days=40)
    if isinstance(field, models.DecimalField):
        return Decimal("1")
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.IntegerField | models.FloatField):
        return 1
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.FileField):
        return ""
    raise AssertionError(f"no value for {model.__name__}.{field.name} ({type(field).__name__})")


def _make(model: type[models.Model], rows: dict[str, Any], creditor: Any, user: Any, mark: str):
    values: dict[str, Any] = {}
    for field in model._meta.fields:
        if field.primary_key or getattr(field, "auto_now", False):
            continue
        if getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            target = field.related_model
            if field.name == "creditor":
                values["creditor"] = creditor
            elif target is get_user_model():
                values[field.name] = user
            elif target._meta.label in rows:
                values[field.name] = rows[target._meta.label]
            elif not field.null:
                return None  # made once its parent exists
            continue
        if field.has_default() or field.null:
            if isinstance(field, models.CharField | models.TextField) and not field.choices:
                values[field.name] = _value(field, model, mark)
            continue
        values[field.name] = _value(field, model, mark)
    return model.objects.create(**values)


def world(creditor: Any, user: Any, mark: str) -> dict[str, Any]:
    """One row of every model a creditor owns, linked to one another."""
    owned = [
        m
        for m in _relance_models()
        if m._meta.label not in INSTALL_WIDE and owner_path(m) is not None
    ]
    rows: dict[str, Any] = {}
    for _ in range(len(owned)):
        for model in owned:
            if model._meta.label not in rows:
                path = owner_path(model)
                made = model.objects.filter(**{path: creditor}).first() or _make(
                    model, rows, creditor, user, mark
                )
                if made is not None:
                    rows[model._meta.label] = made
    missing = {m._meta.label for m in owned} - set(rows)
    assert not missing, f"cannot make a row of {missing}: teach _make its fields"
    return rows


def snapshot(creditor: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every model ``creditor`` owns, as stored."""
    shot: dict[str, list[dict[str, Any]]] = {}
    for model in _relance_models():
        path = owner_path(model) if model._meta.label not in INSTALL_WIDE else None
        if path is not None:
            shot[model._meta.label] = list(
                model.objects.filter(**{path: creditor}).order_by("pk").values()
            )
    shot["events"] = list(Event.objects.filter(creditor_id=creditor.pk).values("id"))
    return shot


@pytest.fixture
def two(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a, b = CreditorFactory(name="Alpha SAS"), CreditorFactory(name=f"{MARK} Beta SARL")
    user_a = user_create(
        username="adele", password="Correct-Horse-Battery-9", role="admin", creditors=[a]
    )
    user_b = user_create(
        username=f"{MARK.lower()}-bruno",
        password="Correct-Horse-Battery-9",
        role="admin",
        creditors=[b],
    )
    world(a, user_a, "AAA")
    rows_b = world(b, user_b, MARK)
    client = Client()
    client.force_login(user_a)
    return a, b, rows_b, client, user_a


# --- every page and every endpoint ---------------------------------------------------------

# A path parameter → the model of B's row whose id (or field) fills it.
PARAM_MODELS = {
    "debtor_id": ("ledger.Debtor", "pk"),
    "action_id": ("collection.Action", "pk"),
    "scenario_id": ("collection.Scenario", "pk"),
    "invoice_id": ("ledger.Invoice", "pk"),
    "token": ("workspace.ImportUpload", "token"),
}
SLUGS = {
    "decision": [
        "approve", "skip", "reject", "edit", "resend", "confirm-sent", "open", "close", "resolve",
    ],
    "outcome": ["reached", "no_answer", "promise", "dispute", "wrong_number"],
    "lang": ["fr"],
    "name": ["reminder.txt"],
    "kind": ["invoices", "debtors", "actions", "ledger", "cases"],
}


def _routes() -> list[str]:
    def walk(resolver: URLResolver, prefix: str):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return [
        r
        for r in walk(get_resolver(), "")
        if not any(r.startswith(skip) for skip in NOT_A_CREDITOR_PAGE)
    ]


def _urls(route: str, rows_b: dict[str, Any]) -> list[str]:
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    choices: list[list[str]] = []
    for _, name in params:
        if name in PARAM_MODELS:
            label, attr = PARAM_MODELS[name]
            choices.append([str(getattr(rows_b[label], attr))])
        elif name in SLUGS:
            choices.append(SLUGS[name])
        else:
            raise AssertionError(f"{route}: say in PARAM_MODELS or SLUGS what fills <{name}>")
    urls = []
    for combo in itertools.product(*choices):
        url = route
        for value in combo:
            url = re.sub(r"<(?:\w+:)?\w+>", value, url, count=1)
        urls.append("/" + url)
    return urls


def _form_of_b(rows_b: dict[str, Any]) -> dict[str, Any]:
    """What a form could name B's rows by: every id and account field set to B's."""
    debtor, action = rows_b["ledger.Debtor"], rows_b["collection.Action"]
    invoice, scenario = rows_b["ledger.Invoice"], rows_b["collection.Scenario"]
    return {
        "action": action.pk,
        "actions": action.pk,
        "ids": action.pk,
        "id": action.pk,
        "debtor": debtor.pk,
        "debtor_id": debtor.pk,
        "account": debtor.account,
        "invoice": invoice.pk,
        "invoices": invoice.pk,
        "number": invoice.number,
        "scenario": scenario.pk,
        "creditor": rows_b["ledger.Debtor"].creditor_id,
        "source": "Bonjour",
        "amount": "10",
        "date": date.today().isoformat(),
        "reason": "x",
        "note": "x",
        "form": "identity",
    }


def _shows_b(body: bytes) -> bool:
    return MARK.encode() in body or MARK.lower().encode() in body


def test_no_page_or_endpoint_reads_or_changes_another_creditor_s_rows(two):
    _, b, rows_b, client, user_a = two
    _, key = token_create(username=user_a.get_username())
    api = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    before = snapshot(b)
    form = _form_of_b(rows_b)
    seen: list[str] = []
    for route in _routes():
        for url in _urls(route, rows_b):
            headers = api if url.startswith("/api/") else {}
            for method in ("get", "post"):
                if method == "get":
                    page = client.get(url, **headers)
                elif url.startswith("/api/"):
                    page = client.post(url, form, content_type="application/json", **headers)
                else:
                    page = client.post(url, form, **headers)
                seen.append(f"{method.upper()} {url} {page.status_code}")
                assert page.status_code < 500, seen[-1]
                body = b"".join(page) if page.streaming else page.content
                assert not _shows_b(body), f"{seen[-1]} shows B's rows"
    assert snapshot(b) == before
    # Every kind of page was tried, and with B's ids.
    assert any("/debtors/" in s and str(rows_b["ledger.Debtor"].pk) in s for s in seen)
    assert any("/api/debtors/" in s for s in seen)


# --- the commands ----------------------------------------------------------------------------

# Commands that take an id or an account of a creditor's row, with how to name B's.
COMMANDS = [
    ["actions", "approve", "{action}"],
    ["actions", "skip", "{action}"],
    ["actions", "resend", "{action}"],
    ["actions", "confirm-sent", "{action}"],
    ["render", "--debtor", "{account}", "--step", "reminder"],
    ["debtor", "show", "{account}"],
    ["dispute", "open", "--invoice", "{invoice}"],
    ["promise", "add", "--debtor", "{account}", "--amount", "10", "--date", "2030-01-01"],
    ["scenario", "assign", "--debtor", "{account}", "--scenario", "{scenario}"],
    ["scenario", "export", "{scenario}"],
    ["prescription", "record", "--debtor", "{account}", "--kind", "acknowledgement",
     "--date", "2026-01-01", "--proof", "x"],
]


def test_no_command_run_for_a_reads_or_changes_b_s_rows(two, tmp_path):
    a, b, rows_b, _, _ = two
    names = {
        "action": str(rows_b["collection.Action"].pk),
        "account": rows_b["ledger.Debtor"].account,
        "invoice": rows_b["ledger.Invoice"].number,
        "scenario": rows_b["collection.Scenario"].name,
    }
    before = snapshot(b)
    ran = 0
    for words in COMMANDS:
        args = [w.format(**names) for w in words] + ["--creditor", str(a.pk)]
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = cli.main(args)
            except SystemExit as exc:  # argparse: a command or option this CLI does not have
                code = exc.code
        if code == 2 and "invalid choice" in err.getvalue():
            continue
        ran += 1
        assert code != 0, f"{args} succeeded on B's row: {out.getvalue()}"
        said = out.getvalue() + err.getvalue()
        for typed in names.values():  # what the command was given, said back, is no leak
            said = said.replace(typed, "")
        assert MARK not in said, args
    assert ran >= 6
    assert snapshot(b) == before
