"""Who may see which creditor, failed logins (throttling) and ledger files waiting for confirmation."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from relance.apps.creditors.models import Creditor


class Membership(models.Model):
    """A user's grant on one creditor. Viewers read; collectors act; admins also change settings."""

    class Role(models.TextChoices):
        ADMIN = "admin", "admin"
        COLLECTOR = "collector", "collector"
        VIEWER = "viewer", "viewer"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["creditor__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "creditor"], name="membership_user_creditor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.creditor_id}"


class LoginFailure(models.Model):
    """One failed login; recent ones per username and address make the login refuse to try."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=45)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["username", "ip", "at"], name="login_failure_lookup")]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip} {self.at:%Y-%m-%d %H:%M}"


class ImportUpload(models.Model):
    """A ledger or bank file, or a set of e-invoices, checked by a dry run, kept until someone
    confirms or drops it. ``path`` is the file, or for e-invoices the folder holding them."""

    class Kind(models.TextChoices):
        LEDGER = "ledger", "ledger"
        BANK = "bank", "bank"
        EINVOICES = "einvoices", "einvoices"

    token = models.CharField(max_length=64, unique=True)
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="uploads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    dry_run = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} upload {self.filename}"
