"""Card payments through Stripe: Checkout Sessions (Stripe's hosted page, 3-D Secure included), cards
saved for Service Auto Payment, off-session charges and refunds, with the official `stripe` package.

Every call goes through one `stripe.StripeClient` built from the staff settings; the API base URL
setting points it at the local stand-in (`stripe_standin`) in tests and the demo. The transaction id
Moorage records is the PaymentIntent id (`pi_…`): the checkout, the webhooks, the return page's
fetch, the off-session charge and the refunds all name the payment by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import requests
import stripe
from django.utils.translation import gettext_lazy as _
from urllib3.exceptions import NewConnectionError

from moorage.payments.interface import (
    ACTION_REQUIRED,
    FAILED,
    IGNORED,
    PAID,
    PENDING,
    PERMANENT,
    REFUNDED,
    TRANSIENT,
    UNKNOWN,
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

# Stripe counts amounts in the currency's minor unit; these currencies have none, or three decimals.
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905 - a list to read
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Two-decimal in the API but only whole units may be charged.
WHOLE_UNITS = frozenset({"ISK"})

WEBHOOK_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
)
LOCALES = {"en": "en", "ru": "ru"}
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 40.0


def currency_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor(amount: Decimal, currency: str) -> int:
    """An amount in Stripe's integer minor units; refuses what the currency cannot carry exactly."""
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal")
    code = currency.upper()
    exp = currency_exponent(code)
    quantum = Decimal(1).scaleb(-exp)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded != amount or (code in WHOLE_UNITS and amount != amount.to_integral_value()):
        raise GatewayError(f"{amount} {code} cannot be charged through Stripe: {code} has no such fraction.")
    if rounded <= 0:
        raise GatewayError(f"Stripe cannot charge {amount} {code}: the amount must be positive.")
    return int(rounded.scaleb(exp))


def from_minor(minor: int, currency: str) -> Decimal:
    """Stripe's integer minor units back to a Decimal amount, exactly, with at least 2 decimal places."""
    exp = currency_exponent(currency)
    value = Decimal(int(minor)).scaleb(-exp)
    return value.quantize(Decimal("0.01")) if exp < 2 else value


class StripeGateway(GatewayModule):
    """Credit Card payments on Stripe's hosted Checkout page; saved cards for Service Auto Payment."""

    code = "stripe"
    name = _("Credit Card")
    supports_saved_methods = True
    supports_refunds = True
    settings_fields = (
        SettingField("secret_key", "Secret key", secret=True, help="sk_live_… (or sk_test_… to try it out)"),
        SettingField("publishable_key", "Publishable key", required=False, help="pk_live_…"),
        SettingField(
            "webhook_secret",
            "Webhook signing secret",
            secret=True,
            help="whsec_…, shown by Stripe for the endpoint /payments/webhooks/stripe/",
        ),
        SettingField(
            "api_base",
            "API base URL",
            required=False,
            help="Leave blank for Stripe itself; set only to use a stand-in such as the bundled one.",
        ),
    )
    webhook_help = (
        "In Stripe's Dashboard → Developers → Webhooks add the endpoint "
        "https://<your Moorage host>/payments/webhooks/stripe/ with the events " + ", ".join(WEBHOOK_EVENTS) + "; "
        "copy its signing secret (whsec_…) into the Webhook signing secret setting."
    )
    # The SDK retries connection errors and 409/5xx answers it is told to, always with an idempotency key.
    max_network_retries = 2

    def describe(self) -> str:
        return "Card payments on Stripe's hosted checkout page, with 3-D Secure and saved cards for Auto Payment."

    # -- the client ------------------------------------------------------------------------------------
    def _client(self) -> stripe.StripeClient:
        client = getattr(self, "_stripe_client", None)
        if client is None:
            key = self.setting("secret_key")
            if not key:
                raise GatewayError("The Stripe secret key is not set (Settings → Payment Gateways → Credit Card).")
            base = self.setting("api_base").strip().rstrip("/")
            client = stripe.StripeClient(
                key,
                base_addresses={"api": base} if base else None,
                http_client=stripe.RequestsClient(timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)),
                max_network_retries=self.max_network_retries,
            )
            self._stripe_client = client
        return client

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except stripe.StripeError as exc:
            raise _gateway_error(what, exc) from exc

    # -- checkout ---------------------------------------------------------------------------------------
    def start_checkout(self, request: CheckoutRequest) -> CheckoutStart:
        client = self._client()
        currency = request.currency.upper()
        amount = to_minor(request.amount, currency)
        metadata = {
            "reference": request.reference,
            "invoice": str(request.invoice_id),
            "invoice_number": request.invoice_number,
            "client": str(request.client_id),
        }
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": request.description or f"Invoice {request.invoice_number}"},
                    },
                }
            ],
            "success_url": request.return_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.reference,
            "metadata": metadata,
            "payment_intent_data": {"metadata": {**metadata, "flow": "checkout"}, "description": request.description},
            "payment_method_types": ["card"],
            "locale": LOCALES.get(request.language, "auto"),
        }
        customer = request.customer_ref
        if request.save_method:
            params["metadata"] = {**metadata, "save_method": "1"}
            params["payment_intent_data"]["setup_future_usage"] = "off_session"
            if not customer:
                created = self._call(
                    "create the customer",
                    client.v1.customers.create,
                    params={
                        "email": request.client_email,
                        "name": request.client_name,
                        "metadata": {"moorage_client": str(request.client_id)},
                    },
                    options={"idempotency_key": f"moorage-customer-{request.reference}"},
                )
                customer = created.id
        if customer:
            params["customer"] = customer
        else:
            params["customer_email"] = request.client_email
        session = self._call(
            "start the checkout",
            client.v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": f"moorage-checkout-{request.reference}"},
        )
        if not session.url:
            raise GatewayError("Stripe did not return a checkout page for this session.")
        return CheckoutStart(redirect_url=session.url, provider_ref=session.id)

    def fetch_checkout(self, provider_ref: str) -> GatewayEvent:
        """The session and its PaymentIntent as Stripe has them now (the return page's truth)."""
        session = self._call(
            "look up the checkout",
            self._client().v1.checkout.sessions.retrieve,
            provider_ref,
            params={"expand": ["payment_intent", "payment_intent.payment_method"]},
        )
        pi = session.payment_intent
        reference = _meta(session, "reference")
        if session.status == "complete" and session.payment_status in ("paid", "no_payment_required") and pi:
            return GatewayEvent(
                event_id=f"fetch:{session.id}:paid",
                kind=PAID,
                provider_ref=session.id,
                reference=reference,
                transaction_id=pi.id,
                amount=from_minor(pi.amount_received, pi.currency),
                currency=pi.currency.upper(),
                saved_method=self._saved_method(pi),
                raw_type="checkout.session",
            )
        if session.status == "expired":
            return GatewayEvent(
                event_id=f"fetch:{session.id}:expired",
                kind=FAILED,
                provider_ref=session.id,
                reference=reference,
                message="The checkout expired before the card was charged.",
                raw_type="checkout.session",
            )
        state, kind, message = "open", PENDING, ""
        if pi and pi.status == "requires_action":
            state, kind, message = "action", ACTION_REQUIRED, "The bank asks the card holder to authenticate."
        elif pi and pi.last_payment_error:
            state, kind, message = "declined", PENDING, _decline_message(pi.last_payment_error)
        return GatewayEvent(
            event_id=f"fetch:{session.id}:{state}",
            kind=kind,
            provider_ref=session.id,
            reference=reference,
            message=message,
            raw_type="checkout.session",
        )

    # -- webhooks ---------------------------------------------------------------------------------------
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[GatewayEvent]:
        secret = self.setting("webhook_secret")
        if not secret:
            raise BadSignature("no webhook signing secret is configured for Stripe")
        signature = _header(headers, "Stripe-Signature")
        try:
            event = stripe.Webhook.construct_event(body, signature, secret)
        except stripe.SignatureVerificationError as exc:
            raise BadSignature(f"the Stripe-Signature does not verify: {exc.user_message or exc}") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadSignature("the webhook body is not a Stripe event") from exc
        translated = self._translate(event)
        return translated if isinstance(translated, list) else [translated]

    def _translate(self, event: Any) -> GatewayEvent | list[GatewayEvent]:
        obj = event.data.object
        etype = event.type
        base: dict[str, Any] = {"event_id": event.id, "raw_type": etype}
        if etype in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            base.update(provider_ref=obj.id, reference=_meta(obj, "reference"))
            if obj.payment_status != "paid" or not obj.payment_intent:
                return GatewayEvent(kind=PENDING, **base)
            pi_id = obj.payment_intent if isinstance(obj.payment_intent, str) else obj.payment_intent.id
            saved = None
            if obj.customer and _meta(obj, "save_method") == "1":
                # The session does not say whether the card was kept: the PaymentIntent does.
                pi = self._call(
                    "look up the payment",
                    self._client().v1.payment_intents.retrieve,
                    pi_id,
                    params={"expand": ["payment_method"]},
                )
                saved = self._saved_method(pi)
            return GatewayEvent(
                kind=PAID,
                transaction_id=pi_id,
                amount=from_minor(obj.amount_total, obj.currency),
                currency=obj.currency.upper(),
                saved_method=saved,
                **base,
            )
        if etype in ("checkout.session.expired", "checkout.session.async_payment_failed"):
            message = "The checkout expired." if etype.endswith("expired") else "The payment failed."
            return GatewayEvent(
                kind=FAILED, provider_ref=obj.id, reference=_meta(obj, "reference"), message=message, **base
            )
        if etype == "payment_intent.succeeded":
            saved = None
            if obj.setup_future_usage == "off_session" and obj.customer and obj.payment_method:
                pm = self._call("look up the card", self._client().v1.payment_methods.retrieve, obj.payment_method)
                saved = SavedMethod(token=pm.id, customer_ref=obj.customer, label=_card_label(pm))
            return GatewayEvent(
                kind=PAID,
                reference=_meta(obj, "reference"),
                transaction_id=obj.id,
                amount=from_minor(obj.amount_received, obj.currency),
                currency=obj.currency.upper(),
                saved_method=saved,
                **base,
            )
        if etype == "payment_intent.payment_failed":
            # On Stripe's hosted page a declined card is not the end: the session stays open and the
            # client may try another card; only the session's expiry fails the checkout.
            return GatewayEvent(
                kind=PENDING if _meta(obj, "flow") == "checkout" else FAILED,
                reference=_meta(obj, "reference"),
                message=_decline_message(obj.last_payment_error),
                **base,
            )
        if etype == "charge.refunded":
            return self._refunds_of(obj, base)
        return GatewayEvent(kind=IGNORED, **base)

    # -- Service Auto Payment ---------------------------------------------------------------------------
    def charge_saved(self, request: ChargeRequest) -> ChargeResult:
        currency = request.currency.upper()
        metadata = {
            "reference": request.reference,
            "invoice": str(request.invoice_id),
            "invoice_number": request.invoice_number,
        }
        params: dict[str, Any] = {
            "amount": to_minor(request.amount, currency),
            "currency": currency.lower(),
            "payment_method": request.method.token,
            "off_session": True,
            "confirm": True,
            "description": request.description,
            "metadata": metadata,
        }
        if request.method.customer_ref:
            params["customer"] = request.method.customer_ref
        try:
            pi = self._client().v1.payment_intents.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.CardError as exc:
            error = exc.error
            code = (error.code if error else "") or exc.code or ""
            message = _decline_message(error) if error else (exc.user_message or "The card was declined.")
            if code == "authentication_required":
                return ChargeResult(status=ACTION_REQUIRED, message=message)
            return ChargeResult(status=FAILED, message=message)
        except stripe.StripeError as exc:
            raise _gateway_error("charge the saved card", exc) from exc
        if pi.status == "succeeded":
            return ChargeResult(
                status=PAID,
                transaction_id=pi.id,
                amount=from_minor(pi.amount_received, pi.currency),
                currency=pi.currency.upper(),
            )
        if pi.status == "requires_action":
            return ChargeResult(status=ACTION_REQUIRED, message="The bank asks the card holder to authenticate.")
        if pi.status == "processing":
            raise GatewayError(f"Stripe is still processing {pi.id}; look it up before charging again.", kind=UNKNOWN)
        return ChargeResult(status=FAILED, message=_decline_message(pi.last_payment_error) or pi.status)

    # -- refunds ----------------------------------------------------------------------------------------
    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        code = currency.upper()
        refund = self._call(
            "refund the payment",
            self._client().v1.refunds.create,
            params={"payment_intent": transaction_id, "amount": to_minor(amount, code)},
            options={"idempotency_key": idempotency_key},
        )
        if refund.currency.upper() != code:
            raise GatewayError(f"Stripe refunded in {refund.currency.upper()}, not {code}: check the payment.")
        if refund.status in ("failed", "canceled"):
            raise GatewayError(f"Stripe refused the refund ({refund.failure_reason or refund.status}).")
        return RefundResult(
            refund_id=refund.id,
            status=PAID if refund.status == "succeeded" else PENDING,
            amount=from_minor(refund.amount, refund.currency),
            currency=refund.currency.upper(),
        )

    # -- helpers ----------------------------------------------------------------------------------------
    def _refunds_of(self, charge: Any, base: dict[str, Any]) -> list[GatewayEvent]:
        """One REFUNDED event per succeeded refund of the charge, each with its refund id (Moorage records
        each refund once, so refunds it asked for itself, or met in an earlier event, change nothing).
        The charge in the event does not list its refunds: they are asked for, server to server."""
        listing = self._call(
            "list the refunds", self._client().v1.refunds.list, params={"charge": charge.id, "limit": 100}
        )
        events = []
        for refund in listing.data:
            if refund.status != "succeeded":
                continue
            events.append(
                GatewayEvent(
                    event_id=f"{base['event_id']}:{refund.id}",
                    kind=REFUNDED,
                    reference=_meta(charge, "reference"),
                    transaction_id=charge.payment_intent or charge.id,
                    amount=from_minor(refund.amount, refund.currency),
                    currency=refund.currency.upper(),
                    refund_id=refund.id,
                    raw_type=base["raw_type"],
                )
            )
        return events or [GatewayEvent(kind=IGNORED, **base)]

    def _saved_method(self, pi: Any) -> SavedMethod | None:
        """The card the client agreed to keep (setup_future_usage=off_session), once it is on a customer."""
        if pi is None or pi.setup_future_usage != "off_session" or not pi.customer or not pi.payment_method:
            return None
        pm = pi.payment_method
        if isinstance(pm, str):
            pm = self._call("look up the card", self._client().v1.payment_methods.retrieve, pm)
        customer = pi.customer if isinstance(pi.customer, str) else pi.customer.id
        return SavedMethod(token=pm.id, customer_ref=customer, label=_card_label(pm))


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    # Django's request.META spelling.
    return headers.get("HTTP_" + name.upper().replace("-", "_"), "")


def _meta(obj: Any, key: str) -> str:
    metadata = getattr(obj, "metadata", None)
    try:
        return str(metadata[key]) if metadata is not None else ""  # StripeObject: indexable, no .get
    except (KeyError, TypeError):
        return ""


def _card_label(pm: Any) -> str:
    card = getattr(pm, "card", None)
    if not card:
        return "Card"
    brand = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express"}.get(
        card.brand, str(card.brand).title()
    )
    return f"{brand} •••• {card.last4}, expires {int(card.exp_month):02d}/{card.exp_year}"


def _decline_message(error: Any) -> str:
    if not error:
        return ""
    message = getattr(error, "message", "") or "The card was declined."
    reason = getattr(error, "decline_code", "") or getattr(error, "code", "")
    return f"{message} ({reason})" if reason else message


def _gateway_error(what: str, exc: stripe.StripeError) -> GatewayError:
    detail = exc.user_message or str(exc) or type(exc).__name__
    message = f"Stripe could not {what}: {detail}"
    if isinstance(exc, stripe.APIConnectionError):
        return GatewayError(message, kind=_connection_kind(exc))
    if isinstance(exc, stripe.RateLimitError):
        return GatewayError(message, kind=TRANSIENT)
    status = exc.http_status or 0
    if isinstance(exc, stripe.APIError) or status >= 500:
        return GatewayError(message, kind=UNKNOWN)
    # AuthenticationError, PermissionError, InvalidRequestError, IdempotencyError, CardError
    return GatewayError(message, kind=PERMANENT)


def _connection_kind(exc: stripe.APIConnectionError) -> str:
    """TRANSIENT when the request never reached Stripe; UNKNOWN when it may have (timed out reading)."""
    cause = exc.__cause__
    if isinstance(cause, requests.exceptions.ConnectTimeout):
        return TRANSIENT
    if isinstance(cause, requests.exceptions.ConnectionError) and not isinstance(
        cause, requests.exceptions.ReadTimeout
    ):
        reason = getattr(cause.args[0], "reason", None) if cause.args else None
        if isinstance(reason, NewConnectionError):
            return TRANSIENT
    return UNKNOWN
