"""Collection: scenarios and steps, cases, actions, promises, disputes, payment plans.

Only services write these rows, and every state change they make is an audit event.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice

AMOUNT: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}


class Scenario(models.Model):
    """An ordered plan of steps for a kind of debtor (edited in the admin, or as TOML).

    A creditor's own (``creditor`` set: only that creditor sees, edits and assigns it), or
    install-wide (``creditor`` empty: the shipped ones and the defaults, which every creditor
    sees and only an install administrator changes).
    """

    creditor = models.ForeignKey(
        "creditors.Creditor",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scenarios",
        help_text="empty: install-wide (only an install administrator changes it)",
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    debtor_kinds = models.JSONField(default=list, blank=True, help_text='e.g. ["business", "public"]')
    is_default = models.BooleanField(
        default=False, help_text="used for debtors of its kinds that have no scenario of their own"
    )
    sends_thank_you = models.BooleanField(
        default=False, help_text="a payment that settles a case is thanked in writing ([scenario] thank_you = true)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "name"], name="scenario_name_per_creditor"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(creditor__isnull=True),
                name="scenario_name_install_wide",
            ),
            models.CheckConstraint(
                condition=models.Q(creditor__isnull=True) | models.Q(is_default=False),
                name="scenario_default_install_wide",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "e-mail"
        LETTER = "letter", "letter"
        REGISTERED_LETTER = "registered_letter", "registered letter"
        CALL = "call", "phone call"
        SMS = "sms", "SMS"
        TASK = "task", "task"

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    key = models.SlugField(max_length=50)
    offset_days = models.IntegerField(help_text="days from the due date of the oldest overdue invoice; negative = before")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    template = models.CharField(max_length=100)
    requires_approval = models.BooleanField(default=False)
    min_amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    debtor_kinds = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["scenario", "position", "offset_days"]
        constraints = [models.UniqueConstraint(fields=["scenario", "key"], name="step_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} (J{self.offset_days:+d}, {self.channel})"


OPEN_CASE_STATUSES = ("active", "paused", "plan", "legal")


class Case(models.Model):
    """The collection file of one debtor: at most one open case per debtor at a time."""

    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        PAUSED = "paused", "paused"
        PLAN = "plan", "payment plan"
        LEGAL = "legal", "legal"
        CLOSED_PAID = "closed_paid", "closed (paid)"
        CLOSED_WRITTEN_OFF = "closed_written_off", "closed (written off)"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="cases")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="cases")
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="cases")
    cycle = models.PositiveIntegerField(default=1, help_text="1 for the debtor's first case, 2 after it was closed once...")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    paused_until = models.DateField(null=True, blank=True)
    pause_reason = models.CharField(max_length=200, blank=True)
    current_step = models.CharField(max_length=50, blank=True)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    closed_reason = models.CharField(
        max_length=20, blank=True, help_text="why it was written off: insolvency, prescription, too_small"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["debtor"], condition=Q(status__in=OPEN_CASE_STATUSES), name="case_one_open_per_debtor"
            ),
            models.UniqueConstraint(fields=["debtor", "cycle"], name="case_debtor_cycle_unique"),
        ]
        indexes = [models.Index(fields=["creditor", "status"], name="case_creditor_status")]

    def __str__(self) -> str:
        return f"case {self.pk} of debtor {self.debtor_id} ({self.status})"


class LegalStage(models.Model):
    """A case in the legal stage: its route (``relance.domain.law.procedure.ROUTES``) and its key
    dates as they were recorded (``legal_stage``), each also an audit event."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="legal_stage")
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="legal_stages")
    route = models.CharField(max_length=20)
    entered_on = models.DateField()
    reference = models.CharField(
        max_length=100, help_text="the file's reference with the court, agency or lawyer (status files)"
    )
    filed_date = models.DateField(null=True, blank=True)
    order_issued_date = models.DateField(null=True, blank=True)
    order_served_date = models.DateField(null=True, blank=True)
    formula_requested_date = models.DateField(null=True, blank=True)
    judgment_date = models.DateField(null=True, blank=True)
    enforceable_date = models.DateField(null=True, blank=True)
    # The latest status the agency or lawyer reported (``relance case status-import``).
    reported_status = models.CharField(max_length=20, blank=True)
    reported_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["creditor", "reference"], name="legal_stage_reference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.reference} (case {self.case_id})"


class StatusReport(models.Model):
    """One line of a status file an agency or a lawyer sent back, as it was taken in."""

    stage = models.ForeignKey(LegalStage, on_delete=models.CASCADE, related_name="reports")
    status = models.CharField(max_length=20)
    amount = models.DecimalField(**AMOUNT)
    report_date = models.DateField()
    payment = models.ForeignKey(
        "ledger.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="status_reports"
    )
    file_sha256 = models.CharField(max_length=64)
    line = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "status", "amount", "report_date"], name="status_report_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.amount} on {self.report_date}"


PENDING_ACTION_STATES = ("planned", "approved")


class Action(models.Model):
    """One step planned or carried out. ``idempotency_key`` makes each communication unique."""

    class State(models.TextChoices):
        PLANNED = "planned", "planned"
        APPROVED = "approved", "approved"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        # Handed over, but the server's reply to the end of the message was never seen (the
        # process died, or the connection broke): maybe received, maybe not. Never counted as
        # sent until a person resends it or confirms it arrived.
        UNCERTAIN = "uncertain", "uncertain"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"
        SKIPPED = "skipped", "skipped"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="actions")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="actions")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    step_key = models.CharField(max_length=50)
    channel = models.CharField(max_length=20, choices=Step.Channel.choices)
    template = models.CharField(max_length=100)
    planned_date = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PLANNED)
    requires_approval = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True, help_text="why it was skipped, cancelled or failed")
    idempotency_key = models.CharField(max_length=200, unique=True)
    run_token = models.CharField(max_length=32, blank=True)
    invoice_ids = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    handed_over_at = models.DateTimeField(
        null=True, blank=True,
        help_text="committed just before the end of the SMTP DATA: past this point it is never sent again",
    )
    accepted_at = models.DateTimeField(
        null=True, blank=True,
        help_text="the server's 250 to the end of the DATA was read: only then is it sent",
    )
    claimed_by = models.CharField(max_length=100, blank=True, help_text="host:pid of the dispatcher sending it")
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True)
    edits = models.JSONField(
        default=dict, blank=True,
        help_text='this one message as a person edited it before approval: {"fr/reminder.txt": source}',
    )
    document = models.FileField(
        upload_to="documents/", max_length=200, blank=True,
        help_text="the letter as printed and sent, stored unchanged as documents/<sha256>.pdf",
    )
    tracking_number = models.CharField(max_length=40, blank=True, help_text="the registered letter's tracking number")
    received_date = models.DateField(
        null=True, blank=True, help_text="the acknowledgement of receipt's date: the proof, and the notice date"
    )
    not_claimed = models.BooleanField(default=False, help_text="the registered letter came back unclaimed")
    receipt_name = models.CharField(
        max_length=200, blank=True,
        help_text="the signed acknowledgement of receipt as scanned: documents/<sha256><suffix> under MEDIA_ROOT",
    )
    receipt_sha256 = models.CharField(max_length=64, blank=True)
    # What a written confirmation confirms: its document states this promise's or plan's terms.
    promise = models.ForeignKey(
        "Promise", null=True, blank=True, on_delete=models.PROTECT, related_name="confirmations"
    )
    plan = models.ForeignKey(
        "PaymentPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="confirmations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["planned_date", "id"]
        indexes = [
            models.Index(fields=["state", "channel", "planned_date"], name="action_outbox"),
            models.Index(fields=["case", "state"], name="action_case_state"),
            # The worklist's two lists, each a page in planned order for one creditor.
            models.Index(
                fields=["creditor", "planned_date", "id"],
                name="action_awaiting_approval",
                condition=models.Q(state="planned", requires_approval=True),
            ),
            models.Index(
                fields=["creditor", "planned_date", "id"],
                name="action_calls_pending",
                condition=models.Q(channel="call", state__in=("planned", "approved")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.state})"


class Promise(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "open"
        KEPT = "kept", "kept"
        BROKEN = "broken", "broken"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="promises")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="promises")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises")
    amount = models.DecimalField(**AMOUNT)
    promised_date = models.DateField()
    grace_days = models.PositiveSmallIntegerField(default=3)
    baseline_amount = models.DecimalField(**AMOUNT, help_text="what the debtor owed when promising")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-promised_date"]

    def __str__(self) -> str:
        return f"promise {self.amount} by {self.promised_date} ({self.status})"


class Dispute(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "open"
        CLOSED = "closed", "closed"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="disputes")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="disputes")
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_on"]
        constraints = [
            models.UniqueConstraint(fields=["invoice"], condition=Q(status="open"), name="dispute_one_open_per_invoice"),
        ]

    def __str__(self) -> str:
        return f"dispute on {self.invoice_id} ({self.status})"


class PaymentPlan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        COMPLETED = "completed", "completed"
        BROKEN = "broken", "broken"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="payment_plans")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="payment_plans")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="payment_plans")
    total_amount = models.DecimalField(**AMOUNT)
    baseline_amount = models.DecimalField(**AMOUNT, help_text="what the debtor owed when the plan was agreed")
    every = models.CharField(max_length=10, default="1m")
    grace_days = models.PositiveSmallIntegerField(default=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    resolved_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"plan {self.pk} of {self.total_amount} ({self.status})"


class Instalment(models.Model):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    position = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(**AMOUNT)
    is_paid = models.BooleanField(default=False)

    class Meta:
        ordering = ["plan", "position"]

    def __str__(self) -> str:
        return f"instalment {self.position}: {self.amount} on {self.due_date}"


class DeclaredContact(models.Model):
    """A step of the chase done outside Relance before it took over, as a user declared it.

    Declared with ``relance case history add`` or the ledger file's ``last_contact_step`` /
    ``last_contact_date`` columns. A fact, never sent: the pass resumes the chase at the step
    after the latest one declared, at its interval from this date, and letters list it among
    the earlier attempts.
    """

    class Source(models.TextChoices):
        CLI = "cli", "command line"
        LEDGER = "ledger", "ledger file"
        WORKSPACE = "workspace", "workspace"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="declared_contacts")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="declared_contacts")
    step_key = models.SlugField(max_length=50)
    contact_date = models.DateField()
    channel = models.CharField(max_length=20, choices=Step.Channel.choices)
    note = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CLI)
    declared_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contact_date", "id"]
        constraints = [
            # Importing the same ledger file twice declares nothing twice.
            models.UniqueConstraint(
                fields=["debtor", "step_key", "contact_date"], name="declared_contact_once"
            ),
        ]
        indexes = [models.Index(fields=["creditor", "debtor"], name="declared_contact_debtor")]

    def __str__(self) -> str:
        return f"{self.step_key} on {self.contact_date} (declared)"


class RecoveryCost(models.Model):
    """Recovery costs a creditor incurred on a case (a lawyer's or a bailiff's fees…), with proof.

    Recorded with ``relance case costs add`` or ``POST /api/costs``; the proof is stored unchanged
    (``audit.documents``) with its SHA-256. Letters claim what they exceed the flat indemnities by,
    as a complementary compensation "sur justification" (C. com. L441-10 II), only under a
    regime that allows it (``domain.law.costs``): never from a consumer (CPCE L111-8).
    """

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="recovery_costs")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="recovery_costs")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recovery_costs")
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3, default="EUR")
    incurred_on = models.DateField()
    description = models.CharField(max_length=300)
    proof_name = models.CharField(max_length=200, help_text="documents/<sha256><suffix> under MEDIA_ROOT")
    proof_sha256 = models.CharField(max_length=64)
    proof_filename = models.CharField(max_length=200, help_text="the file's name as given")
    recorded_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["incurred_on", "id"]
        indexes = [models.Index(fields=["debtor", "case"], name="recovery_cost_case")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.incurred_on} ({self.description})"
