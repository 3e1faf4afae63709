"""Domains: TLD prices, domain orders, registrations and transfers through registrar modules, yearly renewals."""

from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "moorage.domains"
    label = "domains"
    verbose_name = "Domains"
