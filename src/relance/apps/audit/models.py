from __future__ import annotations

from django.db import models


class Event(models.Model):
    """An append-only audit record. ``hash`` covers the record and the previous event's hash,
    so changing or deleting any past event breaks the chain (``relance audit verify``).

    ``keyed``: ``hash`` is an HMAC-SHA256 under the audit key, which is not in the database
    (``seal``). Events recorded before the key existed are plain SHA-256 (``keyed`` false):
    they are reported as such, and the first keyed event seals them, its MAC covering the
    last one's hash."""

    created_at = models.DateTimeField()
    actor = models.CharField(max_length=100)
    creditor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    keyed = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="event_subject")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.subject_type}#{self.subject_id}"


class ChainHead(models.Model):
    """One row holding the last hash; locking it serialises appends across processes."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash
