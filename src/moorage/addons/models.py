"""Add-ons: a catalog of extras (dedicated IP, extra disk) assigned to products and billed with their parent service."""

from __future__ import annotations
