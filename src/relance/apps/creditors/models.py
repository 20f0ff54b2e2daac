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
    ledger_columns = models.JSONField(
        default=dict, blank=True,
        help_text="the CSV ledger columns the user mapped: normalized header → field (\"\": left out)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgencyMandate(models.Model):
    """The creditor is managed by a collection agency (recouvrement amiable pour compte d'autrui).

    Set, every letter and e-mail carries the R124-4 CPCE mentions (the agency, its activity,
    the creditor, the itemised sums, how to pay, L111-8 reproduced, the first letter's
    reference); payments from ``since`` on are reported to the creditor with the agency's
    commission (R124-5, ``relance agency remittance``). The debtor pays to the account the
    creditor's settings give (the agency's own, when the mandate lets it receive the funds).
    """

    creditor = models.OneToOneField(Creditor, on_delete=models.CASCADE, related_name="agency")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=200)
    postal_code = models.CharField(max_length=10)
    city = models.CharField(max_length=100)
    activity = models.CharField(
        max_length=300, help_text="its amicable-collection activity as declared (R124-4 1°)"
    )
    commission_rate = models.DecimalField(
        max_digits=5, decimal_places=2, help_text="percent of what is collected, paid by the creditor"
    )
    since = models.DateField(help_text="the mandate's first day")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} for {self.creditor_id}"
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
