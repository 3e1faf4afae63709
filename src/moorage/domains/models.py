"""Domains: TLD prices, domain orders, registrations and transfers through registrar modules, yearly renewals."""

from __future__ import annotations
