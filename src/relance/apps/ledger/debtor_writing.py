"""The debtors of a ledger import: those new to the creditor created in bulk, those the file
shows changed refreshed, every account's id known to the invoice writer.
"""

from __future__ import annotations

from django.utils import timezone

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.bulk import bulk_insert, reserve_ids, timestamp_value
from relance.apps.ledger.models import Debtor
from relance.apps.ledger.streaming import Chunk
from relance.domain.ledger import DebtorRecord
from relance.domain.vocabulary import debtor_language

_DEBTOR_COLUMNS = (
    "creditor_id",
    "account",
    "name",
    "kind",
    "siren",
    "email",
    "phone",
    "address",
    "postal_code",
    "city",
    "country",
    "language",
    "is_do_not_contact",
    "is_legal_hold",
    "notes",
    "created_at",
    "updated_at",
)


class DebtorWriter:
    """Debtor ids by account for one import's creditor (``ids``, starting from those it has),
    and how many debtors the import created (``created``)."""

    def __init__(self, creditor: Creditor, ids: dict[str, int]):
        self.creditor = creditor
        self.ids = ids
        self.created = 0

    def for_chunk(self, chunk: Chunk) -> dict[str, int]:
        """Debtor ids for the chunk's accounts, creating the new ones and refreshing changed ones."""
        wanted = chunk.debtors
        debtor_ids = self.ids
        missing = [a for a in wanted if a not in debtor_ids]
        if missing:
            now = timestamp_value(timezone.now())
            creditor_id = self.creditor.pk
            ids = reserve_ids("ledger_debtor", len(missing))
            bulk_insert(
                "ledger_debtor",
                ("id", *_DEBTOR_COLUMNS),
                [
                    (
                        pk,
                        creditor_id,
                        rec.account,
                        rec.name,
                        rec.kind,
                        rec.siren,
                        rec.email,
                        rec.phone,
                        rec.address,
                        rec.postal_code,
                        rec.city,
                        rec.country or "FR",
                        debtor_language(rec.country or "FR"),
                        False,
                        False,
                        "",
                        now,
                        now,
                    )
                    for pk, rec in zip(ids, [wanted[a] for a in missing], strict=True)
                ],
            )
            debtor_ids.update(zip(missing, ids, strict=True))
            self.created += len(missing)
        # Debtors new to the file were just created, unless the creditor had them already.
        created = set(missing)
        changed = [rec for rec in chunk.news if rec.account not in created]
        if changed:
            self._refresh(changed)
        return self.ids

    def _refresh(self, records: list[DebtorRecord]) -> None:
        # The export is the source of truth for identity and address; blank fields in the
        # export never erase what a collector typed in.
        fields = ("name", "siren", "email", "phone", "address", "postal_code", "city")
        debtors = {
            d.account: d
            for d in Debtor.objects.filter(
                creditor=self.creditor, account__in=[r.account for r in records]
            )
        }
        dirty = []
        for rec in records:
            d = debtors[rec.account]
            updates = {
                f: getattr(rec, f)
                for f in fields
                if getattr(rec, f) and getattr(d, f) != getattr(rec, f)
            }
            if updates:
                for f, value in updates.items():
                    setattr(d, f, value)
                dirty.append(d)
        if dirty:
            Debtor.objects.bulk_update(dirty, [*fields, "updated_at"])
