"""The providers' side of payments: webhooks (mounted at /payments/)."""

from django.urls import path

from moorage.payments import webhooks

app_name = "payments"
urlpatterns = [
    path("webhooks/<slug:code>/", webhooks.webhook, name="webhook"),
]
