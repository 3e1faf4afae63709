"""Reconciliation of the panels with billing."""

from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "moorage.reconciliation"
    label = "reconciliation"
    verbose_name = "Reconciliation"
