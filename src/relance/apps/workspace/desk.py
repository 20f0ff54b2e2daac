"""Reads behind the collector's desk: call cards (summary, history, script) and send previews.

A call card gathers what a collector needs before dialling: the debtor's open and overdue
totals, the open invoices, the earlier attempts (``attempts.attempts_for``: sent messages and
calls with an outcome), the numbers already found wrong, and the call script rendered from the
documents layer's ``call`` template as of today. When a penalty needs a rate nobody recorded
yet, the script is rendered without the penalties and says why.

``action_preview`` shows exactly what an action waiting for approval will send: a letter as
``letters_batch`` will print it (same context, same template, the formal-notice check), an
e-mail as the outbox will render it. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.apps.workspace.wording import error_text, problem_text
from relance.domain.errors import NotFoundError, RelanceError

ZERO = Decimal("0.00")


@dataclass
class CallCard:
    action: Any
    debtor: Debtor
    open_total: Decimal
    overdue_total: Decimal
    invoices: list[Invoice]
    history: list[Any]
    script: str = ""
    script_problem: str = ""
    missing_rate: str = ""
    wrong_phones: set[str] = field(default_factory=set)
    scripted: bool = False  # the script was written (else it comes on request: call_script)


def call_template(action: Any) -> str:
    return "call"


def contexts(
    groups: list[tuple[list[Any], Any]], *, as_of: date, tables: Any = None
) -> list[dict[int, Any]]:
    """Per group of ``(actions, template_of)``, each action's ``BuiltContext`` or the error that
    kept it from being built: one ``letter_contexts`` read for all groups (and one of cases)."""
    from relance.apps.collection.contexts import ContextRequest, action_edits, letter_contexts
    from relance.apps.collection.models import Case

    everything = [a for actions, _ in groups for a in actions]
    cases = {c.pk: c for c in Case.objects.filter(pk__in={a.case_id for a in everything})}
    out: list[dict[int, Any]] = [{} for _ in groups]
    keys, requests = [], []
    for n, (actions, template_of) in enumerate(groups):
        for a in actions:
            try:
                template = template_of(a)
            except RelanceError as exc:
                out[n][a.pk] = exc
                continue
            debtor = a.debtor
            lang = debtor.language if debtor.language in ("fr", "en") else "fr"
            channel = "call" if template == "call" else a.channel
            keys.append((n, a.pk))
            requests.append(
                ContextRequest(
                    debtor, cases.get(a.case_id), template, channel, lang, a.pk, action_edits(a)
                )
            )
    if requests:
        # An e-mail goes out without the penalties when a rate is unpublished; a letter waits.
        results = letter_contexts(requests, as_of=as_of, without_unknown_rates=True, tables=tables)
        for (n, pk), result in zip(keys, results, strict=True):
            out[n][pk] = result
    return out


def call_cards(
    *,
    creditor: Creditor,
    calls: list[Any],
    as_of: date,
    tables: Any = None,
    built: dict[int, Any] | None = None,
    scripts: bool = True,
) -> list[CallCard]:
    """A card for each call action (already filtered on ``creditor``), in a fixed number of
    queries. Without ``scripts`` the cards carry the history but not the script (the costly
    part: the debtor's letter context, penalties and all), which ``call_script`` gives later."""
    from relance.apps.collection.models import Action
    from relance.documents.templates import render_step

    if not calls:
        return []
    debtor_ids = {a.debtor_id for a in calls}
    totals = {
        row["debtor_id"]: row
        for row in Invoice.objects.filter(
            creditor=creditor, debtor_id__in=debtor_ids, status=Invoice.Status.OPEN
        )
        .values("debtor_id")
        .annotate(open=Sum("open_amount"), overdue=Sum("open_amount", filter=Q(due_date__lt=as_of)))
    }
    invoices: dict[int, list[Invoice]] = {}
    for invoice in Invoice.objects.filter(
        debtor_id__in=debtor_ids, status=Invoice.Status.OPEN
    ).order_by("debtor_id", "due_date", "number"):
        invoices.setdefault(invoice.debtor_id, []).append(invoice)
    wrong: dict[int, set[str]] = {}
    for debtor_id, outcome in Action.objects.filter(
        debtor_id__in=debtor_ids, channel="call", outcome__outcome="wrong_number"
    ).values_list("debtor_id", "outcome"):
        if isinstance(outcome, dict) and outcome.get("phone"):
            wrong.setdefault(debtor_id, set()).add(str(outcome["phone"]))
    history: dict[int, tuple[Any, ...]] = {}
    if not scripts:
        from relance.apps.collection.attempts import attempts_by_debtor

        built = {}
        history = attempts_by_debtor(
            debtor_ids, before=as_of + timedelta(days=1), exclude_ids=[a.pk for a in calls]
        )
    elif built is None:
        [built] = contexts([(calls, call_template)], as_of=as_of, tables=tables)
    cards = []
    for action in calls:
        debtor = action.debtor
        row = totals.get(debtor.pk, {})
        card = CallCard(
            action=action,
            debtor=debtor,
            open_total=row.get("open") or ZERO,
            overdue_total=row.get("overdue") or ZERO,
            invoices=invoices.get(debtor.pk, [])[:50],
            history=[],
            wrong_phones=wrong.get(debtor.pk, set()),
            scripted=scripts,
        )
        if not scripts:
            card.history = list(reversed(history.get(debtor.pk, ())))
        result = built.get(action.pk)
        if isinstance(result, RelanceError):
            card.script_problem = error_text(result)
        elif result is not None:
            card.history = list(reversed(result.context.attempts))
            card.missing_rate = result.missing_rate
            if not result.context.invoices:
                card.script_problem = "nothing"
            else:
                try:
                    card.script = render_step(result.context, "call").text
                except RelanceError as exc:
                    card.script_problem = error_text(exc)
        cards.append(card)
    return cards


def tasks_due(*, creditor: Creditor, as_of: date, limit: int = 50) -> list[Any]:
    from relance.apps.collection.models import Action

    return list(
        Action.objects.filter(
            creditor=creditor,
            channel="task",
            state__in=("planned", "approved"),
            planned_date__lte=as_of,
        )
        .select_related("debtor")
        .order_by("planned_date", "id")[:limit]
    )


@dataclass
class Preview:
    action: Any
    kind: str  # "letter" or "email"
    subject: str = ""
    recipient: str = ""
    text: str = ""
    attachments: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str = ""
    missing_rate: str = ""
    # What approval would refuse (``actions.approval_checks``), in the reader's language.
    blocking: list[str] = field(default_factory=list)


def action_template(action: Any) -> str:
    from relance.documents.templates import step_name

    return step_name(action.template or action.step_key)


def action_previews(
    *, actions: list[Any], as_of: date, tables: Any = None, built: dict[int, Any] | None = None
) -> list[Preview]:
    """What each action (of the creditor asking) will send if approved today, as ``letters_batch``
    prints a letter and the outbox composes an e-mail; a fixed number of queries for all."""
    from relance.apps.collection.contexts import LETTER_CHANNELS

    previews = {
        a.pk: Preview(a, "letter" if a.channel in LETTER_CHANNELS else a.channel) for a in actions
    }
    if built is None:
        [built] = contexts([(actions, action_template)], as_of=as_of, tables=tables)
    for action in actions:
        preview = previews[action.pk]
        result = built.get(action.pk)
        if isinstance(result, RelanceError):
            preview.error = error_text(result)
        elif result is None:
            continue
        elif not result.context.invoices:
            preview.error = "nothing"
        elif preview.kind == "letter" and result.missing_rate:
            preview.missing_rate, preview.error = result.missing_rate, "rate"
        elif preview.kind in ("letter", "email"):
            try:
                (_letter if preview.kind == "letter" else _email)(
                    preview, result, action_template(action)
                )
            except RelanceError as exc:
                preview.error = error_text(exc)
    for action in actions:
        preview = previews[action.pk]
        if preview.kind not in ("letter", "email") and not preview.error:
            preview.subject, preview.text = action.subject, action.body_text
    return [previews[a.pk] for a in actions]


def _letter(preview: Preview, result: Any, template: str) -> None:
    from relance.documents.formal_notice import check_formal_notice
    from relance.documents.letter import compose_letter

    if template == "formal_notice":
        preview.problems = [problem_text(p) for p in check_formal_notice(result.context)]
    letter = compose_letter(result.context, template)
    preview.subject, preview.recipient, preview.text = (
        letter.subject,
        "\n".join(letter.recipient),
        letter.as_text(),
    )


def _email(preview: Preview, result: Any, template: str) -> None:
    from relance.apps.collection.contexts import LETTER_CHANNELS
    from relance.apps.collection.messages import email_compose
    from relance.documents.formal_notice import check_formal_notice
    from relance.documents.templates import LETTER_STEPS

    context = result.context
    if template == "formal_notice":
        preview.problems = [problem_text(p) for p in check_formal_notice(context)]
    # The letter PDF is not rendered for a preview: it is named among the attachments.
    with_letter = template in LETTER_STEPS or context.channel in LETTER_CHANNELS
    mail = email_compose(
        context=context,
        template=template,
        message_id="<preview@relance>",
        invoices=result.invoices,
        with_letter=False,
    )
    preview.subject, preview.recipient, preview.text = mail.subject, mail.to, mail.text
    preview.attachments = [a.filename for a in mail.inline] + [a.filename for a in mail.attachments]
    if with_letter:
        preview.attachments.insert(0, f"{context.reference}.pdf")
    preview.missing_rate = result.missing_rate


def letter_pdf(*, action: Any, as_of: date) -> bytes:
    """The letter ``action`` would print today, as a PDF (rendered, never stored)."""
    from relance.apps.collection.contexts import LETTER_CHANNELS, action_edits, letter_context_for
    from relance.documents.pdf import render_letter

    if action.channel not in LETTER_CHANNELS:
        raise NotFoundError(f"action {action.pk} is not a letter")
    context = letter_context_for(
        case_or_debtor=action.case,
        step_key=action.step_key,
        as_of=as_of,
        channel=action.channel,
        exclude_action_id=action.pk,
        edits=action_edits(action),
    )
    if not context.invoices:
        raise NotFoundError(f"action {action.pk} has nothing left to chase")
    return render_letter(context, action_template(action))


def rate_tables() -> Any:
    """The rate tables as ``relance rates`` knows them, read once for a whole page."""
    from relance.apps.legal.selectors import rate_tables as read

    return read()
