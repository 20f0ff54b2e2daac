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
