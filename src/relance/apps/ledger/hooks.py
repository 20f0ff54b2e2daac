"""What the ledger app tells the apps above it during an import: a small typed registry.

The ledger must not import the collection app (it sits above). A ledger file may say what was
already done with its debtors before Relance (``last_contact_step`` / ``last_contact_date``,
read into ``ReadReport.contacts``); the collection app registers, from its ``AppConfig.ready``,
the hook that declares them (``history.contacts_declare_from_ledger``). The import calls it in
its transaction once the debtors are written, dry runs included: the problems it returns (a
step not in the debtor's scenario, a date in the future…) refuse the whole file, as a reader's
do. Imports no other ledger module.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

from relance.apps.creditors.models import Creditor
from relance.domain.ledger import LastContact
from relance.domain.problems import N_, Problem


class ContactsRead(Protocol):
    """Declare the last contacts a ledger file gives, by debtor account; the problems, if any."""

    def __call__(
        self, *, creditor: Creditor, contacts: Mapping[str, LastContact], today: date, actor: str
    ) -> list[Problem]: ...


_contacts_read: list[ContactsRead] = []


def contacts_read_connect(hook: ContactsRead) -> None:
    """Register ``hook`` (once, however often ``ready`` runs)."""
    if hook not in _contacts_read:
        _contacts_read.append(hook)


def contacts_read_notify(
    *, creditor: Creditor, contacts: Mapping[str, LastContact], today: date, actor: str
) -> list[Problem]:
    """Hand ``contacts`` to every registered hook; their problems, in line order. With none
    registered, the columns cannot be honoured: a problem says so rather than drop them."""
    if not contacts:
        return []
    if not _contacts_read:
        first = min(contacts.values(), key=lambda c: c.line)
        return [Problem.of("history_unsupported",
                           N_("the last contact columns need the collection app, which is not installed"),
                           first.line, first.column)]
    problems: list[Problem] = []
    for hook in _contacts_read:
        problems += hook(creditor=creditor, contacts=contacts, today=today, actor=actor)
    return sorted(problems, key=lambda p: p.line or 0)
