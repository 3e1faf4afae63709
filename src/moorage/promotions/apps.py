"""Promotional codes: percentage or fixed discounts, on the first invoice or recurring, with limits."""

from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "moorage.promotions"
    label = "promotions"
    verbose_name = "Promotions"
