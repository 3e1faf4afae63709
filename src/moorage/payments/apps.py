"""Payment gateways and the payment-received flow."""

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "moorage.payments"
    label = "payments"
    verbose_name = "Payments"
