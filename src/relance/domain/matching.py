"""Match bank credit lines to open invoices, and say why.

Each credit line is read the way a credit manager reads it: invoice numbers quoted in the
remittance (the structured creditor reference, ISO 11649 ``RF`` references checked with
python-stdnum, free text holding one or several numbers such as ``F230866 F230765`` or
``F238765+F229876``), then the amount, the payer's IBAN already known from earlier matches,
and the payer's name (fuzzy, with rapidfuzz) when no number was found.

A ``MatchProposal`` allocates the line to invoices, oldest due date first, never more than an
invoice still has open nor more than the line brings; what is left is an ``overpayment`` kept
as a credit on the debtor's account. Its ``confidence`` (0 to 1) decides its ``state``:
``applied`` at or above the threshold, ``suggested`` (for a person to confirm) below.
Debits and credits that nothing ties to a debtor get no proposal.

Every proposal of a run, applied or suggested, reserves the amounts it allocates: an invoice
taken by the first line has less left for the second, so accepting every suggestion can never
allocate an invoice twice.

Scale: invoices are indexed once by normalised number, by debtor, by debtor name token and
(lazily) by amount; each line's text is tokenised once. There is no scan of lines × invoices:
100,000 lines against 1,000,000 open invoices match in well under a minute.

>>> from datetime import date
>>> from relance.domain.banking import LineRecord
>>> invoice = OpenInvoice("1", "F230875", "411MJB", "Ma Jolie Boutique", Decimal("1040.17"), "EUR", date(2024, 1, 10))
>>> line = LineRecord(date(2024, 1, 13), Decimal("1040.17"), "EUR", remittance="facture F230875", fingerprint="L1")
>>> (proposal,) = match_lines([line], [invoice])
>>> proposal.allocations, proposal.state, proposal.confidence
((Allocation(invoice_id='1', amount=Decimal('1040.17')),), 'applied', Decimal('0.95'))
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, NamedTuple, Protocol

from rapidfuzz import fuzz, process
from stdnum import iso11649

ZERO = Decimal("0")
ONE = Decimal("1")
CONFIDENCE_STEP = Decimal("0.01")
NAME_CUTOFF = 85.0
# A name token shared by more debtors than this says nothing (think "FRANCE", "SERVICES").
_MAX_NAME_POSTING = 2000
_MIN_NUMBER_LENGTH = 3

_TOKEN = re.compile(r"[0-9A-Za-z](?:[0-9A-Za-z\-/_.]*[0-9A-Za-z])?")
_PIECE = re.compile(r"[0-9A-Za-z]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_LEGAL_FORMS = frozenset(
    [
        "SA",
        "SAS",
        "SASU",
        "SARL",
        "EURL",
        "SCI",
        "SNC",
        "SCP",
        "SCM",
        "SELARL",
        "EI",
        "EIRL",
        "STE",
        "SOCIETE",
        "ETS",
        "ETABLISSEMENTS",
        "CIE",
        "ET",
        "LTD",
        "LIMITED",
        "PLC",
        "GMBH",
        "AG",
        "BV",
        "NV",
        "SL",
        "SRL",
        "SPA",
        "INC",
        "LLC",
        "CORP",
        "CO",
    ]
)

MatchState = Literal["applied", "suggested"]


class MatchableLine(Protocol):
    """What matching reads from a statement line (``LineRecord`` or a stored line)."""

    @property
    def fingerprint(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def remittance(self) -> str: ...
    @property
    def structured_reference(self) -> str: ...
    @property
    def end_to_end_id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def counterparty_name(self) -> str: ...
    @property
    def counterparty_iban(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice with money still due; ``id`` is whatever the caller uses to find it again."""

    id: Hashable
    number: str
    debtor_account: str
    debtor_name: str
    open_amount: Decimal
    currency: str
    due_date: date


class Allocation(NamedTuple):
    invoice_id: Hashable
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MatchProposal:
    """How one credit line pays invoices; ``line_key`` is the line's fingerprint."""

    line_key: str
    allocations: tuple[Allocation, ...]
    debtor_account: str
    confidence: Decimal
    reasons: tuple[str, ...]
    overpayment: Decimal
    state: MatchState

    @property
    def allocated_amount(self) -> Decimal:
        return sum((allocation.amount for allocation in self.allocations), ZERO)


def normalise_number(text: str) -> str:
    """Invoice numbers compare without case, spaces or punctuation.

    >>> normalise_number("fa-2017/0010")
    'FA20170010'
    """
    return _NOT_ALNUM.sub("", text.upper())


def normalise_name(text: str) -> str:
    """Upper case, no accents or punctuation, legal forms dropped, words sorted.

    >>> normalise_name("Martin SARL")
    'MARTIN'
    >>> normalise_name("SARL  Martin & Fils")
    'FILS MARTIN'
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    words = [
        word
        for word in _NOT_ALNUM.sub(" ", plain.replace("&", " ")).split()
        if word not in _LEGAL_FORMS
    ]
    return " ".join(sorted(words))


def number_candidates(text: str) -> list[str]:
    """Every normalised string in ``text`` that could be an invoice number.

    Whole tokens (``FA-2017-0010``), their pieces (``F239765/F237654``, ``F238765+F229876``)
    and two or three adjacent words (``FA 2017 0010``).

    >>> number_candidates("VIR -F238765+F229876")
    ['VIR', 'F238765', 'F229876', 'VIRF238765', 'F238765F229876', 'VIRF238765F229876']
    """
    seen: dict[str, None] = {}
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        whole = normalise_number(token)
        seen.setdefault(whole, None)
        pieces = _PIECE.findall(token)
        if len(pieces) > 1:
            for piece in pieces:
                seen.setdefault(piece.upper(), None)
        words.extend(piece.upper() for piece in pieces)
    for size in (2, 3):
        for start in range(len(words) - size + 1):
            seen.setdefault("".join(words[start : start + size]), None)
    return [candidate for candidate in seen if len(candidate) >= _MIN_NUMBER_LENGTH]


def _compact_iban(text: str) -> str:
    return re.sub(r"[\s\-]", "", text).upper()


class InvoiceIndex:
    """Open invoices indexed for matching; remaining amounts shrink as lines are matched."""

    def __init__(self, invoices: Iterable[OpenInvoice]) -> None:
        self.by_number: dict[str, list[OpenInvoice]] = defaultdict(list)
        self.by_debtor: dict[str, list[OpenInvoice]] = defaultdict(list)
        self.remaining: dict[Hashable, Decimal] = {}
        self.debtor_names: dict[str, str] = {}
        for invoice in invoices:
            if invoice.open_amount <= 0 or invoice.id in self.remaining:
                continue
            self.remaining[invoice.id] = invoice.open_amount
            number = normalise_number(invoice.number)
            if len(number) >= _MIN_NUMBER_LENGTH:
                self.by_number[number].append(invoice)
            self.by_debtor[invoice.debtor_account].append(invoice)
            self.debtor_names.setdefault(invoice.debtor_account, invoice.debtor_name)
        for invoices_of_debtor in self.by_debtor.values():
            invoices_of_debtor.sort(key=_age)
        self._names: dict[str, set[str]] | None = None
        self._name_tokens: dict[str, list[str]] | None = None
        self._by_amount: dict[tuple[str, Decimal], list[OpenInvoice]] | None = None

    def _build_names(self) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
        if self._names is None or self._name_tokens is None:
            names: dict[str, set[str]] = defaultdict(set)
            for account, name in self.debtor_names.items():
                normalised = normalise_name(name)
                if normalised:
                    names[normalised].add(account)
            tokens: dict[str, list[str]] = defaultdict(list)
            for normalised in names:
                for key in _name_keys(normalised):
                    tokens[key].append(normalised)
            self._names, self._name_tokens = names, tokens
        return self._names, self._name_tokens

    def debtor_by_name(self, payer: str) -> tuple[str, str, float] | None:
        """(debtor account, debtor name, score) for a payer name, or ``None``."""
        query = normalise_name(payer)
        if not query:
            return None
        names, tokens = self._build_names()
        accounts = names.get(query)
        score = 100.0
        if accounts is None:
            candidates: set[str] = set()
            for key in _name_keys(query):
                posting = tokens.get(key, ())
                if len(posting) <= _MAX_NAME_POSTING:
                    candidates.update(posting)
            if not candidates:
                return None
            best = process.extractOne(
                query, list(candidates), scorer=fuzz.token_sort_ratio, score_cutoff=NAME_CUTOFF
            )
            if best is None:
                return None
            accounts, score = names[best[0]], float(best[1])
        if len(accounts) != 1:
            return None  # homonyms: a name alone cannot tell them apart
        (account,) = accounts
        return account, self.debtor_names[account], score

    def unique_by_amount(self, currency: str, amount: Decimal) -> OpenInvoice | None:
        if self._by_amount is None:
            by_amount: dict[tuple[str, Decimal], list[OpenInvoice]] = defaultdict(list)
            for invoices in self.by_debtor.values():
                for invoice in invoices:
                    by_amount[(invoice.currency, invoice.open_amount)].append(invoice)
            self._by_amount = by_amount
        found: OpenInvoice | None = None
        for invoice in self._by_amount.get((currency, amount), ()):
            if self.remaining[invoice.id] == invoice.open_amount:
                if found is not None:
                    return None  # two candidates: the amount alone cannot choose
                found = invoice
        return found


def _name_keys(normalised: str) -> set[str]:
    """Blocking keys of a name: its words and their first four letters (typos come later)."""
    keys = set()
    for word in normalised.split():
        if len(word) >= 3:
            keys.add(word)
            keys.add(word[:4] + "*")
    return keys


def _age(invoice: OpenInvoice) -> tuple[date, str]:
    return invoice.due_date, invoice.number


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _name_similarity(payer: str, debtor: str) -> float:
    left, right = normalise_name(payer), normalise_name(debtor)
    if not left or not right:
        return 0.0
    return float(fuzz.token_sort_ratio(left, right))


@dataclass(slots=True)
class _Draft:
    debtor: str
    confidence: Decimal
    reasons: list[str]
    allocations: list[Allocation]
    overpayment: Decimal = ZERO


def _allocate(
    index: InvoiceIndex, invoices: Sequence[OpenInvoice], amount: Decimal
) -> tuple[list[Allocation], Decimal]:
    """Oldest due first, each up to what it still has open; returns what is left over."""
    left = amount
    allocations = []
    for invoice in invoices:
        if left <= 0:
            break
        open_amount = index.remaining[invoice.id]
        if open_amount <= 0:
            continue
        take = min(open_amount, left)
        allocations.append(Allocation(invoice.id, take))
        left -= take
    return allocations, left


def _by_numbers(index: InvoiceIndex, line: MatchableLine, iban_debtor: str | None) -> _Draft | None:
    sources = (
        ("structured reference", line.structured_reference),
        ("remittance text", line.remittance),
        ("end-to-end id", line.end_to_end_id),
        ("bank label", line.label),
    )
    found: dict[Hashable, tuple[OpenInvoice, str]] = {}
    structured = False
    for source, text in sources:
        if not text:
            continue
        for candidate in number_candidates(text):
            where = source
            keys = [candidate]
            if candidate.startswith("RF") and iso11649.is_valid(candidate):
                where = f"RF reference {iso11649.format(candidate)}"
                keys.append(candidate[4:])
                keys.append(candidate[4:].lstrip("0"))
            for key in keys:
                for invoice in index.by_number.get(key, ()):
                    if invoice.currency == line.currency and invoice.id not in found:
                        found[invoice.id] = (invoice, where)
                        structured = (
                            structured or where != source or source == "structured reference"
                        )
    if not found:
        return None
    reasons: list[str] = []
    per_debtor: dict[str, list[OpenInvoice]] = defaultdict(list)
    for invoice, _ in found.values():
        per_debtor[invoice.debtor_account].append(invoice)
    penalty = ZERO
    name_scores = {
        account: _name_similarity(line.counterparty_name, index.debtor_names[account])
        for account in per_debtor
    }
    if len(per_debtor) > 1:
        if iban_debtor in per_debtor:
            debtor = iban_debtor
        else:
            # Prefer the debtor whose quoted invoices are still open, then the payer's name.
            debtor = max(
                per_debtor,
                key=lambda account: (
                    sum(1 for invoice in per_debtor[account] if index.remaining[invoice.id] > 0),
                    name_scores[account] >= NAME_CUTOFF,
                    len(per_debtor[account]),
                    -min(invoice.due_date for invoice in per_debtor[account]).toordinal(),
                ),
            )
            if name_scores[debtor] < NAME_CUTOFF:
                penalty = Decimal("0.30")
        reasons.append(f"numbers of {len(per_debtor)} debtors found; kept those of {debtor}")
    else:
        (debtor,) = per_debtor
    invoices = sorted(per_debtor[debtor], key=_age)
    for invoice in invoices:
        reasons.append(f"invoice number {invoice.number} found in {found[invoice.id][1]}")
    open_total = sum((index.remaining[invoice.id] for invoice in invoices), ZERO)
    settled = [invoice.number for invoice in invoices if index.remaining[invoice.id] <= 0]
    if settled:
        reasons.append(f"already settled by an earlier line: {', '.join(settled)}")
    confidence = Decimal("0.75") if structured else Decimal("0.70")
    allocations, left = _allocate(index, invoices, line.amount)
    if not allocations and iban_debtor != debtor and name_scores[debtor] < NAME_CUTOFF:
        return None  # a settled number quoted by someone else: let the IBAN or name decide
    if not allocations:
        reasons.append(
            f"nothing left open on the quoted invoices; {_money(line.amount)} kept as a credit"
        )
        confidence = Decimal("0.50")
    elif line.amount == open_total:
        reasons.append(
            "amount equals the open amount" + (" of the invoices" if len(invoices) > 1 else "")
        )
        confidence += Decimal("0.25")
    elif line.amount < open_total:
        reasons.append(
            f"partial payment: {_money(line.amount)} of {_money(open_total)} open, oldest due first"
        )
        confidence += Decimal("0.10")
    else:
        reasons.append(f"overpayment of {_money(left)} kept as a credit")
        confidence += Decimal("0.10")
    if iban_debtor == debtor:
        reasons.append("IBAN known from earlier matches")
        confidence += Decimal("0.05")
    elif iban_debtor is not None:
        reasons.append(f"IBAN known from earlier matches with another debtor ({iban_debtor})")
        penalty += Decimal("0.30")
    elif line.counterparty_name:
        score = name_scores[debtor]
        if score >= NAME_CUTOFF:
            reasons.append(
                f"payer name {line.counterparty_name!r} ~ {index.debtor_names[debtor]!r} {score:.0f}%"
            )
            confidence += Decimal("0.05")
    return _Draft(debtor, confidence - penalty, reasons, allocations, left)


def _by_debtor(
    index: InvoiceIndex, line: MatchableLine, debtor: str, base: Decimal, reasons: list[str]
) -> _Draft:
    invoices = [
        invoice
        for invoice in index.by_debtor.get(debtor, ())
        if invoice.currency == line.currency and index.remaining[invoice.id] > 0
    ]
    amount = line.amount
    if not invoices:
        reasons.append(f"no open invoice for this debtor; {_money(amount)} kept as a credit")
        return _Draft(debtor, base, reasons, [], amount)
    exact = next((invoice for invoice in invoices if index.remaining[invoice.id] == amount), None)
    if exact is not None:
        reasons.append(f"amount equals the open amount of invoice {exact.number}")
        return _Draft(debtor, base + Decimal("0.30"), reasons, [Allocation(exact.id, amount)])
    open_total = sum((index.remaining[invoice.id] for invoice in invoices), ZERO)
    allocations, left = _allocate(index, invoices, amount)
    if open_total == amount:
        reasons.append(f"amount equals the debtor's {len(invoices)} open invoices")
        return _Draft(debtor, base + Decimal("0.30"), reasons, allocations)
    if left > 0:
        reasons.append(f"overpayment of {_money(left)} kept as a credit")
    else:
        reasons.append("amount matches no invoice; allocated oldest due first")
    return _Draft(debtor, base, reasons, allocations, left)


def match_lines(
    lines: Sequence[MatchableLine],
    invoices: Sequence[OpenInvoice] | InvoiceIndex,
    *,
    known_ibans: Mapping[str, str] | None = None,
    threshold: Decimal = Decimal("0.80"),
) -> list[MatchProposal]:
    """Propose how each credit line pays open invoices; see the module docstring.

    ``known_ibans`` maps a payer IBAN to the debtor account earlier matches taught us.
    Lines are taken in order; each proposal reserves what it allocates.
    """
    index = invoices if isinstance(invoices, InvoiceIndex) else InvoiceIndex(invoices)
    ibans = {_compact_iban(iban): account for iban, account in (known_ibans or {}).items()}
    proposals: list[MatchProposal] = []
    for line in lines:
        if line.amount <= 0:
            continue
        iban_debtor = (
            ibans.get(_compact_iban(line.counterparty_iban)) if line.counterparty_iban else None
        )
        draft = _by_numbers(index, line, iban_debtor)
        if draft is None and iban_debtor is not None:
            draft = _by_debtor(
                index, line, iban_debtor, Decimal("0.60"), ["IBAN known from earlier matches"]
            )
        if draft is None and line.counterparty_name:
            named = index.debtor_by_name(line.counterparty_name)
            if named is not None:
                account, name, score = named
                reason = f"payer name {line.counterparty_name!r} ~ {name!r} {score:.0f}%"
                base = Decimal("0.50") * Decimal(str(round(score))) / 100
                draft = _by_debtor(index, line, account, base, [reason])
        if draft is None:
            invoice = index.unique_by_amount(line.currency, line.amount)
            if invoice is not None:
                reason = f"amount equals the open amount of invoice {invoice.number}, the only one with it"
                draft = _Draft(
                    invoice.debtor_account,
                    Decimal("0.40"),
                    [reason],
                    [Allocation(invoice.id, line.amount)],
                )
        if draft is None:
            continue
        for allocation in draft.allocations:
            index.remaining[allocation.invoice_id] -= allocation.amount
        confidence = min(ONE, max(ZERO, draft.confidence)).quantize(CONFIDENCE_STEP)
        proposals.append(
            MatchProposal(
                line_key=line.fingerprint,
                allocations=tuple(draft.allocations),
                debtor_account=draft.debtor,
                confidence=confidence,
                reasons=tuple(draft.reasons),
                overpayment=draft.overpayment,
                state="applied" if confidence >= threshold else "suggested",
            )
        )
    return proposals
