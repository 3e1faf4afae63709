"""A local stand-in for the parts of the Stripe HTTP API Moorage uses (tests and demo; imports nothing from Moorage).

It answers the official `stripe` SDK pointed at it (`base_addresses={"api": standin.base_url}`):
customers, Checkout Sessions, PaymentIntents, payment methods, charges, refunds and events, with
Stripe's object shapes, error JSON and HTTP codes, Bearer secret-key auth and `Idempotency-Key`
replay. It serves a hosted payment page (`/pay/<session id>`) that takes Stripe's test cards, and
sends webhooks signed with Stripe's scheme to one configured endpoint.
"""

from .app import TEST_CARDS, ApiError, Outcome, Stripe
from .server import StripeStandin
from .webhooks import Delivery, signature_header

__all__ = ["TEST_CARDS", "ApiError", "Delivery", "Outcome", "Stripe", "StripeStandin", "signature_header"]
