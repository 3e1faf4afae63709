"""A fake online gateway for the tests of the gateway core: a provider kept in memory, webhooks
signed with HMAC-SHA256 of the body under the configured secret (header X-Fake-Signature)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from decimal import Decimal

from moorage.payments.interface import (
    ACTION_REQUIRED,
    FAILED,
    PAID,
    PENDING,
    TRANSIENT,
    BadSignature,
    ChargeRequest,
    ChargeResult,
    CheckoutRequest,
    CheckoutStart,
    GatewayError,
    GatewayEvent,
    GatewayModule,
    RefundResult,
    SavedMethod,
    SettingField,
)

SECRET = "whsec_fake"


class Provider:
    """The provider's own state, shared by every module instance (one per test)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, dict] = {}
        self.charges: dict[str, ChargeResult] = {}  # idempotency key → result
        self.charge_calls = 0
        self.refunds: dict[str, RefundResult] = {}
        self.fail_start = False
        self.refund_fault: str | None = None  # a GatewayError kind raised by the next refund call
        self.refund_calls = 0
        self.counter = 0
        self.webhook_unreachable = False  # the module cannot ask the provider while reading a webhook

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self.counter += 1
            return f"{prefix}_{self.counter}"


provider = Provider()


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeGateway(GatewayModule):
    code = "fake"
    name = "Fake Card"
    supports_saved_methods = True
    supports_refunds = True
    settings_fields = (
        SettingField("api_key", "API key", secret=True),
        SettingField("webhook_secret", "Webhook secret", secret=True),
        SettingField("mode", "Mode", required=False, default="test", choices=(("test", "Test"), ("live", "Live"))),
    )
    webhook_help = "Send checkout.paid and refund events."

    def describe(self) -> str:
        return "A fake card gateway for tests."

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStart:
        if provider.fail_start:
            raise GatewayError("the provider is down", kind=TRANSIENT)
        sid = provider.next_id("cs")
        provider.sessions[sid] = {"request": request, "state": PENDING, "txn": "", "paid": None}
        return CheckoutStart(redirect_url=f"https://fake.test/pay/{sid}", provider_ref=sid)

    # The "provider" side, driven by tests: the client pays on the hosted page.
    @staticmethod
    def pay(sid: str, *, amount: Decimal | None = None, currency: str | None = None, state: str = PAID) -> str:
        session = provider.sessions[sid]
        session["state"] = state
        if state == PAID:
            session["txn"] = provider.next_id("ch")
            session["paid"] = (
                amount if amount is not None else session["request"].amount,
                currency or session["request"].currency,
            )
        return session["txn"]

    def _event(self, sid: str, event_id: str) -> GatewayEvent:
        session = provider.sessions[sid]
        request: CheckoutRequest = session["request"]
        paid = session["paid"]
        saved = None
        if session["state"] == PAID and request.save_method:
            saved = SavedMethod(token=f"pm_{sid}", customer_ref=f"cus_{request.client_id}", label="Visa •••• 4242")
        return GatewayEvent(
            event_id=event_id,
            kind=session["state"],
            provider_ref=sid,
            reference=request.reference,
            transaction_id=session["txn"],
            amount=paid[0] if paid else None,
            currency=paid[1] if paid else "",
            saved_method=saved,
            message="card declined" if session["state"] == FAILED else "",
        )

    def fetch_checkout(self, provider_ref: str) -> GatewayEvent:
        session = provider.sessions.get(provider_ref)
        if session is None:
            raise GatewayError("no such session")
        return self._event(provider_ref, f"fetch:{provider_ref}:{session['state']}")

    def webhook_body(self, sid: str, event_id: str) -> bytes:
        event = self._event(sid, event_id)
        return json.dumps(
            {
                "id": event.event_id,
                "kind": event.kind,
                "session": sid,
                "reference": event.reference,
                "txn": event.transaction_id,
                "amount": str(event.amount) if event.amount is not None else None,
                "currency": event.currency,
                "save": bool(event.saved_method),
            }
        ).encode()

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[GatewayEvent]:
        if provider.webhook_unreachable:
            raise GatewayError("the provider could not be asked", kind="transient")
        given = headers.get("X-Fake-Signature", "")
        if not given or not hmac.compare_digest(given, sign(body, self.setting("webhook_secret"))):
            raise BadSignature()
        data = json.loads(body)
        if data["kind"] == "refunded":
            return [
                GatewayEvent(
                    event_id=data["id"],
                    kind="refunded",
                    transaction_id=data["txn"],
                    amount=Decimal(data["amount"]),
                    currency=data["currency"],
                    refund_id=data.get("refund_id", ""),
                )
            ]
        saved = None
        if data.get("save"):
            saved = SavedMethod(token=f"pm_{data['session']}", customer_ref="cus_x", label="Visa •••• 4242")
        return [
            GatewayEvent(
                event_id=data["id"],
                kind=data["kind"],
                provider_ref=data["session"],
                reference=data["reference"],
                transaction_id=data["txn"],
                amount=Decimal(data["amount"]) if data["amount"] else None,
                currency=data["currency"],
                saved_method=saved,
            )
        ]

    def charge_saved(self, request: ChargeRequest) -> ChargeResult:
        with provider.lock:
            provider.charge_calls += 1
            if request.idempotency_key in provider.charges:
                return provider.charges[request.idempotency_key]
        token = request.method.token
        if "decline" in token:
            result = ChargeResult(status=FAILED, message="insufficient funds")
        elif "3ds" in token:
            result = ChargeResult(status=ACTION_REQUIRED, message="authentication required")
        elif "held" in token:
            result = ChargeResult(status="pending", transaction_id=provider.next_id("ch"), message="under review")
        else:
            result = ChargeResult(
                status=PAID, transaction_id=provider.next_id("ch"), amount=request.amount, currency=request.currency
            )
        provider.charges[request.idempotency_key] = result
        return result

    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        provider.refund_calls += 1
        if provider.refund_fault:
            kind, provider.refund_fault = provider.refund_fault, None
            if kind == "unknown":  # the provider refunded, the answer was lost
                provider.refunds[idempotency_key] = RefundResult(
                    refund_id=provider.next_id("re"), status=PAID, amount=amount, currency=currency
                )
            raise GatewayError(f"{kind} failure", kind=kind)
        if idempotency_key not in provider.refunds:
            provider.refunds[idempotency_key] = RefundResult(
                refund_id=provider.next_id("re"), status=PAID, amount=amount, currency=currency
            )
        return provider.refunds[idempotency_key]
