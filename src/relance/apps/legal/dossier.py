"""Building a dossier: the ZIP handed to a court, a commissaire de justice, an agency or a lawyer.

``dossier_build`` gathers the claim and its pièces (``dossier_facts``), lays out the PDF
(``documents/dossier.py``), packs ``dossier.pdf``, ``creance.csv``, ``creance.json`` and every
pièce under ``pieces/`` into one ZIP, stores it unchanged like any document sent
(``documents/<sha256>.zip``) and records a ``legal.dossier_built`` event with the hash of the ZIP,
of the PDF and of every pièce. A refusal (time-barred, in dispute, under a plan, no mise en
demeure received when the route needs one, over the ceiling) writes nothing.

With ``enter_legal_stage`` the same transaction moves the debtor's case to the legal stage on
the dossier's route under the dossier's reference (``collection.legal_stage.case_legal``): the
dossier and the stage are kept together or refused together, so no case is said to be in court
without the file that went there. Its ``filed`` date later cites the dossier's SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction

from relance.apps.audit.documents import document_store
from relance.apps.audit.services import event_record
from relance.apps.legal.dossier_facts import DossierRefusedError, dossier_gather
from relance.documents.dossier import Dossier, claim_csv, claim_json_bytes, dossier_pdf

if TYPE_CHECKING:
    from relance.apps.collection.models import LegalStage
    from relance.apps.creditors.models import Creditor

__all__ = ["DossierRefusedError", "DossierResult", "dossier_build"]


@dataclass(frozen=True, slots=True)
class DossierResult:
    dossier: Dossier
    data: bytes
    sha256: str
    document: str
    filename: str
    stage: LegalStage | None = None

    def as_dict(self) -> dict[str, Any]:
        d = self.dossier
        return {
            "route": d.route.name,
            "debtor": d.debtor.account,
            "as_of": d.as_of.isoformat(),
            "reference": d.reference,
            "court": d.court.name if d.court else None,
            "cerfa": d.court.cerfa if d.court else None,
            "regime": d.regime,
            "principal": str(d.principal),
            "interest": str(d.interest),
            "indemnity": str(d.indemnity),
            "costs": str(d.costs),
            "total": str(d.total),
            "exhibits": [
                {"number": e.number, "title": e.title, "file": e.filename, "sha256": e.sha256}
                for e in d.exhibits
            ],
            "warnings": list(d.warnings),
            "sha256": self.sha256,
            "document": self.document,
            "filename": self.filename,
            "legal_stage": (
                {"route": self.stage.route, "reference": self.stage.reference,
                 "entered_on": self.stage.entered_on.isoformat()}
                if self.stage is not None else None
            ),
        }


def _zip(entries: list[tuple[str, bytes]], day: date) -> bytes:
    """The ZIP, byte for byte the same for the same contents: every entry dated the dossier's day."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def dossier_build(
    *,
    creditor: Creditor,
    account: str,
    route: str,
    as_of: date,
    is_consumer_credit: bool = False,
    enter_legal_stage: bool = False,
    actor: str = "system",
) -> DossierResult:
    """Build, store and record the dossier of ``account``'s claim on ``route`` as of ``as_of``;
    with ``enter_legal_stage``, move the case to the legal stage on that route and reference.

    Raises ``DossierRefusedError`` with every reason when the claim may not go that way, and
    ``case_legal``'s refusal (nothing recorded) when the case may not enter the legal stage.
    """
    from relance.apps.collection.legal_stage import case_legal

    dossier, pieces = dossier_gather(
        creditor=creditor, account=account, route=route, as_of=as_of,
        is_consumer_credit=is_consumer_credit,
    )
    pdf = dossier_pdf(dossier)
    entries = [
        ("dossier.pdf", pdf),
        ("creance.csv", claim_csv(dossier)),
        ("creance.json", claim_json_bytes(dossier)),
        *((p.exhibit.filename, p.data) for p in pieces if p.data is not None),
    ]
    data = _zip(entries, as_of)
    name, digest = document_store(data, suffix=".zip", durable=True)
    filename = f"dossier-{route}-{account}-{as_of.isoformat()}.zip"
    stage = None
    with transaction.atomic():
        event_record(
            kind="legal.dossier_built",
            subject_type="debtor",
            subject_id=_debtor_id(creditor, account),
            creditor_id=creditor.pk,
            actor=actor,
            payload={
                "route": route,
                "as_of": as_of.isoformat(),
                "reference": dossier.reference,
                "sha256": digest,
                "document": name,
                "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
                "costs": str(dossier.costs),
                "total": str(dossier.total),
                "exhibits": [
                    {"number": e.number, "title": e.title, "file": e.filename, "sha256": e.sha256}
                    for e in dossier.exhibits
                ],
            },
        )
        if enter_legal_stage:
            stage = case_legal(
                creditor=creditor, account=account, route=route, as_of=as_of,
                reference=dossier.reference, actor=actor,
            )
    return DossierResult(dossier, data, digest, name, filename, stage)


def _debtor_id(creditor: Creditor, account: str) -> int | None:
    from relance.apps.ledger.models import Debtor

    return Debtor.objects.filter(creditor=creditor, account=account).values_list("pk", flat=True).first()
