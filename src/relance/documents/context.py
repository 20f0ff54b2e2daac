"""The documented context a template sees: plain frozen dataclasses, and their template form.

The Django side builds a ``LetterContext`` from its models (creditor, debtor, open invoices,
earlier actions); this package never imports them. Templates do not see the dataclasses:
``LetterContext.as_template_vars()`` turns them into dicts, lists and primitive values
(``str``, ``int``, ``bool``, ``Decimal``, ``date``), the only things a user-editable template
may read. ``context_doc.CONTEXT_DOC`` documents every top-level name and is what
``templates.validate_template`` checks undeclared names against.

``build_penalties`` asks the law engine (``relance.domain.law``) for the penalties on each
late invoice as of the letter's date, under the regime its chooser (``choose_regime``) gives the
debtor and creditor pair: for a business debtor in France the L441-10 penalties with their
rates, start date and legal basis, plus the 40 € indemnity per late invoice (D441-5); for a
public buyer the commande publique's moratory interest and 40 € (R2192-31, D2192-35); for a UK
or euro-area business the Late Payment Act's or the directive's; for a consumer, or a creditor
who is a private individual, nothing unless the date of a mise en demeure is given, from which
civil interest at the taux légal runs (C. civ. 1231-6, 1344-1) and never an indemnity. A pair
no regime covers gets no penalty line and the chooser's reason as ``note``; the templates then
say plainly that the statement includes no interest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from relance.documents.agency import AgencyInfo
from relance.documents.formatting import format_iban as format_iban  # re-exported
from relance.documents.formatting import format_siren as format_siren  # re-exported
from relance.documents.periods import merged_periods
from relance.domain import scenario
from relance.domain.errors import InvalidInputError
from relance.domain.law import RateTables, RegimeChoice, choose_regime, penalties_on_invoice
from relance.domain.law.choice import several_currencies
from relance.domain.money import ZERO, round_cents
from relance.domain.vocabulary import LETTER_CHANNELS, say

DebtorKind = Literal["business", "consumer", "public"]
Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")
DEFAULT_DEADLINE_DAYS = scenario.DEFAULT_DEADLINE_DAYS  # the scenario engine counts it too
CONTRACT = "Taux contractuel"  # how the engine's basis of a creditor's own rate begins

@dataclass(frozen=True, slots=True)
class CreditorInfo:
    """The creditor as it signs its letters."""

    name: str
    siren: str = ""
    vat: str = ""
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    iban: str = ""
    bic: str = ""
    email: str = ""
    phone: str = ""
    signature: str = ""
    place: str = ""
    pay_link_template: str = ""
    logo_path: Path | None = None
    legal_form: str = ""
    # The creditor's edited templates, ("fr/reminder.txt", source) pairs, used instead of the shipped ones.
    templates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DebtorInfo:
    """The debtor as the letter addresses it. ``country`` is ISO 3166 alpha-2 or a name."""

    name: str
    kind: DebtorKind = "business"
    siren: str = ""
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    country: str = "FR"
    language: Lang = "fr"
    contact_name: str = ""
    account: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One open invoice. ``payments``: partial payments of known date (funds date, amount);
    ``credited``: credit notes applied. Undated settlements (a ledger's) are only in the open amount."""

    number: str
    issue_date: date
    due_date: date
    total: Decimal
    open_amount: Decimal
    currency: str = "EUR"
    payments: tuple[tuple[date, Decimal], ...] = ()
    credited: Decimal = ZERO
    attached: bool = False  # its PDF goes with this document (an e-mail's attachment)

    @property
    def paid(self) -> Decimal:
        return self.total - self.credited - self.open_amount


@dataclass(frozen=True, slots=True)
class Attempt:
    """An earlier step with the debtor: its date, channel and a one-line summary."""

    date: date
    channel: str
    summary: str = ""


@dataclass(frozen=True, slots=True)
class RatePeriod:
    start: date
    end: date
    days: int
    rate: Decimal
    interest: Decimal
    basis: str
    base: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PenaltyLine:
    """Penalties on one invoice as of the letter date."""

    invoice: str
    principal: Decimal
    start: date
    days: int
    interest: Decimal
    indemnity: Decimal
    periods: tuple[RatePeriod, ...]
    basis: str
    indemnity_basis: str
    interest_paid: Decimal = ZERO  # settled by the dated partial payments (C. civ. 1343-1)
    invoice_total: Decimal = ZERO  # above ``principal``: run on the balance the ledger gives


@dataclass(frozen=True, slots=True)
class PenaltySummary:
    """What the law adds to the principal, invoice by invoice, as of ``as_of``."""

    regime: str
    as_of: date
    lines: tuple[PenaltyLine, ...] = ()
    basis: str = ""
    indemnity_basis: str = ""
    warnings: tuple[str, ...] = ()
    # When no regime applies (``regime`` is ""): the chooser's plain reason, said in the letter.
    note: str = ""

    @property
    def interest_total(self) -> Decimal:
        return sum((line.interest for line in self.lines), ZERO)

    @property
    def indemnity_total(self) -> Decimal:
        return sum((line.indemnity for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.interest_total + self.indemnity_total


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """Another head of claim (a clause pénale, a justified extra compensation…).

    ``formal_notice.check_formal_notice`` refuses the heads the law forbids (L111-8 CPCE).
    """

    label: str
    amount: Decimal
    basis: str = ""
    is_justified: bool = False


@dataclass(frozen=True, slots=True)
class Promise:
    amount: Decimal
    date: date


@dataclass(frozen=True, slots=True)
class Instalment:
    date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentReceived:
    amount: Decimal
    date: date


@dataclass(frozen=True, slots=True)
class LetterContext:
    """Everything one document (e-mail, letter, call script) may say, as plain data."""

    creditor: CreditorInfo
    debtor: DebtorInfo
    invoices: tuple[InvoiceLine, ...]
    letter_date: date
    reference: str
    attempts: tuple[Attempt, ...] = ()
    penalties: PenaltySummary | None = None
    deadline_days: int = DEFAULT_DEADLINE_DAYS
    lang: Lang = "fr"
    channel: str = "letter"
    notice_date: date | None = None
    notice_sent_date: date | None = None
    notice_not_claimed: bool = False
    other_claims: tuple[ClaimLine, ...] = ()
    promise: Promise | None = None
    plan: tuple[Instalment, ...] = ()
    payment: PaymentReceived | None = None
    # The debtor portal's signed link (relance.apps.portal), "" when the install has none.
    portal_url: str = ""
    # The regime the law gives this debtor and creditor (``choose_regime``): what the letter
    # says of the law when ``penalties`` was not computed (a step that states no amount).
    regime_choice: RegimeChoice | None = None
    # Set when an agency collects for the creditor: the document carries the R124-4 mentions.
    agency: AgencyInfo | None = None

    @property
    def currency(self) -> str:
        return self.invoices[0].currency if self.invoices else "EUR"

    @property
    def deadline_date(self) -> date:
        return self.letter_date + timedelta(days=self.deadline_days)

    @property
    def formal_notice_date(self) -> date | None:
        """The mise en demeure's own date: ``notice_sent_date``, else the latest registered
        letter among the attempts (the date it was sent)."""
        if self.notice_sent_date is not None:
            return self.notice_sent_date
        sent = [a.date for a in self.attempts if a.channel == "registered_letter"]
        if self.notice_date is not None:
            sent = [day for day in sent if day <= self.notice_date]
        return max(sent, default=None)

    @property
    def principal(self) -> Decimal:
        return sum((invoice.open_amount for invoice in self.invoices), ZERO)

    def pay_link(self, amount: Decimal | None = None) -> str:
        """The creditor's pay link for this letter, or "" when none is configured."""
        template = self.creditor.pay_link_template
        if not template:
            return ""
        return template.format(
            invoice=_url_part(",".join(i.number for i in self.invoices)),
            amount=str(round_cents(self.amount_claimed if amount is None else amount)),
            debtor=_url_part(self.debtor.account or self.debtor.name),
        )

    @property
    def amount_claimed(self) -> Decimal:
        penalties = self.penalties.total if self.penalties else ZERO
        others = sum((claim.amount for claim in self.other_claims), ZERO)
        return round_cents(self.principal + penalties + others)

    @property
    def regime(self) -> str:
        """The regime the letter states: its penalties', else the chooser's for the pair; "" for none."""
        if self.penalties is not None:
            return self.penalties.regime
        try:
            choice = self.regime_choice or choose_regime(
                currency=self.currency, debtor_kind=self.debtor.kind, debtor_country=self.debtor.country or "FR")
        except InvalidInputError:
            return ""
        return choice.regime or ""

    def as_template_vars(self) -> dict[str, Any]:
        """The documented context (``CONTEXT_DOC``) as dicts, lists and primitive values."""
        penalties = self.penalties
        # Templates written before the chooser (a creditor's edited copies) chose the law with
        # ``debtor.is_business`` (L441-10 and 40 €) and ``is_consumer`` (civil interest): both
        # now say what the chooser says, so such a template cannot state the wrong law.
        regime = self.regime
        invoiced = sum((i.total for i in self.invoices), ZERO)
        credited = sum((i.credited for i in self.invoices), ZERO)
        paid = sum((i.paid for i in self.invoices), ZERO)
        # The breakdown's split as ``relance interest`` makes it: partial payments settle interest
        # first (C. civ. 1343-1), so more of the principal remains; the total is the same.
        to_interest = sum((line.interest_paid for line in penalties.lines), ZERO) if penalties else ZERO
        return {
            "lang": self.lang,
            "creditor": {
                "name": self.creditor.name,
                "legal_form": self.creditor.legal_form,
                "siren": format_siren(self.creditor.siren),
                "vat": self.creditor.vat,
                "address_lines": list(self.creditor.address_lines),
                "postcode": self.creditor.postcode,
                "city": self.creditor.city,
                "iban": format_iban(self.creditor.iban),
                "bic": self.creditor.bic,
                "email": self.creditor.email,
                "phone": self.creditor.phone,
                "signature": self.creditor.signature or self.creditor.name,
                "place": self.creditor.place or self.creditor.city,
            },
            "debtor": {
                "name": self.debtor.name,
                "kind": self.debtor.kind,
                "is_business": regime == "fr-b2b",
                "is_consumer": regime == "fr-civil",
                "siren": format_siren(self.debtor.siren),
                "address_lines": list(self.debtor.address_lines),
                "postcode": self.debtor.postcode,
                "city": self.debtor.city,
                "country": self.debtor.country,
                "contact_name": self.debtor.contact_name,
                "account": self.debtor.account,
                "email": self.debtor.email,
                "phone": self.debtor.phone,
            },
            "invoices": [
                {
                    "number": i.number,
                    "issue_date": i.issue_date,
                    "due_date": i.due_date,
                    "total": i.total,
                    "open_amount": i.open_amount,
                    "paid": i.paid,
                    "credited": i.credited,
                    "currency": i.currency,
                    "days_late": max(0, (self.letter_date - i.due_date).days),
                    "is_due": i.due_date < self.letter_date,
                    "attached": i.attached,
                }
                for i in self.invoices
            ],
            "attempts": [
                {
                    "date": a.date,
                    "channel": a.channel,
                    "channel_label": say(LETTER_CHANNELS, a.channel, self.lang),
                    "summary": a.summary,
                }
                for a in self.attempts
            ],
            "penalties": _penalties_vars(penalties, self.regime_choice),
            "other_claims": [
                {"label": c.label, "amount": c.amount, "basis": c.basis} for c in self.other_claims
            ],
            "totals": {
                "currency": self.currency,
                "invoiced": invoiced,
                "paid": paid,
                "credited": credited,
                "paid_to_interest": to_interest,
                "paid_to_principal": paid - to_interest,
                "principal": self.principal,
                "principal_due": self.principal + to_interest,
                "interest": penalties.interest_total if penalties else ZERO,
                "interest_due": penalties.interest_total - to_interest if penalties else ZERO,
                "indemnity": penalties.indemnity_total if penalties else ZERO,
                "penalties": penalties.total if penalties else ZERO,
                "other_claims": sum((c.amount for c in self.other_claims), ZERO),
                "claimed": self.amount_claimed,
            },
            "letter": {
                "date": self.letter_date,
                "reference": self.reference,
                "deadline_days": self.deadline_days,
                "deadline_date": self.deadline_date,
                "channel": self.channel,
                "is_registered": self.channel == "registered_letter",
                "notice_date": self.notice_date,
                "notice_sent_date": self.formal_notice_date,
                "notice_not_claimed": self.notice_not_claimed and self.notice_date is None,
                "attached_invoices": [i.number for i in self.invoices if i.attached],
            },
            "pay": {
                "link": self.pay_link(),
                "iban": format_iban(self.creditor.iban),
                "bic": self.creditor.bic,
                "reference": self.reference,
                "amount": self.amount_claimed,
            },
            "promise": (
                {"amount": self.promise.amount, "date": self.promise.date} if self.promise else None
            ),
            "plan": {
                "instalments": [{"date": x.date, "amount": x.amount} for x in self.plan],
                "count": len(self.plan),
                "total": sum((x.amount for x in self.plan), ZERO),
            },
            "payment": (
                {"amount": self.payment.amount, "date": self.payment.date} if self.payment else None
            ),
            "portal_url": self.portal_url,
        }


_FLAGS = {"is_commercial": "fr-b2b", "is_public": "fr-public", "is_civil": "fr-civil",
          "is_directive": "eu-b2b", "is_uk": "uk-b2b", "is_none": ""}


def _regime_flags(regime: str) -> dict[str, bool]:
    """Which law the letter states, as the templates test it (``penalties.is_…``)."""
    return {flag: regime == name for flag, name in _FLAGS.items()}


def _penalties_vars(penalties: PenaltySummary | None, choice: RegimeChoice | None) -> dict[str, Any]:
    if penalties is None or not penalties.lines:
        # Not computed: the chooser's answer still says which law the letter may cite.
        regime = penalties.regime if penalties else (choice.regime or "") if choice else "?"
        return {
            "applies": False,
            "regime": regime if regime != "?" else "",
            **_regime_flags(regime),
            "note": penalties.note if penalties else choice.reason if choice and not choice.regime else "",
            "as_of": penalties.as_of if penalties else None,
            "basis": penalties.basis if penalties else "",
            "indemnity_basis": "",
            "interest_total": ZERO,
            "indemnity_total": ZERO,
            "indemnity_count": 0,
            "indemnity_each": None,
            "contract_basis": "",
            "total": ZERO,
            "lines": [],
        }
    owed = [line.indemnity for line in penalties.lines if line.indemnity]
    return {
        "applies": True,
        "regime": penalties.regime,
        **_regime_flags(penalties.regime),
        "note": penalties.note,
        "as_of": penalties.as_of,
        "basis": penalties.basis,
        "indemnity_basis": penalties.indemnity_basis,
        "interest_total": penalties.interest_total,
        "indemnity_total": penalties.indemnity_total,
        "contract_basis": next((p.basis for x in penalties.lines for p in x.periods
                                if p.basis.startswith(CONTRACT)), ""),
        "indemnity_count": len(owed),
        "indemnity_each": owed[0] if len(set(owed)) == 1 else None,
        "total": penalties.total,
        "lines": [
            {
                "invoice": line.invoice,
                "principal": line.principal,
                "start": line.start,
                "days": line.days,
                "interest": line.interest,
                "interest_paid": line.interest_paid,
                "on_balance": line.invoice_total > line.principal,
                "indemnity": line.indemnity,
                "rate": line.periods[0].rate if line.periods else ZERO,
                "single_rate": len({p.rate for p in line.periods}) <= 1,
                "rates": merged_periods(line.periods),
            }
            for line in penalties.lines
        ],
    }


def build_penalties(
    *,
    debtor_kind: DebtorKind,
    invoices: Iterable[InvoiceLine],
    as_of: date,
    notice_date: date | None = None,
    contract_rate: Decimal | None = None,
    tables: RateTables | None = None,
    choice: RegimeChoice | None = None,
    contract_multiple: Decimal | None = None,
    terms_reference: str = "",
) -> PenaltySummary:
    """Penalties on each late invoice as of ``as_of``, under the regime the law gives the pair.

    ``choice``: the chooser's answer for the pair (``choose_regime``, via the legal app's
    selectors); without it, a French creditor and a debtor in France of kind ``debtor_kind``.
    Under ``fr-b2b`` the L441-10 penalties (or the creditor's CGV rate: ``contract_rate`` or
    ``contract_multiple``, cited with ``terms_reference``) and 40 € per invoice from 2013; under ``fr-public`` the commande publique's moratory interest and 40 €
    (R2192-31, D2192-35); under ``eu-b2b`` and ``uk-b2b`` the directive's and the Late Payment
    Act's. Under ``fr-civil`` (a consumer, or a creditor who is a private individual) nothing
    runs before ``notice_date`` (the mise en demeure), and never an indemnity. When no regime
    applies the summary has no line, ``regime`` "" and the chooser's reason as ``note``.

    >>> invoice = InvoiceLine("F-1", date(2025, 7, 1), date(2025, 7, 31), Decimal("1000.00"),
    ...                       Decimal("1000.00"))
    >>> summary = build_penalties(debtor_kind="business", invoices=[invoice],
    ...                           as_of=date(2025, 10, 31))
    >>> summary.lines[0].interest, summary.lines[0].indemnity, summary.lines[0].periods[0].rate
    (Decimal('30.62'), Decimal('40.00'), Decimal('12.15'))
    >>> build_penalties(debtor_kind="consumer", invoices=[invoice], as_of=date(2025, 10, 31)).lines
    ()
    >>> public = build_penalties(debtor_kind="public", invoices=[invoice], as_of=date(2025, 10, 31))
    >>> public.regime, public.lines[0].periods[0].rate
    ('fr-public', Decimal('10.15'))
    """
    if debtor_kind not in ("business", "consumer", "public"):
        raise InvalidInputError(f"Unknown debtor kind {debtor_kind!r}.")
    listed = tuple(invoices)
    if choice is None:
        currencies = sorted({invoice.currency for invoice in listed}) or ["EUR"]
        choice = (
            choose_regime(currency=currencies[0], debtor_kind=debtor_kind)
            if len(currencies) == 1
            else several_currencies(currencies)
        )
    if choice.regime is None:
        return PenaltySummary(regime="", as_of=as_of, note=choice.reason)
    regime = choice.regime
    if regime == "fr-civil" and notice_date is None:
        return PenaltySummary(
            regime=regime,
            as_of=as_of,
            warnings=("No mise en demeure yet: civil interest has not started (C. civ. 1344-1).",),
        )
    lines: list[PenaltyLine] = []
    basis = indemnity_basis = ""
    warnings: list[str] = []
    for invoice in listed:
        if invoice.open_amount <= ZERO or invoice.due_date >= as_of:
            continue
        # Unpaid at the due date as far as dates are known: credit notes and undated settlements none.
        principal = invoice.open_amount + sum((amount for _, amount in invoice.payments), ZERO)
        computation = penalties_on_invoice(
            regime=regime,
            principal=principal,
            due_date=invoice.due_date,
            as_of=as_of,
            payments=invoice.payments,
            currency=invoice.currency,
            creditor_kind=choice.creditor_kind,
            contract_rate=contract_rate if regime == "fr-b2b" else None,
            contract_multiple=contract_multiple if regime == "fr-b2b" else None,
            terms_reference=terms_reference if regime == "fr-b2b" else "",
            notice_date=notice_date,
            issue_date=invoice.issue_date,
            tables=tables,
        )
        basis, indemnity_basis = computation.basis, computation.indemnity_basis
        warnings.extend(computation.warnings)
        periods = tuple(
            RatePeriod(p.start, p.end, p.days, p.rate, p.interest, p.basis, p.base)
            for p in computation.periods
        )
        lines.append(
            PenaltyLine(
                invoice=invoice.number,
                principal=principal,
                start=periods[0].start if periods else computation.start + timedelta(days=1),
                days=computation.days,
                interest=computation.interest,
                indemnity=computation.indemnity,
                periods=periods,
                basis=computation.basis,
                indemnity_basis=computation.indemnity_basis,
                interest_paid=computation.interest - computation.outstanding_interest,
                invoice_total=invoice.total,
            )
        )
    return PenaltySummary(
        regime=regime,
        as_of=as_of,
        lines=tuple(lines),
        basis=basis,
        indemnity_basis=indemnity_basis,
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _url_part(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
