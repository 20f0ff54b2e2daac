"""The CSV ledger's columns: the header names accepted for each field, in English or French
(after ``normalize_header``), how a message names a field, which fields are required, and
the words accepted for a debtor's kind.
"""

from __future__ import annotations

from collections import defaultdict

from relance.domain.ledger import DebtorKind
from relance.domain.problems import N_, Phrase

# Field → accepted header names, after normalize_header. The first is the canonical name.
COLUMNS: dict[str, tuple[str, ...]] = {
    "invoice_number": ("invoice_number", "numero_facture", "numero_de_facture"),
    "debtor_account": ("debtor_account", "compte_client"),
    "debtor_name": ("debtor_name", "raison_sociale", "client"),
    "debtor_kind": ("debtor_kind", "type_client"),
    "debtor_siren": ("debtor_siren", "siren"),
    "debtor_email": ("debtor_email", "email", "e_mail", "courriel"),
    "debtor_phone": ("debtor_phone", "telephone"),
    "address": ("address", "adresse"),
    "postal_code": ("postal_code", "code_postal"),
    "city": ("city", "ville"),
    "country": ("country", "pays"),
    "issue_date": ("issue_date", "date_facture", "date_de_facture"),
    "due_date": ("due_date", "date_echeance", "date_d_echeance"),
    "currency": ("currency", "devise"),
    "total_amount": ("total_amount", "montant_ttc"),
    "open_amount": ("open_amount", "reste_du", "reste_a_payer"),
    # On a credit note's row (a negative total), the number of the invoice it corrects.
    "credit_note_for": ("credit_note_for", "avoir_sur", "facture_d_origine"),
}


# A field as a message names it: its name in English, as the CLI and the JSON always said it; a
# page says it in its reader's words ("compte client" rather than debtor_account).
FIELD_WORDS: dict[str, Phrase] = {
    "invoice_number": Phrase.of(N_("invoice_number")),
    "debtor_account": Phrase.of(N_("debtor_account")),
    "debtor_name": Phrase.of(N_("debtor_name")),
    "debtor_kind": Phrase.of(N_("debtor_kind")),
    "debtor_siren": Phrase.of(N_("debtor_siren")),
    "debtor_email": Phrase.of(N_("debtor_email")),
    "debtor_phone": Phrase.of(N_("debtor_phone")),
    "address": Phrase.of(N_("address")),
    "postal_code": Phrase.of(N_("postal_code")),
    "city": Phrase.of(N_("city")),
    "country": Phrase.of(N_("country")),
    "issue_date": Phrase.of(N_("issue_date")),
    "due_date": Phrase.of(N_("due_date")),
    "currency": Phrase.of(N_("currency")),
    "total_amount": Phrase.of(N_("total_amount")),
    "open_amount": Phrase.of(N_("open_amount")),
    "credit_note_for": Phrase.of(N_("credit_note_for")),
}


# A credit_note_for on a row whose total is not negative: only a credit note corrects an invoice.
REFERENCE_ON_INVOICE = N_(
    "%(reference)s is given as the invoice this document corrects, but its total %(total)s is "
    "not negative: only a credit note corrects an invoice"
)


# A total's first character tells a credit note from an invoice (kind and number identify a
# document: a credit note may bear its invoice's number), for the reader's duplicate check.
SIGN_KEY: dict[str, str] = defaultdict(str, {"-": "\0credit", "(": "\0credit"})


REQUIRED = (
    "invoice_number",
    "debtor_account",
    "debtor_name",
    "issue_date",
    "due_date",
    "total_amount",
)


ALIASES = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}


KINDS: dict[str, DebtorKind] = {
    "business": "business",
    "entreprise": "business",
    "consumer": "consumer",
    "particulier": "consumer",
    "public": "public",
}
