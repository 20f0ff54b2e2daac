"""Editing one message before approval: the preview, the save (this message only, checked like
a template and, for a mise en demeure, like the letter it makes), what is then printed and sent,
the audit trail, and nobody reaching another creditor's message."""

from __future__ import annotations

from datetime import date

import pytest

from relance.apps.audit.models import Event
from relance.apps.collection.actions import actions_approve
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.models import Action
from relance.apps.editors.selectors import action_text
from relance.apps.editors.services import action_text_reset, action_text_save
from relance.channels.smtp import SmtpTransport
from relance.documents.templates import TemplateRefusedError
from relance.domain.errors import InvalidInputError
from tests.apps.editors.test_dispatch import _due, smtp  # noqa: F401
from tests.apps.editors.test_services import pdftotext
from tests.apps.workspace.test_desk import desk_for, record_missing_rates
from tests.factories import CreditorFactory

pytestmark = pytest.mark.django_db

NOTE = "Suite à notre appel de ce matin avec M. Martin, nous restons à votre écoute."


@pytest.fixture
def notice(creditor_a, today):
    _, _, late, notice = desk_for(creditor_a, today, "A")
    record_missing_rates(late, today)
    return notice


def _with_note(source: str) -> str:
    head, _, rest = source.partition("\n\n")
    return f"{head}\n\n{NOTE}\n\n{rest}"


def test_a_collector_previews_saves_and_the_printed_letter_carries_the_edit(
    collector_a, notice, today
):
    url = f"/actions/{notice.pk}/text/"
    page = collector_a.get(url)
    assert page.status_code == 200
    current = page.context["current"]
    assert "MISE EN DEMEURE" in page.context["preview"].text.upper()
    edited = _with_note(current.text)

    page = collector_a.post(url, {"action": "preview", "subject": current.subject, "text": edited})
    assert page.status_code == 200
    assert NOTE in page.context["preview"].text
    notice.refresh_from_db()
    assert notice.edits == {}  # a preview saves nothing

    page = collector_a.post(url, {"action": "save", "subject": current.subject, "text": edited})
    assert page.status_code == 302
    assert page["Location"].endswith(f"#action-{notice.pk}")
    notice.refresh_from_db()
    # Only the changed part is kept; the subject still follows the creditor's template.
    assert list(notice.edits) == ["fr/formal_notice.txt"]
    event = Event.objects.get(kind="action.edited", subject_id=notice.pk)
    assert event.actor == "user:camille"
    assert NOTE in event.payload["edits"]["fr/formal_notice.txt"]

    worklist = collector_a.get("/worklist/")
    preview = collector_a.get(f"/worklist/actions/{notice.pk}/preview/").context["p"]
    assert NOTE in preview.text
    assert "Modifier ce message (modifié)" in worklist.content.decode()
    pdf = collector_a.get(f"/worklist/actions/{notice.pk}/letter.pdf")
    assert NOTE.split(",")[0] in " ".join(pdftotext(pdf.content).split())

    # Back to the creditor's text.
    assert collector_a.post(url, {"action": "reset"}).status_code == 302
    notice.refresh_from_db()
    assert notice.edits == {}
    assert Event.objects.filter(kind="action.edit_reset", subject_id=notice.pk).exists()


def test_a_mise_en_demeure_that_loses_a_mandatory_mention_is_refused(
    collector_a, notice, creditor_a, today
):
    current = action_text(action=notice)
    # The consequences (injonction de payer, référé) are a mention the law requires.
    kept = [p for p in current.text.split("\n\n") if "injonction de payer" not in p]
    gutted = "\n\n".join(kept)
    assert gutted != current.text
    page = collector_a.post(
        f"/actions/{notice.pk}/text/",
        {"action": "save", "subject": current.subject, "text": gutted},
    )
    assert page.status_code == 422
    assert "Refusé : rien n’a été enregistré." in page.content.decode()
    notice.refresh_from_db()
    assert notice.edits == {}
    assert not Event.objects.filter(kind="action.edited").exists()
    # A fee the law forbids is refused too.
    with pytest.raises(TemplateRefusedError) as refused:
        action_text_save(
            creditor=creditor_a,
            action_id=notice.pk,
            subject=current.subject,
            text=current.text + "\nFrais de dossier : 50 €.\n",
            as_of=today,
        )
    assert any("frais" in p.message.lower() for p in refused.value.problems)


@pytest.mark.parametrize(
    ("source", "line"),
    [("Bonjour\n{{ ''.__class__.__mro__ }}", 2), ("Bonjour\n\n{{ debtor.nom_inconnu }}", 3)],
)
def test_an_unsafe_or_broken_text_is_refused_with_its_line(collector_a, notice, source, line):
    current = action_text(action=notice)
    for decision in ("preview", "save"):
        page = collector_a.post(
            f"/actions/{notice.pk}/text/",
            {"action": decision, "subject": current.subject, "text": source},
        )
        assert page.status_code == 422
        assert f"Ligne {line}" in page.content.decode()
    notice.refresh_from_db()
    assert notice.edits == {}


def test_only_a_message_not_yet_approved_is_edited(collector_a, notice, creditor_a, today):
    actions_approve(ids=[notice.pk], creditor=creditor_a)
    current = action_text(action=notice)
    with pytest.raises(InvalidInputError, match="only a message not yet approved"):
        action_text_save(
            creditor=creditor_a,
            action_id=notice.pk,
            subject=current.subject,
            text=_with_note(current.text),
            as_of=today,
        )
    page = collector_a.get(f"/actions/{notice.pk}/text/")
    assert 'id="action-text-form"' not in page.content.decode()


def test_viewers_read_and_other_creditors_never_reach_it(
    viewer_a, login, creditor_b, notice, today
):
    url = f"/actions/{notice.pk}/text/"
    page = viewer_a.get(url)
    assert page.status_code == 200
    assert 'id="action-text-form"' not in page.content.decode()
    text = _with_note(action_text(action=notice).text)
    assert viewer_a.post(url, {"action": "save", "subject": "x", "text": text}).status_code == 403
    other = login("collector_b", "collector", creditor_b)
    assert other.get(url).status_code == 404
    assert other.post(url, {"action": "save", "subject": "x", "text": text}).status_code == 404
    assert other.post(url, {"action": "reset"}).status_code == 404
    notice.refresh_from_db()
    assert notice.edits == {}


def test_an_edited_e_mail_is_sent_as_edited_and_the_others_as_the_template_says(smtp):  # noqa: F811
    handler, port = smtp
    creditor = CreditorFactory(name="Maison SAS")
    _due(creditor, "411A", "fr")
    _due(creditor, "411B", "fr")
    as_of = date(2026, 3, 5)
    collection_run(creditor=creditor, as_of=as_of, dispatch=False)
    mine = Action.objects.get(debtor__account="411A", channel="email", state="planned")
    current = action_text(action=mine)
    action_text_save(
        creditor=creditor,
        action_id=mine.pk,
        subject="Votre facture {{ invoices[0].number }} : un mot de notre part",
        text=_with_note(current.text),
        as_of=as_of,
    )
    mine.refresh_from_db()
    assert action_text(action=mine).edited

    out = outbox_dispatch(as_of=as_of, transport=SmtpTransport(host="127.0.0.1", port=port))

    assert out.sent == 2
    by_to = {m["To"].addresses[0].addr_spec: m for m in handler.messages}
    edited = by_to["411A@example.org"]
    assert str(edited["Subject"]).endswith(": un mot de notre part")
    assert NOTE in edited.get_body(("plain",)).get_content()
    other = by_to["411B@example.org"]
    assert NOTE not in other.get_body(("plain",)).get_content()
    assert "un mot de notre part" not in str(other["Subject"])
    mine.refresh_from_db()
    assert NOTE in mine.body_text


def test_reset_without_edits_changes_nothing(notice, creditor_a):
    assert action_text_reset(creditor=creditor_a, action_id=notice.pk) is False
    assert not Event.objects.filter(kind="action.edit_reset").exists()
