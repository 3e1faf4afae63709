"""A local stand-in for the parts of the PayPal REST API (Orders v2) Moorage uses.

For tests and the demo; it imports nothing from Moorage."""

from .app import VAULT_ACTION, VAULT_DECLINE, VAULT_OK, Event
from .server import PayPalStandin
from .signing import AUTH_ALGO, signed_message

__all__ = ["AUTH_ALGO", "VAULT_ACTION", "VAULT_DECLINE", "VAULT_OK", "Event", "PayPalStandin", "signed_message"]
