"""The payment gateway module interface: how Moorage asks a provider for money, and how it hears back.

A gateway module is a class found through the `moorage.gateways` entry points (like the provisioning
modules of `moorage.modules`). It is built with its staff settings (decrypted, plain strings) and
receives and returns plain values, never ORM rows. It never records a payment itself: it reports
what the provider says (a `GatewayEvent`, a `ChargeResult`) and the payments app decides, inside
its own transaction, what that means for the invoice.

Trust: an event a module returns from `parse_webhook` must come from a body whose signature the
module verified with the provider's own scheme; one from `fetch_checkout` must come from a
server-side call to the provider. Nothing the browser brings back on the return URL is trusted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

# What went wrong when a gateway call failed (`GatewayError.kind`), as for panels:
PERMANENT = "permanent"  # wrong key, refused request: retrying will not help; staff must act
TRANSIENT = "transient"  # the request did not reach the provider: retry
UNKNOWN = "unknown"  # the request may have been applied (reply lost, 5xx): look before retrying

# What a provider says happened (`GatewayEvent.kind`, `ChargeResult.status`).
PAID = "paid"  # money captured: transaction_id, amount and currency are set
FAILED = "failed"  # declined or abandoned: message says why
ACTION_REQUIRED = "action_required"  # the client must authenticate (3-D Secure) on the provider's page
PENDING = "pending"  # nothing final yet (a checkout still open)
REFUNDED = "refunded"  # money given back: transaction_id is the payment's, amount what was refunded
IGNORED = "ignored"  # a signed event Moorage has no use for


class GatewayError(Exception):
    """A call to the provider failed; `kind` says whether retrying may help."""

    def __init__(self, message: str, *, kind: str = PERMANENT) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class BadSignature(GatewayError):
    """A webhook whose signature does not check (or is missing, or too old): refused with 400."""

    def __init__(self, message: str = "the webhook signature does not verify") -> None:
        super().__init__(message, kind=PERMANENT)


@dataclass(frozen=True)
class SettingField:
    """One setting staff fill in for a gateway (Settings → Payment Gateways). Secrets are stored
    encrypted and never shown back in full."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""
    default: str = ""
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SavedMethod:
    """A card (or wallet) the provider keeps for us, usable without the client present."""

    token: str  # the provider's payment method id
    customer_ref: str  # the provider's customer id it belongs to ("" if none)
    label: str  # what the client recognises, e.g. "Visa •••• 4242, expires 12/2030"


@dataclass(frozen=True)
class CheckoutRequest:
    """Ask the provider for a page where the client pays one invoice."""

    reference: str  # Moorage's unique reference of this attempt: put it in the provider's metadata
    invoice_id: int
    invoice_number: str
    description: str
    amount: Decimal  # what is still due, 2 decimal places
    currency: str  # ISO 4217, upper case
    client_id: int
    client_email: str
    client_name: str
    language: str  # the client's language code ("en", "ru")
    return_url: str  # where the provider sends the browser back after paying
    cancel_url: str  # ... and after giving up
    save_method: bool = False  # the client agreed to keep the card for Service Auto Payment
    customer_ref: str = ""  # the provider's customer id from an earlier saved method


@dataclass(frozen=True)
class CheckoutStart:
    redirect_url: str  # the provider's hosted page
    provider_ref: str  # the provider's id of that checkout (session, order)


@dataclass(frozen=True)
class GatewayEvent:
    """What the provider says about a checkout or payment (from a verified webhook or a fetch)."""

    event_id: str  # the provider's event id; for a server-side fetch, "fetch:<provider_ref>:<state>"
    kind: str  # PAID, FAILED, ACTION_REQUIRED, PENDING, REFUNDED or IGNORED
    provider_ref: str = ""  # the checkout/order it belongs to
    reference: str = ""  # Moorage's reference read back from the provider's metadata
    transaction_id: str = ""  # the captured payment (charge, capture) id
    amount: Decimal | None = None
    currency: str = ""
    saved_method: SavedMethod | None = None  # set when the client agreed to keep the card
    message: str = ""  # a decline's reason, for the client and staff
    raw_type: str = ""  # the provider's own event type, for the log
    refund_id: str = ""  # REFUNDED: the provider's id of this refund (each refund is recorded once)


@dataclass(frozen=True)
class ChargeRequest:
    """Charge a saved method without the client present (Service Auto Payment)."""

    reference: str
    idempotency_key: str  # the provider must not charge twice for the same key
    invoice_id: int
    invoice_number: str
    description: str
    amount: Decimal
    currency: str
    method: SavedMethod


@dataclass(frozen=True)
class ChargeResult:
    status: str  # PAID, FAILED or ACTION_REQUIRED
    transaction_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    message: str = ""


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: str  # PAID (refund done) or PENDING
    amount: Decimal
    currency: str


class GatewayModule(ABC):
    """A payment gateway. Subclasses set the class attributes and implement what they support."""

    code: str = ""  # stable id stored on payments ("stripe", "paypal")
    name: str = ""  # shown to clients at checkout ("Credit Card", "PayPal")
    manual: bool = False  # staff record its payments by hand (bank transfer)
    online: bool = True  # the client is sent to the provider's page
    supports_saved_methods: bool = False
    supports_refunds: bool = False
    settings_fields: tuple[SettingField, ...] = ()
    webhook_help: str = ""  # what staff must set up at the provider (events to send)
    enabled_by_default: bool = False  # on before staff save its settings (bank transfer, credit balance)

    def __init__(self, config: Mapping[str, str] | None = None) -> None:
        self.config = dict(config or {})

    def setting(self, name: str) -> str:
        value = self.config.get(name, "")
        if not value:
            for f in self.settings_fields:
                if f.name == name:
                    return f.default
        return value

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStart:
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[GatewayEvent]:
        """Verify the signature (raise BadSignature) and translate the provider's event."""
        raise NotImplementedError

    def fetch_checkout(self, provider_ref: str) -> GatewayEvent:
        """Ask the provider, server to server, how a checkout ended (the return page's truth)."""
        raise NotImplementedError

    def charge_saved(self, request: ChargeRequest) -> ChargeResult:
        raise NotImplementedError

    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        raise NotImplementedError

    @abstractmethod
    def describe(self) -> str:
        """One line for staff: what this gateway is."""
