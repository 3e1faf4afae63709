"""Promotional codes: percentage or fixed discounts, on the first invoice or recurring, with limits."""
