"""Open Financial Exchange statements: OFX 1.x (SGML) and OFX 2.x (XML).

Follows the OFX 1.0.2 and 2.1.1 specifications (section 11, banking: ``STMTRS``,
``CCSTMTRS``, ``BANKTRANLIST``, ``STMTTRN``). One tokenizer reads both generations: in
OFX 1.x SGML a leaf element (``<TRNAMT>-6.60``) is never closed, and whole aggregates may sit
on one line; the tokenizer closes a leaf when the next tag starts and closes open leaves when
an aggregate's end tag arrives. ``CDATA`` sections and character entities are decoded.

Each ``STMTRS``/``CCSTMTRS`` becomes one statement (several accounts per file are common);
``LEDGERBAL`` gives the closing balance. Each ``STMTTRN`` becomes a line: ``TRNAMT`` (already
signed), ``DTPOSTED`` (booking date, as written, time and zone dropped), ``DTAVAIL`` (value
date), ``FITID`` (the bank's reference), ``NAME`` or ``PAYEE/NAME`` (counterparty), ``MEMO``
(remittance), ``TRNTYPE`` (kind).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from relance.domain.banking import BankReport, LineRecord, StatementRecord, build_report
from relance.domain.money import AmountError, parse_amount
from relance.domain.problems import N_, Problem
from relance.formats._bankutil import BankFormat, clean, decode_text, head_text

_TOKEN = re.compile(
    r"<!\[CDATA\[(.*?)\]\]>|<!--.*?-->|<\?.*?\?>|<(/?)([A-Za-z0-9_.]+)[^>]*>|([^<]+)", re.S
)
# The banking aggregates we read; known so that a truncated file is not mistaken for leaves.
_AGGREGATES = frozenset(
    [
        "OFX",
        "SIGNONMSGSRSV1",
        "SONRS",
        "STATUS",
        "FI",
        "BANKMSGSRSV1",
        "CREDITCARDMSGSRSV1",
        "STMTTRNRS",
        "CCSTMTTRNRS",
        "STMTRS",
        "CCSTMTRS",
        "BANKACCTFROM",
        "CCACCTFROM",
        "BANKACCTTO",
        "CCACCTTO",
        "BANKTRANLIST",
        "STMTTRN",
        "LEDGERBAL",
        "AVAILBAL",
        "PAYEE",
        "CURRENCY",
        "ORIGCURRENCY",
    ]
)
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


@dataclass(slots=True)
class Element:
    tag: str
    line: int
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, path: str) -> Element | None:
        node: Element | None = self
        for step in path.split("/"):
            if node is None:
                return None
            node = next((child for child in node.children if child.tag == step), None)
        return node

    def findtext(self, path: str) -> str:
        node = self.find(path)
        return node.text if node is not None else ""

    def iter(self, tag: str) -> list[Element]:
        found = []
        stack = [self]
        while stack:
            node = stack.pop()
            if node.tag == tag:
                found.append(node)
            stack.extend(reversed(node.children))
        return found


def looks_like_ofx(text: str) -> bool:
    head = text[:2048].lstrip().upper()
    return head.startswith("OFXHEADER") or "<OFX>" in head or 'OFXHEADER="' in head


def parse_ofx(text: str) -> tuple[Element | None, list[Problem]]:
    """Build the element tree of an OFX 1.x or 2.x body; problems name the faulty line."""
    start = text.upper().find("<OFX>")
    if start < 0:
        return None, [Problem.of("ofx_no_body", N_("no <OFX> element: not an OFX file"), 1)]
    line = text.count("\n", 0, start) + 1
    root = Element("ROOT", 0)
    stack = [root]
    problems: list[Problem] = []
    position = start
    # Aggregates are always closed, SGML leaves never: a tag never closed is a leaf, even empty.
    closed = {name.upper() for name in re.findall(r"</([A-Za-z0-9_.]+)\s*>", text)}
    for match in _TOKEN.finditer(text, start):
        line += text.count("\n", position, match.start())
        position = match.start()
        cdata, closing, tag, chars = match.group(1), match.group(2), match.group(3), match.group(4)
        if cdata is not None or chars is not None:
            content = cdata if cdata is not None else html.unescape(chars or "")
            if content.strip():
                stack[-1].text += content if cdata is not None else content.strip()
            continue
        if tag is None:
            continue  # comment or processing instruction
        tag = tag.upper()
        top = stack[-1]
        if not closing:
            if top is not root and (top.text or top.tag not in closed | _AGGREGATES):
                stack.pop()  # an unclosed SGML leaf ends where the next tag starts
            element = Element(tag, line)
            stack[-1].children.append(element)
            stack.append(element)
            continue
        names = [node.tag for node in stack]
        if tag not in names[1:]:
            problems.append(
                Problem.of(
                    "ofx_unexpected_end",
                    N_("</%(tag)s> closes nothing that is open"),
                    line,
                    tag=tag,
                )
            )
            continue
        while stack[-1].tag != tag:
            leaf = stack.pop()
            if leaf.children:
                problems.append(
                    Problem.of(
                        "ofx_unclosed",
                        N_("<%(tag)s> (line %(opened)s) is never closed"),
                        line,
                        tag=leaf.tag,
                        opened=leaf.line,
                    )
                )
        stack.pop()
    line += text.count("\n", position)
    if len(stack) > 1:
        unclosed = [node for node in stack[1:] if node.children]
        if unclosed:
            problems.append(
                Problem.of(
                    "ofx_truncated",
                    N_("<%(tag)s> is never closed: the file is cut short"),
                    line,
                    tag=unclosed[-1].tag,
                )
            )
    ofx = root.find("OFX")
    return ofx, problems


def _ofx_date(text: str) -> date | None:
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _amount(text: str) -> Decimal:
    return parse_amount(text)


def _statement(node: Element, problems: list[Problem]) -> StatementRecord:
    account_node = node.find("BANKACCTFROM") or node.find("CCACCTFROM")
    account = clean(account_node.findtext("ACCTID")) if account_node is not None else ""
    if not account:
        problems.append(
            Problem.of("ofx_account_missing", N_("statement without ACCTID"), node.line)
        )
    currency = node.findtext("CURDEF")
    transactions = node.find("BANKTRANLIST")
    lines: list[LineRecord] = []
    for trn in transactions.iter("STMTTRN") if transactions is not None else []:
        raw_amount = trn.findtext("TRNAMT")
        posted = _ofx_date(trn.findtext("DTPOSTED"))
        if not raw_amount:
            problems.append(
                Problem.of("ofx_amount_missing", N_("STMTTRN without TRNAMT"), trn.line)
            )
            continue
        try:
            amount = _amount(raw_amount)
        except AmountError:
            problems.append(
                Problem.of(
                    "ofx_amount_invalid",
                    N_("TRNAMT %(value)r is not an amount"),
                    trn.line,
                    value=raw_amount,
                )
            )
            continue
        if posted is None:
            problems.append(
                Problem.of(
                    "ofx_date_invalid",
                    N_("DTPOSTED %(value)r is not a date"),
                    trn.line,
                    value=trn.findtext("DTPOSTED"),
                )
            )
            continue
        lines.append(
            LineRecord(
                booking_date=posted,
                value_date=_ofx_date(trn.findtext("DTAVAIL")),
                amount=amount,
                currency=trn.findtext("CURRENCY/CURSYM")
                or trn.findtext("ORIGCURRENCY/CURSYM")
                or currency,
                account=account,
                counterparty_name=clean(trn.findtext("NAME") or trn.findtext("PAYEE/NAME")),
                remittance=clean(trn.findtext("MEMO")),
                end_to_end_id=clean(trn.findtext("REFNUM")),
                bank_reference=clean(trn.findtext("FITID")),
                kind=clean(trn.findtext("TRNTYPE")),
                line=trn.line,
            )
        )
    closing: Decimal | None = None
    balance_text = node.findtext("LEDGERBAL/BALAMT")
    if balance_text:
        try:
            closing = _amount(balance_text)
        except AmountError:
            problems.append(
                Problem.of(
                    "ofx_amount_invalid",
                    N_("BALAMT %(value)r is not an amount"),
                    node.line,
                    value=balance_text,
                )
            )
    span = ""
    if transactions is not None and (
        transactions.findtext("DTSTART") or transactions.findtext("DTEND")
    ):
        span = f"{transactions.findtext('DTSTART')[:8]}-{transactions.findtext('DTEND')[:8]}"
    return StatementRecord(
        account=account,
        currency=currency,
        statement_id=span,
        closing_balance=closing,
        closing_date=_ofx_date(node.findtext("LEDGERBAL/DTASOF")),
        lines=tuple(lines),
        line=node.line,
    )


def read_ofx(data: bytes) -> BankReport:
    """Read an OFX 1.x or 2.x file into statements; malformed parts become problems."""
    text, _encoding = decode_text(data)
    root, problems = parse_ofx(text)
    if root is None:
        return build_report("ofx", (), problems)
    version = "2.x (XML)" if text.lstrip().startswith("<?xml") else "1.x (SGML)"
    statements = [
        _statement(node, problems) for node in root.iter("STMTRS") + root.iter("CCSTMTRS")
    ]
    statements.sort(key=lambda statement: statement.line)
    if not statements:
        problems.append(
            Problem.of(
                "ofx_empty", N_("no bank or credit-card statement (STMTRS) in the file"), root.line
            )
        )
    return build_report("ofx", statements, problems, [f"OFX {version}"])


def _is_ofx(data: bytes) -> bool:
    return looks_like_ofx(head_text(data))


OFX = BankFormat("ofx", "OFX", _is_ofx, read_ofx)
