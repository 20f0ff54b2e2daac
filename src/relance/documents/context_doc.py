"""What a template may read: every name of the documented context, with what it holds.

``relance template list``, the template editor's field list and the template checks read it;
``context.LetterContext.as_template_vars`` gives exactly these names.
"""

from __future__ import annotations

from collections.abc import Mapping

CONTEXT_DOC: Mapping[str, str] = {
    "lang": '"fr" or "en".',
    "creditor": "name, legal_form, siren (formatted), vat, address_lines (list), postcode, city, "
    "iban (formatted), bic, email, phone, signature, place.",
    "debtor": "name, kind (business|consumer|public), is_business (C. com. L441-10 applies: "
    "the regime chooser's fr-b2b, as penalties.is_commercial), is_consumer (civil interest "
    "applies: fr-civil, as penalties.is_civil), siren, address_lines, postcode, city, country, "
    "contact_name, account, email, phone. Decide the law with penalties.is_…, never with kind.",
    "invoices": "list of {number, issue_date, due_date, total, open_amount, paid, credited, currency, "
    "days_late, is_due, attached (its PDF is attached to this e-mail)}.",
    "attempts": "earlier steps, oldest first: list of {date, channel, channel_label, summary}.",
    "penalties": "{applies, regime (fr-b2b|fr-public|fr-civil|eu-b2b|uk-b2b, \"\" when none "
    "applies), is_commercial, is_public, is_civil, is_directive, is_uk, is_none, note (why no "
    "regime applies), as_of, basis, indemnity_basis, interest_total, indemnity_total, "
    "contract_basis (the creditor's own rate and terms), indemnity_count, indemnity_each (their "
    "common amount, or none), total, lines: [{invoice, principal, start, days, interest, interest_paid, on_balance, indemnity, "
    "rate, single_rate, rates: [{start, end, days, rate, base, interest}]}]}.",
    "other_claims": "other heads of claim: list of {label, amount, basis}.",
    "totals": "{currency, invoiced, credited, paid, paid_to_interest, paid_to_principal, principal, "
    "principal_due, interest, interest_due, indemnity, penalties, "
    "other_claims, claimed}.",
    "letter": "{date, reference, deadline_days, deadline_date, channel, is_registered, "
    "notice_date (the mise en demeure's receipt date), notice_sent_date (its own date), "
    "notice_not_claimed (it came back unclaimed), attached_invoices (the numbers of the "
    "invoices whose PDF is attached)}.",
    "pay": "{link, iban, bic, reference, amount}.",
    "promise": "{amount, date} or none.",
    "plan": "{instalments: [{date, amount}], count, total}.",
    "payment": "{amount, date} or none (the payment being thanked for).",
    "portal_url": "the debtor portal's signed link (see what is due, download the invoices, pay, "
    'report a problem, propose a plan), or "" when the install has no public address.',
}
