"""Promotional codes: percentage or fixed discounts, on the first invoice or recurring, with limits."""

from __future__ import annotations
