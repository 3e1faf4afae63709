"""Cycles, invoices, ledger and credit."""

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "moorage.billing"
    label = "billing"
    verbose_name = "Billing"
