"""The template bombs of issue #19: each one is refused at save or stopped at render within its
budget, with a clear message, on the CLI and the web (never a traceback or a 500); and a
creditor whose template is stopped never holds back another creditor's e-mails, nor runs it
under the outbox's lock."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from relance import cli
from relance.apps.collection import dispatch
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action
from relance.apps.editors.models import TemplateOverride
from relance.apps.editors.services import template_save
from relance.channels.smtp import SmtpTransport
from relance.documents import budget
from relance.documents.templates import (
    TemplateBudgetError,
    TemplateRefusedError,
    render_source,
)
from tests.apps.editors.test_dispatch import smtp  # noqa: F401
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 5)
URL = reverse("workspace:template", args=["fr", "reminder.txt"])

# 10,000 × 10,000 turns: the loop of the issue, on literal lists.
HUNDRED_MILLION = "{% for a in [1]*10000 %}{% for b in [1]*10000 %}{% endfor %}{% endfor %}"
# Four loops over the debtor's invoices: 16 turns on the sample debtor's two, 2.5 million on 40.
ON_REAL_DATA = (
    "Bonjour {{ debtor.name }},\n"
    "{% for a in invoices %}{% for b in invoices %}{% for c in invoices %}"
    "{% for d in invoices %}.{% endfor %}{% endfor %}{% endfor %}{% endfor %}\n"
)
# Each call makes two: 2^25 calls, 25 levels deep.
EXPONENTIAL = (
    "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
    "{{ f(25) }}"
)
DOUBLING = (
    "{% macro d(s, n) %}{% if n > 0 %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}"
    "{% endif %}{% endmacro %}{{ d('x', 40) }}"
)
RECURSION = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"


def _kind(source: str, variables: dict | None = None) -> str:
    with pytest.raises(TemplateBudgetError) as caught:
        render_source(source, variables or {})
    (problem,) = caught.value.problems
    assert problem.code == "budget"
    assert problem.line == 1
    return caught.value.kind


def test_each_bomb_is_stopped_by_its_own_limit():
    assert _kind(HUNDRED_MILLION) == "steps"
    assert _kind(EXPONENTIAL) == "steps"
    assert _kind(DOUBLING) == "output"
    assert _kind("{{ ('x' * 10000)|replace('x', 'x' * 10000) }}") == "output"
    assert _kind("{% set s = 'x' * 10000 %}{{ ([s] * 10000)|join }}") == "output"
    # A list of big strings is cheap to make, its text is not: refused before it is written.
    assert _kind("{% set s = 'x' * 10000 %}{{ [s] * 10000 }}") == "output"
    assert _kind("{% set s = 'x' * 10000 %}{{ ([s] * 10000)|string|length }}") == "output"
    assert render_source("{% set s = 'x' * 10000 %}{{ ([s] * 10000)|length }}", {}) == "10000"
    assert _kind(RECURSION) == "depth"
    # What a letter really does stays well inside the budget.
    assert render_source("{% for i in [1, 2] %}{{ i ~ '.' }}{% endfor %}", {}) == "1.2."


def test_the_time_limit_stops_a_render_past_its_deadline():
    with budget.bounded(budget.Budget(seconds=-1)), pytest.raises(TemplateBudgetError) as caught:
        render_source("{% for i in [1, 2] %}{{ i }}{% endfor %}", {})
    assert caught.value.kind == "time"
    assert "seconds" in str(caught.value)


def test_huge_numbers_and_groups_are_refused_before_they_are_built():
    for source in (
        "{% macro f(n, k) %}{% if k %}{{ f(n * n, k - 1) }}{% else %}{{ n }}{% endif %}"
        "{% endmacro %}{{ f(10, 30) }}",
        "{{ [1]|batch(1000000000, 0)|list|length }}",
    ):
        with pytest.raises(TemplateRefusedError) as caught:
            render_source(source, {})
        assert caught.value.problems[0].code == "unsafe"


def test_sources_nested_thousands_deep_are_refused_with_a_reason():
    for source in ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "{% if 1 %}" * 2000):
        with pytest.raises(TemplateRefusedError) as caught:
            render_source(source, {})
        assert caught.value.problems[0].code in ("nesting", "syntax")


def test_a_hundred_million_turns_are_refused_at_save(creditor_a):
    with pytest.raises(TemplateRefusedError) as caught:
        template_save(creditor=creditor_a, name="reminder.txt", lang="fr", source=HUNDRED_MILLION)
    assert [p.code for p in caught.value.problems] == ["budget"]
    assert "1 000 000 steps" in str(caught.value)
    assert not TemplateOverride.objects.exists()


def _owing(creditor, account: str, invoices: int):
    debtor = DebtorFactory(creditor=creditor, account=account, email=f"{account}@example.org")
    for _ in range(invoices):
        InvoiceFactory(
            debtor=debtor,
            creditor=creditor,
            issue_date=date(2026, 2, 1),
            due_date=date(2026, 3, 2),
        )
    return debtor


def test_a_template_that_loops_on_real_data_is_stopped_and_the_other_creditor_s_mail_goes_out(
    smtp,  # noqa: F811
    monkeypatch,
):
    handler, port = smtp
    broken, other = CreditorFactory(name="Cassé SAS"), CreditorFactory(name="Autre SAS")
    _owing(broken, "411BIG", 40)
    _owing(other, "411A", 1)
    _owing(other, "411B", 1)
    # Accepted at save: on the sample debtor's two invoices it takes 16 turns.
    template_save(creditor=broken, name="reminder.txt", lang="fr", source=ON_REAL_DATA)
    for creditor in (broken, other):
        collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)
    assert Action.objects.filter(channel="email", state="planned").count() == 3

    outside = len(connection.atomic_blocks)  # the test's own transaction
    render = dispatch._render
    depths: list[int] = []

    def watched(*args):
        depths.append(len(connection.atomic_blocks))
        return render(*args)

    monkeypatch.setattr(dispatch, "_render", watched)
    out = dispatch.outbox_dispatch(
        as_of=AS_OF, transport=SmtpTransport(host="127.0.0.1", port=port)
    )

    assert depths
    assert set(depths) == {outside}  # never under the claim's transaction
    assert (out.sent, out.failed) == (2, 1)
    assert sorted(m["To"].addresses[0].addr_spec for m in handler.messages) == [
        "411A@example.org",
        "411B@example.org",
    ]
    stopped = Action.objects.get(debtor__account="411BIG", template="reminder")
    assert stopped.state == "failed"
    assert "stopped after" in stopped.error
    assert [p.code for p in out.problems] == ["template_budget"]
    assert "411BIG" in out.problems[0].message


def test_exponential_macros_in_a_viewer_s_preview_stop_with_a_french_message(viewer_a, debtor_a):
    page = viewer_a.post(URL, {"action": "preview", "source": EXPONENTIAL, "debtor": debtor_a.pk})
    assert page.status_code == 422
    html = page.content.decode()
    assert "le modèle a été arrêté après 1 000 000 étapes" in html


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        (RECURSION, "les macros du modèle s’appellent trop profondément"),
        (DOUBLING, "le modèle a été arrêté après avoir écrit 2 000 000 caractères"),
    ],
)
def test_recursion_and_doubling_get_a_french_message_on_the_web(admin_a, debtor_a, source, fragment):
    for action in ("preview", "save"):
        page = admin_a.post(URL, {"action": action, "source": source, "debtor": debtor_a.pk})
        assert page.status_code == 422
        assert fragment in page.content.decode()
    assert not TemplateOverride.objects.exists()


def test_recursion_is_refused_by_the_cli_with_its_reason(creditor, capsys, tmp_path):
    path = tmp_path / "reminder.txt.j2"
    path.write_text(RECURSION, encoding="utf-8")
    code = cli.main(["template", "import", str(path), "--name", "reminder.txt", "--lang", "fr"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}:1:" in err
    assert "macros call each other too deeply" in err
    assert "Traceback" not in err
    assert not TemplateOverride.objects.exists()
