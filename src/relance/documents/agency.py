"""The mentions a collection agency's letter and e-mail carry (CPCE R124-4, legal-fr.md §7).

When an agency collects for the creditor (``LetterContext.agency``), ``render_step`` adds
``agency_mentions`` after the step's text, whatever the template says (a creditor's edited
template can neither drop nor change them): 1° the agency, its address and its amicable
debt-collection activity; 2° the creditor and its address; 3° the sum asked for, each component
apart with its basis (principal invoice by invoice, then, when the step claims them, interest,
the flat indemnity, other heads), and the statement that no collection cost is charged
(L111-8); 4° the demand to pay and how; the reference and date of the agency's first letter;
5° L111-8's second and third paragraphs, reproduced.

``agency_missing`` lists the mentions a text lacks (the tests read the printed PDF with it).
Reads the template variables (``LetterContext.as_template_vars``), never the context itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from relance.documents.formatting import format_date, format_money
from relance.domain.law.agency import ACTIVITY_EN, ACTIVITY_FR, L111_8_PARAGRAPHS, L111_8_SOURCE


@dataclass(frozen=True, slots=True)
class AgencyInfo:
    """The collection agency writing for the creditor. ``first_reference``, ``first_date``:
    its first letter to the debtor in this case; ``first_date`` None: this is that letter."""

    name: str
    address_lines: tuple[str, ...]
    postcode: str
    city: str
    activity: str
    first_reference: str = ""
    first_date: date | None = None


_WORDS = {
    "fr": {
        "title": "Mentions prévues par l'article R124-4 du code des procédures civiles d'exécution",
        "by": "Ce courrier vous est adressé par {name}, {address}, qui {activity} ({declared}).",
        "creditor": "Créancier pour le compte duquel nous agissons : {name}, {address}.",
        "sums": "Somme réclamée, élément par élément :",
        "principal": "Principal : {amount}",
        "invoice": "facture {number} du {issued}, échue le {due} : {amount}",
        "interest": "Intérêts de retard : {amount} ({basis})",
        "indemnity": "Indemnité forfaitaire pour frais de recouvrement : {amount} ({basis})",
        "other": "{label} : {amount}{basis}",
        "accrued": "Pénalités de retard et indemnités forfaitaires courues à ce jour, non réclamées "
        "dans ce courrier : {amount} ({basis})",
        "total": "Total réclamé : {amount}",
        "no_costs": "Aucun frais de recouvrement n'est mis à votre charge : ces frais restent à "
        "celle du créancier (article L111-8 du code des procédures civiles d'exécution).",
        "pay": "Nous vous demandons de régler la somme de {amount}",
        "iban": " par virement sur le compte IBAN {iban}{bic}, en rappelant la référence {reference}.",
        "ref_only": ", en rappelant la référence {reference}.",
        "link": "Vous pouvez aussi régler en ligne : {link}",
        "first": "Référence et date de notre premier courrier : {reference} du {date}.",
        "this_first": "Ce courrier est notre premier courrier : référence {reference} du {date}, "
        "rappelée dans chacun des suivants.",
        "law": "Article L111-8 du code des procédures civiles d'exécution, alinéas 2 et 3 ({source}) :",
    },
    "en": {
        "title": "Statements required by article R124-4 of the French code of civil enforcement procedures",
        "by": "This letter is sent to you by {name}, {address}, which {activity} ({declared}).",
        "creditor": "Creditor on whose behalf we act: {name}, {address}.",
        "sums": "Sum claimed, item by item:",
        "principal": "Principal: {amount}",
        "invoice": "invoice {number} of {issued}, due on {due}: {amount}",
        "interest": "Late-payment interest: {amount} ({basis})",
        "indemnity": "Fixed compensation for recovery costs: {amount} ({basis})",
        "other": "{label}: {amount}{basis}",
        "accrued": "Late-payment interest and fixed compensation accrued to date, not claimed in "
        "this letter: {amount} ({basis})",
        "total": "Total claimed: {amount}",
        "no_costs": "No collection cost is charged to you: such costs remain payable by the "
        "creditor (article L111-8 of the French code of civil enforcement procedures).",
        "pay": "We ask you to pay {amount}",
        "iban": " by transfer to IBAN {iban}{bic}, quoting the reference {reference}.",
        "ref_only": ", quoting the reference {reference}.",
        "link": "You can also pay online: {link}",
        "first": "Reference and date of our first letter: {reference} of {date}.",
        "this_first": "This is our first letter: reference {reference} of {date}, repeated in "
        "every later one.",
        "law": "Article L111-8 of the French code of civil enforcement procedures, paragraphs 2 "
        "and 3 ({source}), in French:",
    },
}


def _address(lines: list[str] | tuple[str, ...], postcode: str, city: str) -> str:
    return ", ".join([*lines, f"{postcode} {city}".strip()])


def _first_letter(agency: AgencyInfo, variables: Mapping[str, Any], lang: str) -> str:
    w, letter = _WORDS[lang], variables["letter"]
    if agency.first_date is None:
        return w["this_first"].format(reference=letter["reference"], date=format_date(letter["date"], lang))
    return w["first"].format(reference=agency.first_reference, date=format_date(agency.first_date, lang))


def agency_mentions(
    agency: AgencyInfo, variables: Mapping[str, Any], *, claims: bool, lang: str, answer: bool = False
) -> str:
    """The R124-4 block for a document whose template variables are ``variables``; ``claims``:
    the step claims the interest and indemnities too (else the principal only); ``answer``: the
    document answers the debtor (a confirmation, a thank-you) and asks for nothing, so it says
    who writes for whom and the first letter's reference only."""
    lang = "fr" if lang == "fr" else "en"
    w = _WORDS[lang]
    totals, pay, currency = variables["totals"], variables["pay"], variables["totals"]["currency"]

    def money(amount: Decimal) -> str:
        return format_money(amount, lang, currency)

    creditor = variables["creditor"]
    lines = [
        f"— {w['title']} —",
        w["by"].format(name=agency.name, address=_address(agency.address_lines, agency.postcode, agency.city),
                       activity=ACTIVITY_FR if lang == "fr" else ACTIVITY_EN, declared=agency.activity),
        w["creditor"].format(
            name=creditor["name"], address=_address(creditor["address_lines"], creditor["postcode"], creditor["city"])
        ),
    ]
    if answer:
        return "\n".join([*lines, _first_letter(agency, variables, lang)])
    lines += [
        w["sums"],
        "- " + w["principal"].format(amount=money(totals["principal_due"] if claims else totals["principal"])),
    ]
    for invoice in variables["invoices"]:
        lines.append("  · " + w["invoice"].format(
            number=invoice["number"], issued=format_date(invoice["issue_date"], lang),
            due=format_date(invoice["due_date"], lang), amount=money(invoice["open_amount"]),
        ))
    penalties = variables["penalties"]
    if claims and penalties["applies"]:
        if totals["interest_due"]:
            lines.append("- " + w["interest"].format(amount=money(totals["interest_due"]), basis=penalties["basis"]))
        if totals["indemnity"]:
            lines.append("- " + w["indemnity"].format(
                amount=money(totals["indemnity"]), basis=penalties["indemnity_basis"]
            ))
    elif penalties["applies"] and totals["penalties"]:
        # The letter states them without asking for them now: said apart, never in the total.
        lines.append("- " + w["accrued"].format(amount=money(totals["penalties"]), basis=penalties["basis"]))
    if claims:
        for claim in variables["other_claims"]:
            lines.append("- " + w["other"].format(
                label=claim["label"], amount=money(claim["amount"]),
                basis=f" ({claim['basis']})" if claim["basis"] else "",
            ))
    lines.append("- " + w["total"].format(amount=money(pay["amount"])))
    lines.append(w["no_costs"])
    how = w["pay"].format(amount=money(pay["amount"]))
    if pay["iban"]:
        how += w["iban"].format(iban=pay["iban"], bic=f" (BIC {pay['bic']})" if pay["bic"] else "",
                                reference=pay["reference"])
    else:
        how += w["ref_only"].format(reference=pay["reference"])
    lines.append(how)
    if pay["link"]:
        lines.append(w["link"].format(link=pay["link"]))
    lines.append(_first_letter(agency, variables, lang))
    lines.append(w["law"].format(source=L111_8_SOURCE))
    lines += [f"« {paragraph} »" for paragraph in L111_8_PARAGRAPHS]
    return "\n".join(lines)


def without_agency_mentions(text: str) -> str:
    r"""``text`` without the R124-4 block ``render_step`` appended, for the check of the heads of
    claim (``formal_notice``): the block states that no collection cost is charged and quotes
    L111-8, whose words a scan for forbidden fees would take for a claim. Cut at the block's
    last title, so a template's own text before it is still scanned.

    >>> without_agency_mentions("Frais de dossier : 50 €\n\n— " + _WORDS["fr"]["title"] + " —\nL111-8")
    'Frais de dossier : 50 €\n\n'
    """
    cut = max(text.rfind(f"— {words['title']} —") for words in _WORDS.values())
    return text if cut < 0 else text[:cut]


def agency_missing(text: str, agency: AgencyInfo, *, creditor: str, total: str, reference: str) -> list[str]:
    """The R124-4 mentions ``text`` lacks (names of the mentions; empty: all there). Blanks are
    compared folded, as a PDF's text comes out.

    >>> agency_missing("nothing", AgencyInfo("Recouvre SAS", ("1 rue A",), "75001", "Paris", "X"),
    ...                creditor="C", total="1", reference="R")[:2]
    ['1° agency', '1° activity']
    """
    folded = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())

    def has(words: str) -> bool:
        return " ".join(words.replace("\u202f", " ").replace("\xa0", " ").split()) in folded

    checks = [
        ("1° agency", has(agency.name) and has(agency.city)),
        ("1° activity", has(ACTIVITY_FR) or has(ACTIVITY_EN)),
        ("2° creditor", has(creditor)),
        ("3° sums", has(total)),
        ("3° L111-8 costs", has("L111-8")),
        ("4° how to pay", has(reference)),
        ("5° L111-8 reproduced", all(has(p) for p in L111_8_PARAGRAPHS)),
        ("first letter", has(agency.first_reference or reference)),
    ]
    return [name for name, ok in checks if not ok]
