"""The mise en demeure validator: every mention of legal-fr.md §4.1, and nothing the law forbids.

``check_formal_notice(subject)`` takes a ``LetterContext`` (it then checks the structured data
*and* the letter rendered from it) or the text of a letter already rendered (a creditor's own
wording), and returns every ``Problem`` found; an empty list means the letter may be issued.

Mentions required (legal-fr.md §4.1): the words "MISE EN DEMEURE"; date and place; both
parties' names, the creditor's SIREN, the debtor's SIREN when it is a company; each invoice's
number, date, due date and amounts; the amount claimed broken down (principal, penalties with
rate and start date and the flat indemnity, each with the basis of the regime the letter's
penalties were computed under: L441-10 and D441-5 for a business in France, R2192-31 and
D2192-35 for a public buyer, the directive 2011/7/UE, the Late Payment Act 1998; payments
received deducted); a deadline and how to pay; the consequences: injonction de payer and
référé in France, the référé-provision before the tribunal administratif (never the injonction
de payer) for a public buyer, the competent court for a debtor abroad; under civil interest
(a consumer, a private-individual creditor), the statement that the letter makes interest run
(C. civ. 1344-1); the signature. A letter whose pair no regime covers claims no penalty and is
not refused for it. And at least one earlier amicable contact on record (sent by Relance or
declared): a mise en demeure is never the first contact.

Heads of claim refused (L111-8 CPCE, legal-fr.md §7): collection or agency fees, "frais de
dossier", "frais de relance", "frais de gestion" and the like, from any debtor; from a consumer
also the 40 € indemnity, which only a professional owes (L441-10, D441-5). A business debtor
may be asked for more than 40 € only "sur justification" (``ClaimLine.is_justified``), under
a regime that allows it (``domain.law.costs``: L441-10 II, the directive, the Late Payment Act).
What the law allows is decided from the regime the letter was computed under, never from the
debtor's kind alone.
"""

from __future__ import annotations

import re
import unicodedata

from relance.documents.agency import without_agency_mentions
from relance.documents.context import LetterContext, format_siren
from relance.documents.formatting import format_date, format_money, format_percent
from relance.domain.errors import RelanceError
from relance.domain.law.costs import allows_complement
from relance.domain.money import ZERO
from relance.domain.problems import N_, Problem

FORBIDDEN_FEES = re.compile(
    r"frais\s+(de\s+|d')?(dossier|relance|recouvrement|gestion|contentieux|agence|"
    r"traitement|rappel|mise\s+en\s+demeure|lettre|recommand\w*)"
    r"|honoraires\s+(de\s+)?(recouvrement|d'agence)|commission\s+de\s+recouvrement"
    r"|(collection|agency|recovery|handling|administration|administrative|admin|dunning|"
    r"reminder|late)\s+(fee|fees|charge|charges|costs?)",
    re.IGNORECASE,
)
# The statutory 40 € indemnity carries "frais de recouvrement" in its legal name: allowed from a
# professional, and only in that wording.
# The regimes whose interest and flat indemnity run as of right, each with the words its letter
# must cite (folded: lower case, no accents) and its own indemnity's basis.
AUTOMATIC_REGIMES: dict[str, tuple[str, str, str]] = {
    "fr-b2b": ("C. com. L441-10", "l441-10", "d441-5"),
    "fr-public": ("CCP L2192-13, R2192-31", "r2192-31", "d2192-35"),
    "eu-b2b": ("directive 2011/7/UE", "2011/7", "2011/7"),
    "uk-b2b": ("Late Payment Act 1998", "late payment", "5a"),
}
# Each regime's own citations (folded): a letter under another regime, or none, never cites them
# (a creditor's edited template that hard-codes one states the wrong law for this debtor).
CITATIONS: dict[str, tuple[str, ...]] = {
    "fr-b2b": ("l441-10", "d441-5"),
    "fr-public": ("l2192-13", "r2192-31", "d2192-35"),
    "eu-b2b": ("2011/7",),
    "uk-b2b": ("late payment act", "late payment of commercial debts"),
}
STATUTORY_INDEMNITY = re.compile(
    r"indemnit\w*\s+forfaitaires?\s+pour\s+frais\s+de\s+recouvrement"
    r"|fixed\s+compensation\s+for\s+recovery\s+costs",
    re.IGNORECASE,
)


def check_formal_notice(subject: LetterContext | str) -> list[Problem]:
    """Every reason to refuse this mise en demeure; empty when it may be issued."""
    if isinstance(subject, str):
        return _check_text(subject, None)
    from relance.documents.letter import compose_letter

    problems = _check_context(subject)
    try:
        text = compose_letter(subject, "formal_notice").as_text()
    except RelanceError as exc:  # it cannot even be written: say why, with the rest
        return [*problems, Problem.from_error(exc.code, exc)]
    problems += _check_text(text, subject)
    return problems


def _check_context(context: LetterContext) -> list[Problem]:
    problems: list[Problem] = []
    creditor, debtor = context.creditor, context.debtor
    business = debtor.kind in ("business", "public")

    def need(ok: object, code: str, template: str, **params: object) -> None:
        if not ok:
            problems.append(Problem.of(code, template, None, "context", **params))

    need(creditor.name and (creditor.address_lines or creditor.city), "creditor_identity",
         N_("The creditor's name and address are missing."))
    need(creditor.siren, "creditor_siren", N_("The creditor's SIREN is missing."))
    need(debtor.name and debtor.postcode and debtor.city, "debtor_identity",
         N_("The debtor's name and address are missing."))
    # A SIREN is French: a company registered abroad has its own number, not required here.
    need(not business or debtor.siren or not in_france(context), "debtor_siren",
         N_("The debtor is a company: its SIREN must be stated."))
    need(creditor.place or creditor.city, "place", N_("The place of the letter is missing."))
    need(context.invoices, "invoices", N_("The letter names no invoice."))
    for invoice in context.invoices:
        need(invoice.number and invoice.issue_date and invoice.due_date, "invoice_details",
             N_("Invoice %(number)s lacks its number, date or due date."),
             number=invoice.number or "?")
    need(context.attempts, "no_earlier_contact",
         N_("A mise en demeure needs at least one earlier amicable contact (sent by Relance or "
            "declared with relance case history add): there is none on record."))
    need(context.deadline_days > 0, "deadline", N_("The letter gives no deadline to pay."))
    need(creditor.iban or creditor.pay_link_template, "how_to_pay",
         N_("The letter does not say how to pay (IBAN or pay link)."))
    need(creditor.signature or creditor.name, "signature", N_("The letter is not signed."))
    late = [i for i in context.invoices if i.due_date < context.letter_date and i.open_amount > 0]
    penalties = context.penalties
    regime = penalties.regime if penalties else ""
    if regime in AUTOMATIC_REGIMES and late:
        lines = penalties.lines if penalties else ()
        need({line.invoice for line in lines} >= {i.number for i in late}, "penalties",
             N_("The debtor owes late-payment interest as of right (%(basis)s): compute it on "
                "every late invoice (build_penalties)."),
             basis=AUTOMATIC_REGIMES[regime][0])
    if penalties is None and (business or context.regime_choice is not None) and late:
        problems.append(Problem.of(
            "penalties", N_("The penalties were not computed: the letter cannot say what is owed."),
            None, "context"))
    # What the law allows is the regime's to say (``choose_regime``), never the debtor's kind.
    if penalties and penalties.indemnity_total and regime not in AUTOMATIC_REGIMES:
        problems.append(Problem.of("forbidden_claim",
                                   N_("The 40 € indemnity is owed by professionals only, not by a "
                                      "consumer (L441-10, D441-5)."), None, "context"))
    for claim in context.other_claims:
        if claim.is_justified and not allows_complement(regime):
            problems.append(Problem.of(
                "forbidden_claim",
                N_("%(label)r cannot be claimed: recovery costs above the flat indemnity are "
                   "owed on proof only by a professional debtor under C. com. L441-10 II, the "
                   "directive 2011/7/UE or the Late Payment Act (never by a consumer, CPCE "
                   "L111-8)."),
                None, "context", label=claim.label))
            continue
        if FORBIDDEN_FEES.search(claim.label) and not (business and claim.is_justified):
            problems.append(Problem.of(
                "forbidden_claim",
                N_("%(label)r cannot be charged to the debtor: collection costs without an "
                   "enforceable title stay with the creditor (L111-8 CPCE).")
                if business else
                N_("%(label)r cannot be charged to the debtor: collection costs without an "
                   "enforceable title stay with the creditor (L111-8 CPCE); claiming them from a "
                   "consumer is an offence."),
                None,
                "context",
                label=claim.label,
            ))
    return problems


def in_france(context: LetterContext) -> bool:
    return context.debtor.country.strip().upper() in ("FR", "")


def _fold(text: str) -> str:
    """Lower case, no accents, one space: what the text checks compare."""
    bare = unicodedata.normalize("NFKD", text.replace("\u202f", " ").replace("\xa0", " "))
    bare = "".join(ch for ch in bare if not unicodedata.combining(ch))
    return " ".join(bare.replace("’", "'").lower().split())


def _check_text(text: str, context: LetterContext | None) -> list[Problem]:
    problems: list[Problem] = []
    folded = _fold(text)

    def need(ok: object, code: str, template: str, **params: object) -> None:
        if not ok:
            problems.append(Problem.of(code, template, None, "text", **params))

    need("MISE EN DEMEURE" in text, "words", N_('The words "MISE EN DEMEURE" are missing.'))
    public = context is not None and context.penalties is not None and (
        context.penalties.regime == "fr-public"
    )
    abroad = context is not None and not in_france(context)
    if public:
        # A public contract is administrative: the référé-provision before the tribunal
        # administratif, never the injonction de payer of the tribunal de commerce.
        need(re.search(r"tribunal administratif", folded), "consequences_administrative",
             N_("The consequences are not stated: référé-provision before the tribunal "
                "administratif."))
        need(not re.search(r"injonction de payer", folded), "consequences_injonction",
             N_("A public buyer cannot be threatened with an injonction de payer: its contract is "
                "administrative (référé-provision before the tribunal administratif)."))
    elif abroad:
        need(re.search(r"juridiction competente|competent court", folded), "consequences_court",
             N_("The consequences are not stated: the competent court."))
    else:
        need(re.search(r"injonction de payer", folded), "consequences_injonction",
             N_("The consequences are not stated: injonction de payer."))
    if not abroad:
        need(re.search(r"\brefere\b", folded), "consequences_refere",
             N_("The consequences are not stated: référé."))
    need(re.search(r"\bdelai\b|\bwithin\b|au plus tard|\bby\b", folded), "deadline",
         N_("No deadline to pay is stated."))
    need(re.search(r"\biban\b|virement|transfer|en ligne|online", folded), "how_to_pay",
         N_("The letter does not say how to pay."))
    consumer = context is not None and context.debtor.kind == "consumer"
    # An agency's R124-4 mentions say that no collection cost is charged, quoting L111-8.
    fees_text = without_agency_mentions(text)
    fees_text = STATUTORY_INDEMNITY.sub(" ", fees_text) if not consumer else fees_text
    if context is not None and not consumer:
        # A complement on proof names the costs it rests on; the context checks say if it may.
        for claim in context.other_claims:
            if claim.is_justified:
                fees_text = fees_text.replace(claim.label, " ")
    for match in FORBIDDEN_FEES.finditer(fees_text):
        problems.append(Problem.of("forbidden_claim",
                                   N_("%(claim)r cannot be claimed (L111-8 CPCE)."),
                                   text[: text.find(match.group(0))].count("\n") + 1
                                   if match.group(0) in text else None, "text",
                                   claim=match.group(0)))
    if context is not None:
        regime = context.regime
        for other, citations in CITATIONS.items():
            for citation in citations:
                need(other == regime or citation not in folded, "wrong_law",
                     N_("The letter cites %(citation)s, which does not govern this debt (%(regime)s): "
                        "state the law with penalties.is_… in the template, not the debtor's kind."),
                     citation=citation.upper() if citation[0] in "ld" else citation,
                     regime=regime or "-")
    if context is None:
        need(re.search(r"\d{3} ?\d{3} ?\d{3}", text), "siren", N_("No SIREN is stated."))
        need(re.search(r"\b\d{1,2}(er)? \w+ \d{4}\b", folded), "date", N_("The letter is not dated."))
        return problems

    lang = context.lang
    creditor, debtor = context.creditor, context.debtor
    business = debtor.kind in ("business", "public")
    place = creditor.place or creditor.city

    def has(value: str) -> bool:
        return bool(value) and _fold(value) in folded

    day = format_date(context.letter_date, lang)
    need(has(f"{place}, le {day}" if lang == "fr" else f"{place}, {day}"), "date_place",
         N_("The date and the place of the letter are missing."))
    need(has(creditor.name), "creditor_identity", N_("The creditor's name is missing."))
    need(has(format_siren(creditor.siren)), "creditor_siren", N_("The creditor's SIREN is missing."))
    need(has(debtor.name), "debtor_identity", N_("The debtor's name is missing."))
    if business and (debtor.siren or in_france(context)):
        need(has(format_siren(debtor.siren)), "debtor_siren", N_("The debtor's SIREN is missing."))
    for invoice in context.invoices:
        for value, missing in (
            (invoice.number, N_("Invoice %(number)s: its number (%(value)s) is not stated.")),
            (format_date(invoice.issue_date, lang),
             N_("Invoice %(number)s: its date (%(value)s) is not stated.")),
            (format_date(invoice.due_date, lang),
             N_("Invoice %(number)s: its due date (%(value)s) is not stated.")),
            (format_money(invoice.total, lang, invoice.currency),
             N_("Invoice %(number)s: its amount (%(value)s) is not stated.")),
            (format_money(invoice.open_amount, lang, invoice.currency),
             N_("Invoice %(number)s: its open amount (%(value)s) is not stated.")),
        ):
            need(has(value), "invoice_details", missing, number=invoice.number, value=value)
    # The principal as the breakdown states it: partial payments settled interest first.
    lines = context.penalties.lines if context.penalties else ()
    to_interest = sum((line.interest_paid for line in lines), ZERO)
    need(has(format_money(context.principal + to_interest, lang, context.currency)), "principal",
         N_("The principal claimed is not stated."))
    need(has(format_money(context.amount_claimed, lang, context.currency)), "amount_claimed",
         N_("The total amount claimed is not stated."))
    paid = sum((i.paid for i in context.invoices), ZERO)
    if paid:
        need(has(format_money(paid, lang, context.currency)), "payments_deducted",
             N_("Payments already received are not shown as deducted."))
    penalties = context.penalties
    if penalties and penalties.lines and penalties.regime in AUTOMATIC_REGIMES:
        label, cited, indemnity_cited = AUTOMATIC_REGIMES[penalties.regime]
        need(cited in folded, "penalties_basis",
             N_("The penalties' legal basis (%(basis)s) is not stated."), basis=label)
        for line in penalties.lines:
            rate = line.periods[0].rate if line.periods else None
            need(rate is not None and has(format_percent(rate, lang)), "penalties_rate",
                 N_("Invoice %(number)s: the penalty rate is not stated."), number=line.invoice)
            need(has(format_date(line.start, lang)), "penalties_start",
                 N_("Invoice %(number)s: the date penalties start is not stated."),
                 number=line.invoice)
        if penalties.indemnity_total:
            need(indemnity_cited in folded
                 and has(format_money(penalties.indemnity_total, lang, context.currency)),
                 "indemnity", N_("The flat indemnity per invoice (%(basis)s) is not stated."),
                 basis=label)
    if penalties and penalties.regime == "fr-civil":
        need(re.search(r"1344-1", folded) and re.search(r"fait courir|starts interest", folded),
             "interest_runs",
             N_("The letter must say it makes interest run (C. civ. 1344-1)."))
    need(context.deadline_days and has(str(context.deadline_days)) and has(
        format_date(context.deadline_date, lang)), "deadline",
        N_("The deadline (%(days)s days) is not stated."), days=context.deadline_days)
    if creditor.iban:
        need(re.sub(r"\s", "", creditor.iban.lower()) in folded.replace(" ", ""), "how_to_pay",
             N_("The creditor's IBAN is not stated."))
    signature = (creditor.signature or creditor.name).strip()
    # Signed at the end of the letter, before an agency's R124-4 mentions when it has them.
    tail = _fold(without_agency_mentions(text))[-(len(_fold(signature)) + 400):]
    need(_fold(signature) in tail, "signature", N_("The letter is not signed."))
    return problems
