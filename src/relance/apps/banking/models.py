"""Bank statements, their lines, and the matches that turn credit lines into payments.

A ``StatementLine`` is stored once per creditor: its ``fingerprint`` (see
``relance.domain.banking``) is unique, so importing the same statement twice adds nothing.
A credit line gets at most one live ``Match`` (``suggested`` or ``applied``); applying it
writes a ledger ``Payment`` and its ``Allocation`` rows, undoing it removes them again.
``KnownIban`` remembers which debtor paid from which account, learned from applied matches.
"""

from __future__ import annotations

from django.db import models

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, ImportBatch, Invoice, Payment


class BankStatement(models.Model):
    """One statement (or notification) of one account, as read from a bank file."""

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="statements")
    import_batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="statements"
    )
    account = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    statement_id = models.CharField(max_length=140, blank=True)
    opening_balance = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    opening_date = models.DateField(null=True, blank=True)
    closing_balance = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    closing_date = models.DateField(null=True, blank=True)
    # Identifies a statement without lines, so that re-importing it adds nothing either.
    fingerprint = models.CharField(max_length=64)
    source_line = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-closing_date", "-id"]
        indexes = [
            models.Index(fields=["creditor", "fingerprint"], name="statement_fingerprint"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.statement_id or ''} ({self.closing_date or '?'})"


class StatementLine(models.Model):
    """One booked movement. ``amount`` is signed: positive for money in (a credit)."""

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", "unmatched"
        SUGGESTED = "suggested", "match suggested"
        MATCHED = "matched", "matched"
        IGNORED = "ignored", "ignored (debit)"
        # A person looked and said it pays no open invoice (a refund, a loan...): it blocks
        # no chasing and is never matched again, unless restored.
        DISMISSED = "dismissed", "dismissed by a person"

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="statement_lines")
    fingerprint = models.CharField(max_length=64)
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=40, blank=True)
    remittance = models.TextField(blank=True)
    structured_reference = models.CharField(max_length=140, blank=True)
    end_to_end_id = models.CharField(max_length=140, blank=True)
    bank_reference = models.CharField(max_length=140, blank=True)
    label = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=40, blank=True)
    line = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.CharField(max_length=100, blank=True)
    dismissed_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booking_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "fingerprint"], name="statement_line_fingerprint_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["creditor", "status", "booking_date"], name="line_status_date"),
            models.Index(fields=["creditor", "booking_date"], name="line_booking_date"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.currency} {self.counterparty_name}".strip()

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


class Match(models.Model):
    """A proposal that a credit line pays some invoices of one debtor, with why and how sure."""

    class State(models.TextChoices):
        SUGGESTED = "suggested", "suggested"
        APPLIED = "applied", "applied"
        UNDONE = "undone", "undone"

    line = models.ForeignKey(StatementLine, on_delete=models.CASCADE, related_name="matches")
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="matches")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="matches")
    state = models.CharField(max_length=10, choices=State.choices)
    confidence = models.DecimalField(max_digits=3, decimal_places=2)
    reasons = models.JSONField(default=list, blank=True)
    overpayment = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=100, default="system")
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.CharField(max_length=100, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "matches"
        indexes = [models.Index(fields=["creditor", "state"], name="match_state")]

    def __str__(self) -> str:
        return f"match {self.pk} ({self.state}, {self.confidence})"


class MatchAllocation(models.Model):
    """The part of a match's line that goes to one invoice."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="match_allocations")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.amount} to {self.invoice_id}"


class KnownIban(models.Model):
    """An account a debtor has paid from, learned from an applied match."""

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="known_ibans")
    iban = models.CharField(max_length=40)
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="known_ibans")
    learned_from = models.ForeignKey(
        Match, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "known IBAN"
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "iban", "debtor"], name="known_iban_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iban} → {self.debtor_id}"
