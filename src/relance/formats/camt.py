"""ISO 20022 cash-management statements: camt.053 (statement), camt.054 (notification).

Follows the ISO 20022 message definitions ``camt.053.001.xx`` (BankToCustomerStatement),
``camt.054.001.xx`` (BankToCustomerDebitCreditNotification) and, because it shares the
layout, ``camt.052.001.xx`` (account report); versions 001.02 to 001.13 are read alike,
which covers the .02, .04 and .08 that French and European banks send.

The XML is parsed with defusedxml's SAX parser (no DTD, no entities, no external
resources) into a small tree that remembers each element's source line, so problems and
lines point at the ``<Ntry>`` in the file.

One ``LineRecord`` per ``<Ntry>``; an entry that batches several transactions
(``<TxDtls>``) is split into one line per transaction only when each transaction carries an
amount in the entry's currency and those amounts add up to the entry, which is what a bank
booking a batch of incoming transfers sends. Otherwise the entry stays one line and the
remittance of all its transactions is joined.

For a credit the counterparty is the debtor (``RltdPties/Dbtr``, ``DbtrAcct``); for a
debit, the creditor. Entries whose status is not booked (``PDNG``, ``INFO``) are left out
with a note: they would come back booked in a later file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml.sax
from defusedxml import DefusedXmlException

from relance.domain.banking import BankReport, LineRecord, StatementRecord, build_report
from relance.domain.problems import N_, Note, Phrase, Problem
from relance.formats._bankutil import BankFormat, clean, compact_iban, join_texts

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d{2})")
_CONTAINERS = {
    "BkToCstmrStmt": "Stmt",
    "BkToCstmrDbtCdtNtfctn": "Ntfctn",
    "BkToCstmrAcctRpt": "Rpt",
}
_OPENING = ("OPBD", "PRCD", "ITBD")
_CLOSING = ("CLBD",)


@dataclass(slots=True)
class Node:
    """An XML element without its namespace prefix, with its source line."""

    tag: str
    line: int
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts).strip()

    def find(self, path: str) -> Node | None:
        """The first element along a ``A/B/C`` path, or ``None``."""
        node: Node | None = self
        for step in path.split("/"):
            if node is None:
                return None
            node = next((child for child in node.children if child.tag == step), None)
        return node

    def findall(self, path: str) -> list[Node]:
        *head, last = path.split("/")
        parent = self.find("/".join(head)) if head else self
        if parent is None:
            return []
        return [child for child in parent.children if child.tag == last]

    def findtext(self, path: str) -> str:
        node = self.find(path)
        return node.text if node is not None else ""


class _TreeBuilder(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.locator: Locator | None = None
        self.stack: list[Node] = []
        self.root: Node | None = None

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        line = self.locator.getLineNumber() if self.locator is not None else 0
        node = Node(name.rpartition(":")[2], line or 0, dict(attrs.items()))
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElement(self, name: str) -> None:
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].text_parts.append(content)


def parse_xml(data: bytes) -> tuple[Node | None, Problem | None]:
    """Parse safely; a fault becomes a problem with the line where the parser stopped."""
    builder = _TreeBuilder()
    try:
        defusedxml.sax.parseString(data, builder, forbid_dtd=True)
    except SAXParseException as exc:
        return None, Problem.of(
            "xml_malformed",
            N_("malformed XML: %(error)s"),
            exc.getLineNumber(),
            error=exc.getMessage(),
        )
    except DefusedXmlException as exc:
        return None, Problem.of(
            "xml_forbidden", N_("refused XML construct: %(error)s"), error=str(exc)
        )
    return builder.root, None


def camt_kind(data: bytes) -> str | None:
    """``camt053`` or ``camt054`` (a camt.052 report reads as ``camt053``) from the namespace."""
    match = _NAMESPACE.search(data[:4096].decode("latin-1"))
    if not match:
        return None
    return "camt054" if match[1] == "054" else "camt053"


class _Fault(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _amount(node: Node | None, where: int, what: Phrase) -> tuple[Decimal, str]:
    if node is None or not node.text:
        raise _Fault(Problem.of("camt_amount_missing", N_("%(what)s: no amount"), where, what=what))
    invalid = N_("%(what)s: %(value)r is not an amount")
    try:
        value = Decimal(node.text)
    except InvalidOperation as exc:
        raise _Fault(
            Problem.of("camt_amount_invalid", invalid, node.line, what=what, value=node.text)
        ) from exc
    if not value.is_finite() or value < 0:
        raise _Fault(
            Problem.of("camt_amount_invalid", invalid, node.line, what=what, value=node.text)
        )
    return value, node.attrs.get("Ccy", "")


def _signed(value: Decimal, indicator: Node | None, where: int, what: Phrase) -> Decimal:
    code = indicator.text if indicator is not None else ""
    if code == "CRDT":
        return value
    if code == "DBIT":
        return -value if value else value
    raise _Fault(
        Problem.of(
            "camt_sign_missing",
            N_("%(what)s: CdtDbtInd is %(indicator)s, expected CRDT or DBIT"),
            where,
            what=what,
            indicator=code,
        )
        if code
        else Problem.of(
            "camt_sign_missing",
            N_("%(what)s: CdtDbtInd is missing, expected CRDT or DBIT"),
            where,
            what=what,
        )
    )


def _date(node: Node | None) -> date | None:
    """``<Dt>`` or the date part of ``<DtTm>`` as written (no time-zone shift)."""
    if node is None:
        return None
    text = node.findtext("Dt") or node.findtext("DtTm")[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise _Fault(
            Problem.of("camt_date_invalid", N_("%(value)r is not a date"), node.line, value=text)
        ) from exc


def _party_name(party: Node | None) -> str:
    if party is None:
        return ""
    return clean(party.findtext("Nm") or party.findtext("Pty/Nm"))


def _account_id(account: Node | None) -> str:
    if account is None:
        return ""
    iban = account.findtext("Id/IBAN")
    if iban:
        return compact_iban(iban)
    return clean(account.findtext("Id/Othr/Id"))


def _bank_code(entry: Node) -> str:
    domain = entry.find("BkTxCd/Domn")
    if domain is not None:
        parts = [
            domain.findtext("Cd"),
            domain.findtext("Fmly/Cd"),
            domain.findtext("Fmly/SubFmlyCd"),
        ]
        return "/".join(part for part in parts if part)
    return entry.findtext("BkTxCd/Prtry/Cd")


@dataclass(slots=True)
class _Details:
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    end_to_end_id: str = ""
    bank_reference: str = ""


def _details(tx: Node, credit: bool) -> _Details:
    found = _Details()
    parties = tx.find("RltdPties")
    if parties is not None:
        side, other = ("Dbtr", "UltmtDbtr") if credit else ("Cdtr", "UltmtCdtr")
        found.counterparty_name = _party_name(parties.find(side)) or _party_name(
            parties.find(other)
        )
        found.counterparty_iban = _account_id(parties.find(f"{side}Acct"))
    end_to_end = tx.findtext("Refs/EndToEndId")
    if end_to_end and end_to_end.upper() != "NOTPROVIDED":
        found.end_to_end_id = end_to_end
    found.bank_reference = tx.findtext("Refs/AcctSvcrRef")
    info = tx.find("RmtInf")
    if info is not None:
        found.remittance.extend(node.text for node in info.findall("Ustrd"))
        for structured in info.findall("Strd"):
            for reference in structured.findall("CdtrRefInf"):
                if reference.findtext("Ref"):
                    found.references.append(clean(reference.findtext("Ref")))
            for document in structured.findall("RfrdDocInf"):
                found.remittance.append(document.findtext("Nb"))
            found.remittance.extend(node.text for node in structured.findall("AddtlRmtInf"))
    return found


def _merge(details: list[_Details]) -> _Details:
    merged = _Details()
    for item in details:
        merged.counterparty_name = merged.counterparty_name or item.counterparty_name
        merged.counterparty_iban = merged.counterparty_iban or item.counterparty_iban
        merged.end_to_end_id = merged.end_to_end_id or item.end_to_end_id
        merged.bank_reference = merged.bank_reference or item.bank_reference
        merged.remittance.extend(item.remittance)
        merged.references.extend(
            reference for reference in item.references if reference not in merged.references
        )
    return merged


def _created(node: Node | None) -> date | None:
    """The date part of a message's or statement's ``CreDtTm``, as written, when valid."""
    text = node.findtext("CreDtTm") if node is not None else ""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _entry_lines(
    entry: Node, account: str, notes: list[str], created: date | None = None
) -> list[LineRecord]:
    what = Phrase.of(N_("entry at line %(line)s"), line=entry.line)
    value, currency = _amount(entry.find("Amt"), entry.line, what)
    amount = _signed(value, entry.find("CdtDbtInd"), entry.line, what)
    booking = _date(entry.find("BookgDt"))
    value_date = _date(entry.find("ValDt"))
    if booking is None and value_date is None:
        # Both are optional in the schema (a camt.054 notification may give neither): the
        # entry was booked by the time the bank created the statement, so that date it is.
        if created is None:
            raise _Fault(
                Problem.of(
                    "camt_date_missing",
                    N_("entry has neither BookgDt nor ValDt, and the statement no CreDtTm"),
                    entry.line,
                )
            )
        booking = created
        notes.append(
            Note(
                N_(
                    "line %(line)s: the entry has neither BookgDt nor ValDt; it is dated "
                    "%(date)s, the day the bank created the statement (CreDtTm)"
                ),
                line=entry.line,
                date=created,
            )
        )
    common = {
        "booking_date": booking or value_date,
        "value_date": value_date,
        "currency": currency,
        "account": account,
        "label": clean(entry.findtext("AddtlNtryInf")),
        "kind": _bank_code(entry),
    }
    entry_reference = entry.findtext("AcctSvcrRef")
    transactions = [tx for details in entry.findall("NtryDtls") for tx in details.findall("TxDtls")]
    credit = amount > 0 or (amount == 0 and entry.findtext("CdtDbtInd") == "CRDT")

    split: list[tuple[Node, Decimal]] = []
    if len(transactions) > 1:
        for tx in transactions:
            node = tx.find("Amt") or tx.find("AmtDtls/TxAmt/Amt")
            if node is None or node.attrs.get("Ccy", currency) != currency:
                split = []
                break
            tx_what = Phrase.of(N_("transaction at line %(line)s"), line=tx.line)
            tx_value, _ = _amount(node, tx.line, tx_what)
            indicator = tx.find("CdtDbtInd") or entry.find("CdtDbtInd")
            split.append((tx, _signed(tx_value, indicator, tx.line, tx_what)))
        if split and sum(part for _, part in split) != amount:
            split = []
        if not split:
            notes.append(
                f"line {entry.line}: {len(transactions)} transactions whose amounts do not add up to "
                f"the entry's {amount} {currency}; kept as one line"
            )
    if split:
        lines = []
        for tx, part in split:
            found = _details(tx, part > 0)
            lines.append(
                LineRecord(
                    amount=part,
                    counterparty_name=found.counterparty_name,
                    counterparty_iban=found.counterparty_iban,
                    remittance=join_texts(found.remittance),
                    structured_reference="; ".join(found.references),
                    end_to_end_id=found.end_to_end_id,
                    bank_reference=found.bank_reference or entry_reference,
                    line=tx.line,
                    **common,  # type: ignore[arg-type]
                )
            )
        return lines
    found = _merge([_details(tx, credit) for tx in transactions])
    return [
        LineRecord(
            amount=amount,
            counterparty_name=found.counterparty_name,
            counterparty_iban=found.counterparty_iban,
            remittance=join_texts(found.remittance),
            structured_reference="; ".join(found.references),
            end_to_end_id=found.end_to_end_id,
            bank_reference=entry_reference or found.bank_reference,
            line=entry.line,
            **common,  # type: ignore[arg-type]
        )
    ]


def _statement(
    node: Node, notes: list[str], problems: list[Problem], created: date | None = None
) -> StatementRecord:
    """One statement or notification; ``created`` is the message's ``CreDtTm`` date, for the
    entries that give no date when the statement gives no ``CreDtTm`` either."""
    created = _created(node) or created
    account_node = node.find("Acct")
    account = _account_id(account_node)
    if not account:
        problems.append(
            Problem.of("camt_account_missing", N_("statement without an account id"), node.line)
        )
    currency = account_node.findtext("Ccy") if account_node is not None else ""
    opening: tuple[Decimal, date | None, str] | None = None
    closing: tuple[Decimal, date | None, str] | None = None
    for balance in node.findall("Bal"):
        code = balance.findtext("Tp/CdOrPrtry/Cd")
        if code not in _OPENING + _CLOSING:
            continue
        try:
            what = Phrase.of(N_("balance %(code)s"), code=code)
            value, ccy = _amount(balance.find("Amt"), balance.line, what)
            signed = _signed(value, balance.find("CdtDbtInd"), balance.line, what)
            when = _date(balance.find("Dt"))
        except _Fault as fault:
            problems.append(fault.problem)
            continue
        if code in _OPENING and opening is None:
            opening = (signed, when, ccy)
        elif code in _CLOSING and closing is None:
            closing = (signed, when, ccy)
    lines: list[LineRecord] = []
    for entry in node.findall("Ntry"):
        status = entry.findtext("Sts/Cd") or entry.findtext("Sts")
        if status and status != "BOOK":
            notes.append(f"line {entry.line}: entry with status {status} left out (not booked)")
            continue
        try:
            lines.extend(_entry_lines(entry, account, notes, created))
        except _Fault as fault:
            problems.append(fault.problem)
    currency = currency or (opening[2] if opening else "") or (lines[0].currency if lines else "")
    for name, balance_info in (("opening", opening), ("closing", closing)):
        if balance_info and balance_info[2] and balance_info[2] != currency:
            notes.append(
                f"line {node.line}: {name} balance in {balance_info[2]}, account in {currency}"
            )
    for line in lines:
        if line.currency != currency:
            notes.append(f"line {line.line}: amount in {line.currency}, account in {currency}")
    if opening and closing and opening[2] == closing[2] == currency:
        total = sum((line.amount for line in lines), Decimal(0))
        if opening[0] + total != closing[0]:
            notes.append(
                f"line {node.line}: opening {opening[0]} + movements {total} ≠ closing {closing[0]}"
                " (the file may hold only part of the day's entries)"
            )
    return StatementRecord(
        account=account,
        currency=currency,
        statement_id=node.findtext("Id"),
        opening_balance=opening[0] if opening else None,
        opening_date=opening[1] if opening else None,
        closing_balance=closing[0] if closing else None,
        closing_date=closing[1] if closing else None,
        lines=tuple(lines),
        line=node.line,
    )


def read_camt(data: bytes, *, expect: str | None = None) -> BankReport:
    """Read a camt.053/054 (or 052) file; ``expect`` refuses the other kind when given."""
    kind = camt_kind(data) or expect or "camt053"
    root, fault = parse_xml(data)
    if fault is not None or root is None:
        return build_report(
            kind, (), [fault or Problem.of("xml_empty", N_("empty XML document"), 1)]
        )
    namespace = next(
        (
            value
            for key, value in root.attrs.items()
            if key.startswith("xmlns") and _NAMESPACE.fullmatch(value)
        ),
        "",
    )
    match = _NAMESPACE.fullmatch(namespace)
    if root.tag != "Document" or match is None:
        return build_report(
            kind,
            (),
            [
                Problem.of(
                    "camt_unknown", N_("not an ISO 20022 camt.052/053/054 document"), root.line
                )
            ],
        )
    kind = "camt054" if match[1] == "054" else "camt053"
    if expect and expect != kind:
        return build_report(
            kind,
            (),
            [
                Problem.of(
                    "camt_wrong_kind",
                    N_("this is a %(kind)s file, not %(expected)s"),
                    root.line,
                    kind=kind,
                    expected=expect,
                )
            ],
        )
    notes = [f"camt.{match[1]}.001.{match[2]}"]
    problems: list[Problem] = []
    statements: list[StatementRecord] = []
    for container, child in _CONTAINERS.items():
        message = root.find(container)
        if message is None:
            continue
        created = _created(message.find("GrpHdr"))
        for node in message.findall(child):
            statements.append(_statement(node, notes, problems, created))
    if not statements:
        problems.append(
            Problem.of("camt_empty", N_("no statement or notification in the document"), root.line)
        )
    return build_report(kind, statements, problems, notes)


def _is_camt053(data: bytes) -> bool:
    return camt_kind(data) == "camt053"


def _is_camt054(data: bytes) -> bool:
    return camt_kind(data) == "camt054"


def _read_camt053(data: bytes) -> BankReport:
    return read_camt(data, expect="camt053")


def _read_camt054(data: bytes) -> BankReport:
    return read_camt(data, expect="camt054")


CAMT053 = BankFormat("camt053", "camt.053/054", _is_camt053, _read_camt053)
CAMT054 = BankFormat("camt054", "camt.053/054", _is_camt054, _read_camt054)
