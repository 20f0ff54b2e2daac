"""The CSV ledger's columns: the header names accepted for each field, in English or French
(after ``normalize_header``), how a message names a field, which fields are required, and
the words accepted for a debtor's kind.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from relance.domain.ledger import DebtorKind
from relance.domain.problems import N_, Note, OneOf, Phrase, Problem
from relance.formats.text import WINDOWS_1252, TextSource, detect_separator, normalize_header

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
    # The day what the total less the open amount was paid: dates the settlement.
    "paid_date": (
        "paid_date", "date_reglement", "date_de_reglement", "date_paiement", "date_de_paiement",
    ),
}


# Optional, per debtor: the last step of the chase done before Relance and its date; read apart
# from the invoice's fields (``ledger_history``), the chase resumes after it.
HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "last_contact_step": ("last_contact_step", "derniere_etape", "etape_derniere_relance"),
    "last_contact_date": ("last_contact_date", "date_derniere_relance", "date_dernier_contact"),
}
HISTORY_ALIASES = {alias: field for field, aliases in HISTORY_COLUMNS.items() for alias in aliases}


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
    "paid_date": Phrase.of(N_("paid_date")),
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


# The headers of accounting packages' customer-invoice and receivables exports, after
# normalize_header, recognised without a --map. A header two packages use for different
# fields is left out (the user maps it).
SOFTWARE_COLUMNS: dict[str, tuple[str, ...]] = {
    "invoice_number": (
        "n°_facture", "n_facture", "no_facture", "n°_de_facture",  # EBP, Pennylane
        "numero_de_piece", "n°_piece", "n_piece", "no_piece", "numero_piece",  # Sage, Cegid
        "invoice_no", "num",  # QuickBooks ("Num", "Invoice No.")
    ),
    "debtor_account": (
        "code_client",  # EBP, Pennylane
        "compte_tiers", "n°_compte_tiers", "code_tiers", "compte_auxiliaire",  # Sage, Cegid
        "customer_id", "customer_account",  # QuickBooks
    ),
    "debtor_name": (
        "nom_du_client", "nom_client",  # EBP
        "intitule_tiers", "libelle_tiers", "intitule",  # Sage, Cegid
        "customer", "customer_name",  # QuickBooks
    ),
    "issue_date": (
        "date_piece", "date_de_piece",  # Sage, Cegid
        "date_de_la_facture",  # Pennylane
        "invoice_date", "date",  # QuickBooks ("Date")
    ),
    "due_date": ("echeance", "date_echeance_client"),  # EBP, Sage ("Échéance")
    "total_amount": ("total_ttc", "montant_ttc_facture", "amount"),  # EBP, Pennylane; QuickBooks
    "open_amount": (
        "restant_du", "montant_restant", "montant_restant_du",  # Pennylane, EBP
        "solde", "solde_ttc",  # Sage, Cegid
        "open_balance", "balance_due", "balance",  # QuickBooks
    ),
}


def mapping_parse(pairs: list[str]) -> dict[str, str]:
    """``--map`` options, ``"COLUMN=field"`` each, as the reader's mapping: the column's
    normalized header to the field (``""``: the column is ignored).

    >>> mapping_parse(["N° facture=invoice_number", "Commercial="])
    {'n°_facture': 'invoice_number', 'commercial': ''}
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sign, field = pair.rpartition("=")
        field = field.strip()
        if not sign or not column.strip():
            raise ValueError(f"--map {pair!r}: write it COLUMN=field, like \"N° facture=invoice_number\"")
        if field and field not in COLUMNS:
            raise ValueError(
                f"--map {pair!r}: {field!r} is no field; the fields are {', '.join(COLUMNS)}"
            )
        mapping[normalize_header(column)] = field
    return mapping


ALIASES = {alias: field for field, aliases in COLUMNS.items() for alias in aliases} | {
    alias: field for field, aliases in SOFTWARE_COLUMNS.items() for alias in aliases
}


KINDS: dict[str, DebtorKind] = {
    "business": "business",
    "entreprise": "business",
    "consumer": "consumer",
    "particulier": "consumer",
    "public": "public",
}


def header_fields(
    header: list[str],
    header_line: int,
    aliases: dict[str, str],
    problems: list[Problem],
    notes: list[str],
) -> dict[str, int]:
    """Each field's column in ``header``, by ``aliases`` (normalized header → field, ``""`` for
    a column left out); the problems of a duplicate or missing column, and a note naming the
    columns not recognised (with the fields and ``--map`` when a required one is missing)."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        field = aliases.get(normalize_header(name))
        if not field:  # unknown, or mapped to "" (ignored)
            continue
        if field in index:
            problems.append(
                Problem.of(
                    "duplicate_column",
                    N_("columns %(first)r and %(second)r both give %(field)s"),
                    header_line,
                    name,
                    first=header[index[field]],
                    second=name,
                    field=FIELD_WORDS[field],
                )
            )
        else:
            index[field] = position
    found = ", ".join(repr(name) for name in header)
    for field in REQUIRED:
        if field not in index:
            problems.append(
                Problem.of(
                    "missing_column",
                    N_(
                        "required column %(field)s (%(names)s) is missing; columns found: %(found)s"
                    ),
                    header_line,
                    field=FIELD_WORDS[field],
                    names=OneOf(COLUMNS[field]),
                    found=found,
                )
            )
    ignored = [
        name
        for name in header
        if not aliases.get(normalize_header(name)) and normalize_header(name) not in HISTORY_ALIASES
    ]
    if ignored and any(p.code == "missing_column" for p in problems):
        notes.append(
            Note(
                N_(
                    "Columns not recognised: %(names)s. Say which field each one holds "
                    "(on the command line: --map \"COLUMN=field\", or --map \"COLUMN=\" to "
                    "leave it out); the fields are: %(fields)s."
                ),
                names=", ".join(repr(name) for name in ignored),
                fields=", ".join(COLUMNS),
            )
        )
    elif ignored:
        notes.append(
            Note(
                N_("Columns ignored: %(names)s."),
                names=", ".join(repr(name) for name in ignored),
            )
        )
    return index


def read_header(head: bytes, *, separators: str = ",;\t") -> list[str]:
    """The column names of a CSV file's header row (its first non-blank line), from the file's
    first bytes, in whatever encoding the reader would take it.

    >>> read_header("\\nN° pièce;Tiers;Montant TTC\\r\\nF1;A;1\\n".encode("cp1252"))
    ['N° pièce', 'Tiers', 'Montant TTC']
    """
    for line in TextSource(io.BytesIO(head), legacy=WINDOWS_1252):
        if line.strip():
            row = next(csv.reader([line], delimiter=detect_separator(line, separators)), [])
            return [name.strip() for name in row]
    return []


def column_fields(header: list[str], mapping: dict[str, str] | None = None) -> list[str]:
    """The field each column of ``header`` gives (``""``: none), by ``mapping`` (normalized
    header → field) then the known names.

    >>> column_fields(["N° facture", "Commercial", "Réf"], {"ref": "debtor_account"})
    ['invoice_number', '', 'debtor_account']
    """
    aliases = {**ALIASES, **(mapping or {})}
    return [aliases.get(normalize_header(name), "") for name in header]
