"""The PayPal gateway module: PayPal Checkout through the Orders v2 REST API over plain httpx, with
webhooks verified offline by PayPal's signature scheme and PayPal wallets vaulted for Service Auto Payment."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
import time
import urllib.parse
import zlib
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

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

HOSTS = {"sandbox": "https://api-m.sandbox.paypal.com", "live": "https://api-m.paypal.com"}
# PayPal takes these currencies without decimals (its "Currency codes" reference); all others with two.
ZERO_DECIMAL = frozenset({"HUF", "JPY", "TWD"})
CERT_PATH = "/v1/notifications/certs/"
AUTH_ALGO = "SHA256withRSA"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TOKEN_MARGIN = 120.0  # seconds: a cached token is renewed this long before PayPal says it expires
MAX_CERTS = 32
_ID = re.compile(r"[A-Za-z0-9-]{1,64}")

# What a payer or staff member reads for PayPal's business refusals (Orders v2 `details[].issue`).
DECLINES = {
    "INSTRUMENT_DECLINED": "PayPal declined the payment method (the bank or card issuer refused it). "
    "Please pay again and choose another funding source in PayPal.",
    "PAYER_CANNOT_PAY": "PayPal says this PayPal account cannot pay this order.",
    "PAYER_ACCOUNT_RESTRICTED": "The payer's PayPal account is restricted.",
    "PAYER_ACCOUNT_LOCKED_OR_CLOSED": "The payer's PayPal account is locked or closed.",
    "TRANSACTION_REFUSED": "PayPal refused the transaction.",
    "PAYMENT_DENIED": "PayPal denied the payment.",
    "PAYMENT_SOURCE_CANNOT_BE_USED": "The saved PayPal account can no longer be used; the client must pay once "
    "with PayPal to save it again.",
    "PAYMENT_SOURCE_DECLINED_BY_PROCESSOR": "The processor declined the saved payment source.",
    "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING": "PayPal asks the payer to choose another funding source.",
    "COMPLIANCE_VIOLATION": "PayPal refused the transaction for compliance reasons.",
}

_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}  # (base, client id, secret hash) -> (token, expiry)
_certs: dict[str, Any] = {}  # cert URL -> RSA public key
_lock = threading.Lock()


class _ApiFailure(GatewayError):
    """PayPal answered with an error; `issue` is the first `details[].issue` (or the error `name`)."""

    def __init__(self, message: str, *, kind: str, status: int, issue: str, data: Mapping[str, Any]) -> None:
        super().__init__(message, kind=kind)
        self.status = status
        self.issue = issue
        self.data = data


def amount_string(amount: Decimal, currency: str) -> str:
    """The amount as PayPal wants it: a string with the currency's decimals; refuses what would need rounding."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise GatewayError(f"the amount must be a positive decimal, not {amount!r}", kind=PERMANENT)
    exponent = Decimal(1) if currency in ZERO_DECIMAL else Decimal("0.01")
    value = amount.quantize(exponent)
    if value != amount:
        raise GatewayError(
            f"PayPal takes {currency} amounts with {0 if currency in ZERO_DECIMAL else 2} decimals; "
            f"{amount} would have to be rounded",
            kind=PERMANENT,
        )
    return str(value)


def _decimal(value: Any) -> Decimal | None:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _check_id(value: str, what: str) -> str:
    """PayPal ids go into URL paths: anything else than letters, digits and dashes is refused."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise GatewayError(f"not a PayPal {what} id: {value!r}", kind=PERMANENT)
    return value


class PayPalGateway(GatewayModule):
    code = "paypal"
    name = "PayPal"
    supports_saved_methods = True
    supports_refunds = True
    settings_fields = (
        SettingField(
            "client_id", "Client ID", help="From the PayPal developer dashboard: Apps & Credentials → your app."
        ),
        SettingField("client_secret", "Secret", secret=True, help="The app's secret key (stored encrypted)."),
        SettingField(
            "webhook_id",
            "Webhook ID",
            help="The ID PayPal shows for the webhook you created for this site's PayPal webhook URL; "
            "webhooks are verified with it.",
        ),
        SettingField(
            "mode",
            "Mode",
            default="sandbox",
            choices=(("sandbox", "Sandbox (test)"), ("live", "Live")),
            help="Sandbox uses api-m.sandbox.paypal.com, live api-m.paypal.com.",
        ),
        SettingField(
            "api_base_url",
            "API base URL",
            required=False,
            help="Leave empty. Only to point Moorage at another PayPal API host, such as the bundled stand-in.",
        ),
    )
    webhook_help = (
        "In the PayPal developer dashboard (Apps & Credentials → your app → Webhooks), add a webhook for this "
        "site's URL /payments/webhooks/paypal/ with the events CHECKOUT.ORDER.APPROVED, PAYMENT.CAPTURE.COMPLETED, "
        "PAYMENT.CAPTURE.DENIED, PAYMENT.CAPTURE.PENDING and PAYMENT.CAPTURE.REFUNDED, then copy its Webhook ID here."
    )

    def describe(self) -> str:
        return f"PayPal Checkout (Orders v2 REST API), {self.base_url()}"

    # -- transport ----------------------------------------------------------------------------------
    def base_url(self) -> str:
        override = self.setting("api_base_url").strip().rstrip("/")
        if override:
            if not override.startswith(("https://", "http://")):
                raise GatewayError("the API base URL must start with https://", kind=PERMANENT)
            return override
        mode = self.setting("mode") or "sandbox"
        if mode not in HOSTS:
            raise GatewayError(f"unknown PayPal mode {mode!r} (sandbox or live)", kind=PERMANENT)
        return HOSTS[mode]

    def _token_key(self) -> tuple[str, str, str]:
        secret_hash = hashlib.sha256(self.setting("client_secret").encode()).hexdigest()
        return self.base_url(), self.setting("client_id"), secret_hash

    def _token(self, *, renew: bool = False) -> str:
        """An OAuth access token (client credentials), cached per process until shortly before it expires."""
        key = self._token_key()
        with _lock:
            cached = _tokens.get(key)
        if cached and not renew and cached[1] > time.monotonic():
            return cached[0]
        if not key[1] or not self.setting("client_secret"):
            raise GatewayError("PayPal is not configured: client id and secret are needed", kind=PERMANENT)
        started = time.monotonic()
        try:
            with httpx.Client(timeout=TIMEOUT) as http:
                response = http.post(
                    key[0] + "/v1/oauth2/token",
                    data={"grant_type": "client_credentials"},
                    auth=(key[1], self.setting("client_secret")),
                    headers={"Accept": "application/json"},
                )
        except httpx.HTTPError as exc:
            raise GatewayError(f"could not reach PayPal for an access token: {exc}", kind=TRANSIENT) from exc
        if response.status_code in (400, 401, 403):
            raise GatewayError("PayPal refused the client id and secret (check the PayPal settings)", kind=PERMANENT)
        if response.status_code != 200:
            raise GatewayError(f"PayPal's token endpoint answered {response.status_code}", kind=TRANSIENT)
        try:
            data = response.json()
            token = str(data["access_token"])
            lifetime = float(data.get("expires_in", 0))
        except (ValueError, KeyError, TypeError) as exc:
            raise GatewayError("PayPal's token answer is not understood", kind=TRANSIENT) from exc
        with _lock:
            _tokens[key] = (token, started + max(lifetime - TOKEN_MARGIN, 0.0))
        return token

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        request_id: str = "",
    ) -> dict[str, Any]:
        """One API call with a bearer token; a refused (expired) token is renewed once."""
        token = self._token()
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "Prefer": "return=representation",
            }
            if request_id:
                headers["PayPal-Request-Id"] = request_id[:108]
            try:
                with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as http:
                    response = http.request(
                        method,
                        self.base_url() + path,
                        json=dict(body) if body is not None else None,
                        headers=headers,
                    )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise GatewayError(f"could not reach PayPal: {exc}", kind=TRANSIENT) from exc
            except httpx.HTTPError as exc:
                # The request may have been applied and the answer lost: look before trying again
                # (a read changes nothing, so it is simply retried).
                kind = TRANSIENT if method == "GET" else UNKNOWN
                raise GatewayError(f"no answer from PayPal: {exc!r}", kind=kind) from exc
            if response.status_code == 401 and attempt == 1:
                token = self._token(renew=True)
                continue
            return self._answer(method, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer(self, method: str, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        status = response.status_code
        if status < 300:
            return data
        details = data.get("details") if isinstance(data.get("details"), list) else []
        first = details[0] if details and isinstance(details[0], dict) else {}
        issue = str(first.get("issue") or data.get("name") or f"HTTP_{status}")
        text = str(first.get("description") or data.get("message") or response.reason_phrase)
        message = f"PayPal: {issue}: {text}"
        if data.get("debug_id"):
            message += f" (debug id {data['debug_id']})"
        if status >= 500:
            kind = TRANSIENT if method == "GET" else UNKNOWN
        elif status == 429:
            kind = TRANSIENT
        else:
            kind = PERMANENT
        raise _ApiFailure(message, kind=kind, status=status, issue=issue, data=data)

    # -- checkout -----------------------------------------------------------------------------------
    def start_checkout(self, request: CheckoutRequest) -> CheckoutStart:
        currency = request.currency.upper()
        unit = {
            "reference_id": "default",
            "custom_id": request.reference[:127],
            # PayPal may refuse an invoice id it has seen before; each attempt gets its own.
            "invoice_id": f"{request.invoice_number}-{request.reference}"[:127],
            "description": request.description[:127],
            "amount": {"currency_code": currency, "value": amount_string(request.amount, currency)},
        }
        paypal: dict[str, Any] = {
            "experience_context": {
                "return_url": request.return_url,
                "cancel_url": request.cancel_url,
                "user_action": "PAY_NOW",
                "shipping_preference": "NO_SHIPPING",
                "locale": "ru-RU" if request.language == "ru" else "en-US",
            }
        }
        if request.save_method:
            attributes: dict[str, Any] = {
                "vault": {"store_in_vault": "ON_SUCCESS", "usage_type": "MERCHANT", "customer_type": "CONSUMER"}
            }
            if request.customer_ref:
                attributes["customer"] = {"id": request.customer_ref}
            paypal["attributes"] = attributes
        order = self._call(
            "POST",
            "/v2/checkout/orders",
            body={"intent": "CAPTURE", "purchase_units": [unit], "payment_source": {"paypal": paypal}},
            request_id=f"create-{request.reference}",
        )
        order_id = _check_id(str(order.get("id", "")), "order")
        link = self._link(order, "payer-action") or self._link(order, "approve")
        if not link:
            raise GatewayError("PayPal returned no approval link for the order", kind=PERMANENT)
        return CheckoutStart(redirect_url=link, provider_ref=order_id)

    @staticmethod
    def _link(resource: Mapping[str, Any], rel: str) -> str:
        for link in resource.get("links") or ():
            if isinstance(link, dict) and link.get("rel") == rel and isinstance(link.get("href"), str):
                return str(link["href"])
        return ""

    def fetch_checkout(self, provider_ref: str) -> GatewayEvent:
        """Server side: read the order; capture it once the payer approved it (one capture per order,
        whoever asks first: the PayPal-Request-Id is the order's)."""
        order_id = _check_id(provider_ref, "order")
        order = self._call("GET", f"/v2/checkout/orders/{order_id}")
        status = order.get("status")
        if status == "APPROVED":
            try:
                order = self._call("POST", f"/v2/checkout/orders/{order_id}/capture", request_id=f"capture-{order_id}")
            except _ApiFailure as exc:
                if exc.issue == "ORDER_ALREADY_CAPTURED":
                    order = self._call("GET", f"/v2/checkout/orders/{order_id}")
                elif exc.status == 422 and exc.issue in DECLINES:
                    return GatewayEvent(
                        event_id=f"fetch:{order_id}:{FAILED}",
                        kind=FAILED,
                        provider_ref=order_id,
                        reference=self._custom_id(order),
                        message=DECLINES[exc.issue],
                        raw_type=exc.issue,
                    )
                else:
                    raise
        return self._order_event(order, order_id)

    @staticmethod
    def _custom_id(order: Mapping[str, Any]) -> str:
        units = order.get("purchase_units") or [{}]
        return str(units[0].get("custom_id", "")) if isinstance(units[0], dict) else ""

    def _order_event(self, order: Mapping[str, Any], order_id: str) -> GatewayEvent:
        status = str(order.get("status", ""))
        reference = self._custom_id(order)
        capture = self._first_capture(order)
        if status == "COMPLETED" and capture is not None:
            event = self._capture_event(capture, event_id="", raw_type=f"order {status}")
            kind = event.kind
            return replace(
                event,
                event_id=f"fetch:{order_id}:{kind}",
                provider_ref=order_id,
                reference=event.reference or reference,
                saved_method=self._saved_method(order) if kind == PAID else None,
            )
        if status == "VOIDED":
            return GatewayEvent(
                event_id=f"fetch:{order_id}:{FAILED}",
                kind=FAILED,
                provider_ref=order_id,
                reference=reference,
                message="The PayPal order was voided.",
                raw_type=status,
            )
        return GatewayEvent(
            event_id=f"fetch:{order_id}:{PENDING}",
            kind=PENDING,
            provider_ref=order_id,
            reference=reference,
            raw_type=status,
        )

    @staticmethod
    def _first_capture(order: Mapping[str, Any]) -> dict[str, Any] | None:
        for unit in order.get("purchase_units") or ():
            captures = ((unit or {}).get("payments") or {}).get("captures") or []
            if captures and isinstance(captures[0], dict):
                return captures[0]
        return None

    @staticmethod
    def _saved_method(order: Mapping[str, Any]) -> SavedMethod | None:
        paypal = (order.get("payment_source") or {}).get("paypal") or {}
        vault = (paypal.get("attributes") or {}).get("vault") or {}
        if not vault.get("id") or vault.get("status", "VAULTED") != "VAULTED":
            return None
        email = paypal.get("email_address") or ""
        return SavedMethod(
            token=str(vault["id"]),
            customer_ref=str((vault.get("customer") or {}).get("id", "")),
            label=f"PayPal {email}".strip(),
        )

    def _capture_event(self, capture: Mapping[str, Any], *, event_id: str, raw_type: str) -> GatewayEvent:
        """A capture as PayPal reports it (in an order or a PAYMENT.CAPTURE.* webhook)."""
        status = str(capture.get("status", ""))
        amount = capture.get("amount") or {}
        order_id = str(((capture.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id", ""))
        event = GatewayEvent(
            event_id=event_id,
            kind=PENDING,
            provider_ref=order_id,
            reference=str(capture.get("custom_id", "")),
            transaction_id=str(capture.get("id", "")),
            amount=_decimal(amount.get("value")),
            currency=str(amount.get("currency_code", "")),
            raw_type=raw_type,
        )
        if status in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"):
            return replace(event, kind=PAID)
        if status in ("DECLINED", "FAILED"):
            reason = str((capture.get("status_details") or {}).get("reason", ""))
            message = "PayPal declined the payment" + (f" ({reason})" if reason else "") + "."
            return replace(event, kind=FAILED, message=message)
        return event

    # -- webhooks -----------------------------------------------------------------------------------
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[GatewayEvent]:
        self._verify(body, headers)
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise BadSignature("the webhook body is not JSON") from exc
        if not isinstance(event, dict) or not isinstance(event.get("resource"), dict):
            raise BadSignature("the webhook body is not a PayPal event")
        event_id = str(event.get("id", ""))
        event_type = str(event.get("event_type", ""))
        resource = event["resource"]
        if not event_id:
            raise BadSignature("the webhook event has no id")
        if event_type == "CHECKOUT.ORDER.APPROVED":
            # The payer approved but may never come back to the return page: capture now (server side),
            # but only an order Moorage made: another shop on the same PayPal app captures its own.
            order_id = str(resource.get("id", ""))
            if not self._made_by_moorage(resource):
                return [GatewayEvent(event_id=event_id, kind=IGNORED, provider_ref=order_id, raw_type=event_type)]
            result = self.fetch_checkout(order_id)
            return [replace(result, event_id=event_id, raw_type=event_type)]
        if event_type in ("PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.PENDING"):
            return [self._capture_event(resource, event_id=event_id, raw_type=event_type)]
        if event_type == "PAYMENT.CAPTURE.REFUNDED":
            amount = resource.get("amount") or {}
            up = self._link(resource, "up")
            capture_id = up.rstrip("/").rsplit("/", 1)[-1] if "/captures/" in up else ""
            return [
                GatewayEvent(
                    event_id=event_id,
                    kind=REFUNDED,
                    reference=str(resource.get("custom_id", "")),
                    transaction_id=capture_id,
                    amount=_decimal(amount.get("value")),
                    currency=str(amount.get("currency_code", "")),
                    refund_id=str(resource.get("id", "")),
                    message=f"refund {resource.get('id', '')}",
                    raw_type=event_type,
                )
            ]
        return [GatewayEvent(event_id=event_id, kind=IGNORED, raw_type=event_type)]

    @staticmethod
    def _made_by_moorage(order: Mapping[str, Any]) -> bool:
        """Moorage's orders carry its reference as `custom_id` and end their `invoice_id` with it."""
        units = order.get("purchase_units") or []
        unit = units[0] if units and isinstance(units[0], dict) else {}
        custom_id = str(unit.get("custom_id", ""))
        return bool(custom_id) and str(unit.get("invoice_id", "")).endswith(f"-{custom_id}")

    def _verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """PayPal's scheme, checked here rather than by a call back to PayPal: RSA-SHA256 over
        `transmission id|transmission time|webhook id|CRC32 of the body`, with the key of the certificate
        at PAYPAL-CERT-URL (fetched only from PayPal, or from the configured API host, and cached)."""
        lower = {str(k).lower(): str(v) for k, v in headers.items()}
        transmission_id = lower.get("paypal-transmission-id", "")
        transmission_time = lower.get("paypal-transmission-time", "")
        signature = lower.get("paypal-transmission-sig", "")
        cert_url = lower.get("paypal-cert-url", "")
        webhook_id = self.setting("webhook_id")
        if not webhook_id:
            raise BadSignature("the PayPal webhook id is not configured")
        if not (transmission_id and transmission_time and signature and cert_url):
            raise BadSignature("PayPal signature headers are missing")
        if lower.get("paypal-auth-algo", "") != AUTH_ALGO:
            raise BadSignature("unexpected PayPal signature algorithm")
        if "|" in transmission_id or "|" in transmission_time:
            raise BadSignature("malformed PayPal transmission headers")
        key = self._cert_key(cert_url)
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()
        try:
            key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError) as exc:
            raise BadSignature() from exc

    def cert_url_allowed(self, url: str) -> bool:
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if not parts.path.startswith(CERT_PATH) or parts.query or parts.fragment or parts.username or parts.password:
            return False
        if ".." in parts.path:
            return False
        host = parts.hostname or ""
        if parts.scheme == "https" and port in (None, 443) and (host == "paypal.com" or host.endswith(".paypal.com")):
            return True
        base = urllib.parse.urlsplit(self.base_url())
        return (parts.scheme, host, port) == (base.scheme, base.hostname or "", base.port)

    def _cert_key(self, url: str) -> rsa.RSAPublicKey:
        if not self.cert_url_allowed(url):
            raise BadSignature("the PayPal certificate URL is not on PayPal's host")
        with _lock:
            key = _certs.get(url)
        if key is not None:
            return key  # type: ignore[no-any-return]
        try:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as http:
                response = http.get(url)
        except httpx.HTTPError as exc:
            raise GatewayError(f"could not fetch PayPal's signing certificate: {exc}", kind=TRANSIENT) from exc
        if response.status_code != 200 or len(response.content) > 64 * 1024:
            raise BadSignature("PayPal's signing certificate could not be fetched")
        try:
            cert = x509.load_pem_x509_certificate(response.content)
        except ValueError as exc:
            raise BadSignature("PayPal's signing certificate is not a PEM certificate") from exc
        now = dt.datetime.now(dt.UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise BadSignature("PayPal's signing certificate is not valid now")
        public_key = cert.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise BadSignature("PayPal's signing certificate has no RSA key")
        with _lock:
            if len(_certs) >= MAX_CERTS:
                _certs.clear()
            _certs[url] = public_key
        return public_key

    # -- Service Auto Payment -----------------------------------------------------------------------
    def charge_saved(self, request: ChargeRequest) -> ChargeResult:
        """Charge a vaulted PayPal wallet: an order with `payment_source.paypal.vault_id` completes at once."""
        currency = request.currency.upper()
        unit = {
            "reference_id": "default",
            "custom_id": request.reference[:127],
            "invoice_id": f"{request.invoice_number}-{request.reference}"[:127],
            "description": request.description[:127],
            "amount": {"currency_code": currency, "value": amount_string(request.amount, currency)},
        }
        try:
            order = self._call(
                "POST",
                "/v2/checkout/orders",
                body={
                    "intent": "CAPTURE",
                    "purchase_units": [unit],
                    "payment_source": {"paypal": {"vault_id": request.method.token}},
                },
                request_id=request.idempotency_key,
            )
        except _ApiFailure as exc:
            if exc.issue == "PAYER_ACTION_REQUIRED":
                return ChargeResult(status=ACTION_REQUIRED, message="PayPal needs the payer to approve this payment.")
            if exc.status == 422 and exc.issue in DECLINES:
                return ChargeResult(status=FAILED, message=DECLINES[exc.issue])
            raise
        if order.get("status") == "PAYER_ACTION_REQUIRED":
            return ChargeResult(status=ACTION_REQUIRED, message="PayPal needs the payer to approve this payment.")
        capture = self._first_capture(order)
        if capture is None:
            raise GatewayError(f"PayPal left the order {order.get('status')!r} without a capture", kind=UNKNOWN)
        event = self._capture_event(capture, event_id="", raw_type="charge")
        if event.kind == PAID:
            return ChargeResult(
                status=PAID, transaction_id=event.transaction_id, amount=event.amount, currency=event.currency
            )
        if event.kind == FAILED:
            return ChargeResult(status=FAILED, transaction_id=event.transaction_id, message=event.message)
        return ChargeResult(status=PENDING, transaction_id=event.transaction_id, message="PayPal holds the payment")

    # -- refunds ------------------------------------------------------------------------------------
    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        capture_id = _check_id(transaction_id, "capture")
        currency = currency.upper()
        refund = self._call(
            "POST",
            f"/v2/payments/captures/{capture_id}/refund",
            body={"amount": {"currency_code": currency, "value": amount_string(amount, currency)}},
            request_id=idempotency_key,
        )
        refunded = refund.get("amount") or {}
        value = _decimal(refunded.get("value"))
        return RefundResult(
            refund_id=str(refund.get("id", "")),
            status=PAID if refund.get("status") == "COMPLETED" else PENDING,
            amount=value if value is not None else amount,
            currency=str(refunded.get("currency_code", currency)),
        )
