"""Domains: TLD prices, domain orders, registrations and transfers through registrar modules, yearly renewals."""

from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "moorage.domains"
    label = "domains"
    verbose_name = "Domains"

    def ready(self) -> None:
        from moorage.catalog.transfer import Section, register_section
        from moorage.domains import transfer

        register_section(Section(transfer.KEY, transfer.export, transfer.parse, transfer.apply))
