"""Justified recovery costs: recorded per case with their proof, claimed where the law allows.

``cost_record`` stores what a creditor paid to recover a debt (a lawyer's, a bailiff's fees…)
on the debtor's open case, with its proof file kept unchanged (``audit.documents``) and its
SHA-256 in the audit trail. ``cost_claims`` turns a case's costs into the letter's head of
claim: the complementary compensation "sur justification" above the flat indemnities
(``domain.law.costs``), under a regime that allows it, on the steps whose breakdown states every
head (``CLAIM_STEPS``). A consumer never owes them (CPCE L111-8): refused at recording, and
never claimed whatever the debtor's kind became since (the regime chooser decides).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import PurePath

from django.db import transaction

from relance.apps.audit.documents import document_store
from relance.apps.audit.services import event_record
from relance.apps.collection.models import OPEN_CASE_STATUSES, Case, RecoveryCost
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor
from relance.apps.legal.selectors import regime_choice_for
from relance.documents.context import ClaimLine, PenaltySummary
from relance.documents.formatting import format_date, format_money
from relance.domain.errors import InvalidInputError
from relance.domain.law.costs import allows_complement, complement
from relance.domain.money import ZERO, AmountError, parse_amount
from relance.domain.problems import N_
from relance.domain.vocabulary import CLAIMS, say

# The steps whose breakdown lists every head of claim (``_breakdown.txt.j2``).
CLAIM_STEPS = frozenset({"formal_notice", "escalation"})
PROOF_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".xml", ".txt", ".eml"})
MAX_PROOF_BYTES = 20 * 1024 * 1024


def cost_record(
    *,
    creditor: Creditor,
    debtor: Debtor,
    amount: str | Decimal,
    incurred_on: date,
    description: str,
    proof: bytes,
    proof_filename: str,
    today: date,
    currency: str = "EUR",
    actor: str = "system",
) -> RecoveryCost:
    """Record recovery costs on ``debtor``'s open case with their proof; refused whole, with
    the reason, when anything is wrong."""
    if debtor.creditor_id != creditor.pk:
        raise InvalidInputError(N_("no such debtor"))
    if debtor.kind == Debtor.Kind.CONSUMER:
        raise InvalidInputError(
            N_("%(account)s is a consumer: the costs of recovery without an enforceable title "
               "stay with the creditor (CPCE L111-8)"),
            params={"account": debtor.account},
        )
    try:
        value = amount if isinstance(amount, Decimal) else parse_amount(amount)
    except AmountError:
        raise InvalidInputError(N_("%(value)r is not an amount"), params={"value": str(amount)}) from None
    if not value.is_finite() or value <= ZERO or value != value.quantize(Decimal("0.01")):
        raise InvalidInputError(
            N_("the amount must be positive, in cents at most, not %(value)s"), params={"value": amount}
        )
    if incurred_on > today:
        raise InvalidInputError(
            N_("the date %(date)s is in the future"), params={"date": incurred_on}
        )
    text = " ".join(description.split())
    if not text:
        raise InvalidInputError(N_("say what the costs were (a lawyer's fees, a bailiff's…)"))
    if len(text) > 300:
        raise InvalidInputError(N_("the description is longer than 300 characters"))
    suffix = PurePath(proof_filename).suffix.lower()
    if not proof:
        raise InvalidInputError(N_("the proof file is empty: costs are claimed only on proof"))
    if suffix not in PROOF_SUFFIXES:
        raise InvalidInputError(
            N_("the proof must be one of %(kinds)s, not %(name)r"),
            params={"kinds": ", ".join(sorted(PROOF_SUFFIXES)), "name": proof_filename},
        )
    if len(proof) > MAX_PROOF_BYTES:
        raise InvalidInputError(N_("the proof file is larger than 20 MB"))
    money = currency.strip().upper()
    if len(money) != 3 or not money.isalpha():
        raise InvalidInputError(N_("%(value)r is not a currency code"), params={"value": currency})
    choice = regime_choice_for(debtor=debtor, creditor=creditor, currencies=[money])
    if not allows_complement(choice.regime):
        raise InvalidInputError(
            N_("costs above the flat indemnity cannot be claimed from %(account)s: %(reason)s"),
            params={"account": debtor.account, "reason": choice.reason},
        )
    case = Case.objects.filter(debtor=debtor, status__in=OPEN_CASE_STATUSES).first()
    if case is None:
        raise InvalidInputError(
            N_("%(account)s has no open case: costs are recorded on the case they were spent on"),
            params={"account": debtor.account},
        )
    name, digest = document_store(proof, suffix=suffix, durable=True)
    with transaction.atomic():
        row = RecoveryCost.objects.create(
            creditor=creditor, debtor=debtor, case=case, amount=value, currency=money,
            incurred_on=incurred_on, description=text, proof_name=name, proof_sha256=digest,
            proof_filename=PurePath(proof_filename).name[:200], recorded_by=actor[:100],
        )
        event_record(
            kind="cost.recorded",
            subject_type="debtor",
            subject_id=debtor.pk,
            creditor_id=creditor.pk,
            payload={
                "case": case.pk, "amount": value, "currency": money, "date": incurred_on,
                "description": text, "proof": name, "sha256": digest,
            },
            actor=actor,
        )
    return row


def costs_by_case(case_ids: Iterable[int | None], *, as_of: date) -> dict[int, list[RecoveryCost]]:
    """Per case, its recorded costs incurred on or before ``as_of``, oldest first."""
    ids = [pk for pk in set(case_ids) if pk is not None]
    out: dict[int, list[RecoveryCost]] = defaultdict(list)
    if ids:
        for row in RecoveryCost.objects.filter(case_id__in=ids, incurred_on__lte=as_of).order_by(
            "incurred_on", "id"
        ):
            out[row.case_id].append(row)
    return out


def cost_claims(
    costs: Sequence[RecoveryCost],
    *,
    template: str,
    penalties: PenaltySummary | None,
    currency: str,
    lang: str,
) -> tuple[ClaimLine, ...]:
    """The head of claim a letter makes of ``costs``: none unless the step states every head,
    the penalties were computed under a regime that allows a complement, and the costs exceed
    the flat indemnities."""
    if template not in CLAIM_STEPS or penalties is None or not costs:
        return ()
    mine = [c for c in costs if c.currency == currency]
    total = sum((c.amount for c in mine), ZERO)
    found = complement(
        regime=penalties.regime, costs=total, indemnities=penalties.indemnity_total, lang=lang
    )
    if found is None:
        return ()
    listed = " ; ".join(
        f"{format_date(c.incurred_on, lang)}, {c.description}, {format_money(c.amount, lang, currency)}"
        for c in mine
    )
    label = (
        f"{say(CLAIMS, 'complement', lang)} : {say(CLAIMS, 'costs_incurred', lang)} "
        f"{format_money(total, lang, currency)} ({listed})"
    )
    if found.indemnities:
        label += f", {say(CLAIMS, 'less_indemnities', lang)} {format_money(found.indemnities, lang, currency)}"
    if lang != "fr":
        label = label.replace(" : ", ": ", 1)
    return (ClaimLine(label=label, amount=found.amount, basis=found.basis, is_justified=True),)
