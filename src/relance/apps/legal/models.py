from __future__ import annotations

from django.db import models


class RateOverride(models.Model):
    """A rate published after the release, recorded by a user; it overrides the shipped table."""

    table = models.CharField(max_length=40)
    from_date = models.DateField()
    rate = models.DecimalField(max_digits=7, decimal_places=4)
    source = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["table", "from_date"]
        constraints = [
            models.UniqueConstraint(fields=["table", "from_date"], name="rate_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.table} {self.from_date} {self.rate}%"


class LimitationEvent(models.Model):
    """A fact that interrupts or suspends the time limit on a debtor's claims.

    On one invoice, or (``invoice`` empty) on every invoice of the debtor already due on
    ``date``. ``kind`` is one the law engine knows (``relance.domain.law.prescription``): an
    acknowledgement by the debtor (C. civ. 2240), a claim in court (2241), an act of enforcement
    (2244), a mediation or conciliation (``suspension``, 2238, from ``date`` to ``end_date``,
    empty while it goes on) or, for a public body, a written claim (loi 68-1250, art. 2).
    ``proof`` says where the evidence is (a court's reference, a signed letter, a bailiff's act).
    Partial payments and payment plans are read from the ledger and the plans, not recorded here.
    """

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", "acknowledgement"
        CLAIM = "claim", "claim"
        ENFORCEMENT = "enforcement", "enforcement"
        SUSPENSION = "suspension", "suspension"
        WRITTEN_CLAIM = "written_claim", "written_claim"

    creditor = models.ForeignKey(
        "creditors.Creditor", on_delete=models.CASCADE, related_name="limitation_events"
    )
    debtor = models.ForeignKey(
        "ledger.Debtor", on_delete=models.CASCADE, related_name="limitation_events"
    )
    invoice = models.ForeignKey(
        "ledger.Invoice",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="limitation_events",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    proof = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debtor", "date", "id"]
        indexes = [models.Index(fields=["creditor", "debtor"], name="limitation_event_debtor")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.date} ({self.debtor_id})"


class PaymentTerms(models.Model):
    """The creditor's own late-payment terms (its CGV), or a debtor's own (``debtor`` set).

    A contractual rate, as a fixed rate or as a multiple of the taux légal (at least 3, C. com.
    L441-10 II: the engine refuses less), with the reference of the terms that stipulate it; a
    debtor's row replaces the creditor's for that debtor. Used under fr-b2b only. The terms'
    PDF, when given (``relance terms set --cgv-file``), is kept unchanged with its SHA-256 and
    becomes a pièce of every dossier whose interest runs at that rate.
    """

    creditor = models.ForeignKey(
        "creditors.Creditor", on_delete=models.CASCADE, related_name="payment_terms"
    )
    debtor = models.ForeignKey(
        "ledger.Debtor", null=True, blank=True, on_delete=models.CASCADE, related_name="payment_terms"
    )
    contract_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    contract_multiple = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    reference = models.CharField(max_length=200)
    cgv_name = models.CharField(
        max_length=200, blank=True, help_text="the terms' PDF: documents/<sha256>.pdf under MEDIA_ROOT"
    )
    cgv_sha256 = models.CharField(max_length=64, blank=True)
    cgv_filename = models.CharField(max_length=200, blank=True, help_text="the file's name as given")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creditor"], condition=models.Q(debtor__isnull=True),
                name="payment_terms_one_per_creditor",
            ),
            models.UniqueConstraint(fields=["creditor", "debtor"], name="payment_terms_one_per_debtor"),
        ]

    def __str__(self) -> str:
        return f"terms of {self.creditor_id}/{self.debtor_id}: {self.reference}"
