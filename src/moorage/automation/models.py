"""Automation runs and what each one did, item by item (the staff area shows both)."""

from __future__ import annotations

from django.db import models


class AutomationRun(models.Model):
    """One `moorage cron` run for one business date: its summary, written as it goes."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        # The process died (kill -9, a crash of the machine) or was stopped before the run ended.
        INTERRUPTED = "interrupted", "Interrupted"

    run_date = models.DateField(db_index=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    summary = models.JSONField(default=dict, blank=True)
    host = models.CharField(max_length=200, blank=True)
    # Which process runs it, and when it last said it was alive: a run whose process is gone, or
    # whose heartbeat is stale, is marked interrupted by the next run.
    pid = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Automation run {self.run_date} ({self.status})"


class AutomationRunItem(models.Model):
    """One thing a run did (or failed to do) to one object."""

    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(AutomationRun, on_delete=models.CASCADE, related_name="items")
    step = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["run", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.step} {self.object_type}#{self.object_id}: {self.outcome}"
