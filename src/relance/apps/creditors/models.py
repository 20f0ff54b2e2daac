from __future__ import annotations

from django.db import models


class Creditor(models.Model):
    """The company owed money. Every other record belongs to exactly one creditor."""

    class Kind(models.TextChoices):
        PROFESSIONAL = "professional", "professional"
        INDIVIDUAL = "individual", "individual (not acting professionally)"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PROFESSIONAL)
    siren = models.CharField(max_length=9, blank=True)
    vat_number = models.CharField(max_length=20, blank=True)
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="FR")
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    locale = models.CharField(max_length=5, default="fr")
    timezone = models.CharField(max_length=50, default="Europe/Paris")
    signature = models.TextField(blank=True)
    pay_link_template = models.CharField(
        max_length=300, blank=True, help_text="URL with {invoice}, {amount}, {debtor} placeholders"
    )
    logo = models.FileField(
        upload_to="logos/", max_length=200, blank=True,
        help_text="the letterhead's logo (PNG or JPEG), stored as logos/<sha256>.<ext>",
    )
    last_pass_on = models.DateField(
        null=True, blank=True,
        help_text="the day of the last real (not dry) daily pass: a later pass may not go back before it",
    )
    sends_thank_you = models.BooleanField(
        default=False, help_text="thank every debtor in writing when its payment settles a case"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MailServer(models.Model):
    """The creditor's own outgoing mail server, set on the Settings page. Without one, the
    install's ``RELANCE_EMAIL_URL`` carries its e-mail. The password is kept for sending and
    never shown again nor written in the audit trail."""

    class Security(models.TextChoices):
        STARTTLS = "starttls", "STARTTLS"
        SSL = "ssl", "SSL/TLS"
        NONE = "none", "none"

    creditor = models.OneToOneField(Creditor, on_delete=models.CASCADE, related_name="mail_server")
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=587)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.STARTTLS)
    username = models.CharField(max_length=255, blank=True)
    password = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"
