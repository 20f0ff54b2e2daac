"""A creditor's edited templates, and the scenario a debtor is assigned."""

from __future__ import annotations

from django.db import models

from relance.apps.collection.models import Scenario
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor


class TemplateOverride(models.Model):
    """A creditor's own text for one template (``reminder.txt``, ``reminder.subject``) and
    language, used instead of the shipped one until it is reset."""

    creditor = models.ForeignKey(
        Creditor, on_delete=models.CASCADE, related_name="template_overrides"
    )
    name = models.CharField(max_length=60)
    lang = models.CharField(max_length=2, choices=[("fr", "français"), ("en", "English")])
    source = models.TextField()
    sha256 = models.CharField(max_length=64)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "lang"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "name", "lang"], name="template_override_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lang}/{self.name}"


class ScenarioAssignment(models.Model):
    """The scenario chosen for one debtor: its open case follows it, and so do its later cases
    (the daily pass reads it before the default for the debtor's kind)."""

    creditor = models.ForeignKey(
        Creditor, on_delete=models.CASCADE, related_name="scenario_assignments"
    )
    debtor = models.OneToOneField(
        Debtor, on_delete=models.CASCADE, related_name="scenario_assignment"
    )
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.CharField(max_length=150, blank=True)
    assigned_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.debtor_id} → {self.scenario_id}"
