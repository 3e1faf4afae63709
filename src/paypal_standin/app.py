"""The stand-in's PayPal: OAuth tokens, Orders v2, captures, refunds, vaulted PayPal wallets and the
webhook events they cause, kept in memory behind one lock. Transport-free: `handle` takes a request
and returns a `Reply`, so it can be tested without a socket."""

from __future__ import annotations

import base64
import datetime
import html
import json
import random
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .signing import AUTH_ALGO, Signer

# PayPal's currencies (its "Currency codes" page) and those it takes without decimals.
CURRENCIES = frozenset(
    {
        "AUD",
        "BRL",
        "CAD",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "HKD",
        "HUF",
        "ILS",
        "JPY",
        "MYR",
        "MXN",
        "TWD",
        "NZD",
        "NOK",
        "PHP",
        "PLN",
        "GBP",
        "SGD",
        "SEK",
        "CHF",
        "THB",
        "USD",
    }
)
ZERO_DECIMAL = frozenset({"HUF", "JPY", "TWD"})

# How a vaulted wallet behaves when charged later (set by tests: `PayPalStandin.set_vault_behaviour`).
VAULT_OK = "ok"
VAULT_DECLINE = "decline"  # the order completes with a DECLINED capture (PAYMENT.CAPTURE.DENIED)
VAULT_ACTION = "payer_action"  # 422 PAYER_ACTION_REQUIRED: the payer must come back

MESSAGES = {
    400: ("INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema."),
    401: (
        "AUTHENTICATION_FAILURE",
        "Authentication failed due to invalid authentication credentials or a missing Authorization header.",
    ),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    422: (
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed business validation.",
    ),
    500: ("INTERNAL_SERVER_ERROR", "An internal server error occurred."),
}

ISSUES = {
    "INSTRUMENT_DECLINED": "The instrument presented was either declined by the processor or bank, or it can't be "
    "used for this payment.",
    "ORDER_NOT_APPROVED": "Payer has not yet approved the Order for payment.",
    "ORDER_ALREADY_CAPTURED": "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
    "PAYER_ACTION_REQUIRED": "Transaction cannot complete successfully, instruct the buyer to return to PayPal.",
    "INVALID_RESOURCE_ID": "Specified resource ID does not exist. Please check the resource ID and try again.",
    "MISSING_REQUIRED_PARAMETER": "A required field / parameter is missing.",
    "INVALID_PARAMETER_VALUE": "The value of a field is invalid.",
    "INVALID_PARAMETER_SYNTAX": "The value of a field does not conform to the expected format.",
    "DECIMAL_PRECISION": "If the currency supports decimals, only two decimal place precision is supported.",
    "CURRENCY_NOT_SUPPORTED": "Currency code is not currently supported.",
    "REFUND_AMOUNT_EXCEEDED": "The refund amount must be less than or equal to the capture amount that has not yet "
    "been refunded.",
    "CAPTURE_FULLY_REFUNDED": "The capture has already been fully refunded.",
    "REFUND_CURRENCY_MISMATCH": "Refund must be in the same currency as the capture.",
    "PAYMENT_SOURCE_CANNOT_BE_USED": "The provided payment source cannot be used to pay for the order.",
    "MALFORMED_REQUEST_JSON": "The request JSON is not well formed.",
}


class ApiError(Exception):
    def __init__(
        self, status: int, issue: str = "", field_path: str = "", extra_links: list[dict[str, str]] | None = None
    ):
        super().__init__(issue)
        self.status = status
        self.issue = issue
        self.field_path = field_path
        self.extra_links = extra_links or []


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
        return cls(status, json.dumps(data, separators=(",", ":")).encode(), "application/json", headers or [])


@dataclass
class Event:
    """A webhook event PayPal would send: its id, type and the exact body that is signed."""

    id: str
    event_type: str
    body: bytes
    resource: dict[str, Any]
    deliveries: list[int] = field(default_factory=list)  # HTTP status of each delivery (0 = no answer)


@dataclass
class Fault:
    path_contains: str
    kind: str  # "500" (answer 500 before doing anything), "drop" (close the socket), "after" (do it, then 500)
    times: int = 1


class PayPal:
    """All state of the stand-in. Public attributes are read by tests; mutate only through methods."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        webhook_id: str,
        token_ttl: int = 32400,
        seed: int | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self.token_ttl = token_ttl
        self.lock = threading.RLock()
        self.rng = random.Random(seed)  # noqa: S311 - ids only, not secrets
        self.signer = Signer()
        self.cert_id = "CERT-360caa42-fca2a594-" + self._hex(8)
        self.time_offset = 0.0
        self.tokens: dict[str, float] = {}  # access token -> expiry (stand-in clock)
        self.token_requests = 0
        self.orders: dict[str, dict[str, Any]] = {}
        self.order_flags: dict[str, dict[str, Any]] = {}  # per order: decline, vault wanted, request ids
        self.captures: dict[str, dict[str, Any]] = {}
        self.capture_order: dict[str, str] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.vault: dict[str, dict[str, Any]] = {}  # vault id -> {customer_id, behaviour, payer}
        self.idempotent: dict[tuple[str, str], Reply] = {}  # (operation, PayPal-Request-Id) -> reply
        self.events: list[Event] = []
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of each API call, for tests
        self.base_url = ""  # set by the server once bound
        self.on_event: Any = None  # callable(Event) the server sets to deliver webhooks

    # -- ids and time -------------------------------------------------------------------------------
    def _id(self, n: int = 17) -> str:
        return "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXY") for _ in range(n))

    def _hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def now(self) -> float:
        return time.time() + self.time_offset

    def iso_now(self) -> str:
        return datetime.datetime.fromtimestamp(self.now(), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def cert_url(self) -> str:
        return f"{self.base_url}/v1/notifications/certs/{self.cert_id}"

    # -- dispatch -----------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one HTTP request; `headers` keys are lower case."""
        with self.lock:
            if path.startswith(("/v1/", "/v2/")):
                self.requests.append((method, path))
            try:
                return self._route(method, path, query, headers, body)
            except ApiError as exc:
                return self._error(exc)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path_contains in path and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _route(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = [p for p in path.split("/") if p]
        if method == "POST" and path == "/v1/oauth2/token":
            return self._token(headers, body)
        if method == "GET" and path.startswith("/v1/notifications/certs/"):
            if parts[-1] != self.cert_id:
                raise ApiError(404, "INVALID_RESOURCE_ID")
            return Reply(200, self.signer.cert_pem, "application/x-pem-file")
        if path in ("/checkoutnow", "/checkoutnow/"):
            if method == "GET":
                return self._approval_page(urllib.parse.parse_qs(query).get("token", [""])[0])
            if method == "POST":
                form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
                return self._approval_action(form.get("token", [""])[0], form.get("action", [""])[0])
        if not path.startswith(("/v1/", "/v2/")):
            return Reply(404, b"Not Found\n", "text/plain")
        self._authenticate(headers)
        payload = self._json(body) if method == "POST" else {}
        request_id = headers.get("paypal-request-id", "")
        match method, parts:
            case "POST", ["v2", "checkout", "orders"]:
                return self._idempotent("create", request_id, lambda: self._create_order(payload))
            case "GET", ["v2", "checkout", "orders", order_id]:
                return Reply.json(200, self._order(order_id))
            case "POST", ["v2", "checkout", "orders", order_id, "capture"]:
                key = request_id and f"{order_id}:{request_id}"
                return self._idempotent("capture", key, lambda: self._capture(order_id))
            case "GET", ["v2", "payments", "captures", capture_id]:
                return Reply.json(200, self._capture_row(capture_id))
            case "POST", ["v2", "payments", "captures", capture_id, "refund"]:
                key = request_id and f"{capture_id}:{request_id}"
                return self._idempotent("refund", key, lambda: self._refund(capture_id, payload))
            case "GET", ["v2", "payments", "refunds", refund_id]:
                if refund_id not in self.refunds:
                    raise ApiError(404, "INVALID_RESOURCE_ID")
                return Reply.json(200, self.refunds[refund_id])
            case "POST", ["v1", "notifications", "verify-webhook-signature"]:
                return Reply.json(200, {"verification_status": self._verify(payload)})
        raise ApiError(404, "INVALID_RESOURCE_ID")

    def _error(self, exc: ApiError) -> Reply:
        name, message = MESSAGES.get(exc.status, MESSAGES[400])
        if exc.status == 404 and exc.issue == "INVALID_RESOURCE_ID":
            message = "The specified resource does not exist."
        data: dict[str, Any] = {"name": name, "message": message, "debug_id": self._hex(13)}
        if exc.issue and exc.status != 401:
            detail = {"issue": exc.issue, "description": ISSUES.get(exc.issue, exc.issue)}
            if exc.field_path:
                detail["field"] = exc.field_path
                detail["location"] = "body"
            data["details"] = [detail]
        data["links"] = [
            {
                "href": f"https://developer.paypal.com/api/rest/reference/orders/v2/errors/#{exc.issue or name}",
                "rel": "information_link",
                "method": "GET",
            },
            *exc.extra_links,
        ]
        return Reply.json(exc.status, data)

    def _json(self, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "MALFORMED_REQUEST_JSON") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "MALFORMED_REQUEST_JSON")
        return data

    def _idempotent(self, operation: str, key: str, action: Callable[[], Reply]) -> Reply:
        """PayPal-Request-Id: the same id answers the first reply again instead of acting twice."""
        if key and (operation, key) in self.idempotent:
            return self.idempotent[(operation, key)]
        try:
            reply = action()
        except ApiError as exc:
            reply = self._error(exc)
        if key and reply.status < 500:
            self.idempotent[(operation, key)] = reply
        return reply

    # -- OAuth --------------------------------------------------------------------------------------
    def _token(self, headers: dict[str, str], body: bytes) -> Reply:
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except ValueError:
            user = password = ""
        if scheme.lower() != "basic" or (user, password) != (self.client_id, self.client_secret):
            return Reply.json(401, {"error": "invalid_client", "error_description": "Client Authentication failed"})
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            return Reply.json(400, {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"})
        self.token_requests += 1
        token = "A21AA" + self._id(40)
        self.tokens[token] = self.now() + self.token_ttl
        return Reply.json(
            200,
            {
                "scope": "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/vault",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": self.token_ttl,
                "nonce": self.iso_now() + self._hex(20),
            },
        )

    def _authenticate(self, headers: dict[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        expiry = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if expiry is None or expiry <= self.now():
            raise ApiError(401)

    # -- orders -------------------------------------------------------------------------------------
    def _amount(self, data: Any, where: str) -> tuple[Decimal, str]:
        if not isinstance(data, dict) or "currency_code" not in data or "value" not in data:
            raise ApiError(400, "MISSING_REQUIRED_PARAMETER", where)
        currency, value = data["currency_code"], data["value"]
        if not isinstance(currency, str) or currency not in CURRENCIES:
            raise ApiError(422, "CURRENCY_NOT_SUPPORTED", f"{where}/currency_code")
        if not isinstance(value, str):
            raise ApiError(400, "INVALID_PARAMETER_SYNTAX", f"{where}/value")
        try:
            amount = Decimal(value)
        except InvalidOperation as exc:
            raise ApiError(400, "INVALID_PARAMETER_SYNTAX", f"{where}/value") from exc
        if not amount.is_finite() or amount <= 0:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"{where}/value")
        places = 0 if currency in ZERO_DECIMAL else 2
        if amount != amount.quantize(Decimal(1).scaleb(-places)) or (
            "." in value and len(value.split(".")[1]) > places
        ):
            raise ApiError(422, "DECIMAL_PRECISION", f"{where}/value")
        return amount, currency

    def _create_order(self, payload: dict[str, Any]) -> Reply:
        if payload.get("intent") != "CAPTURE":
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "/intent")
        units = payload.get("purchase_units")
        if not isinstance(units, list) or len(units) != 1 or not isinstance(units[0], dict):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "/purchase_units")
        unit = units[0]
        amount, currency = self._amount(unit.get("amount"), "/purchase_units/@reference_id=='default'/amount")
        source = payload.get("payment_source") or {}
        paypal = source.get("paypal") if isinstance(source, dict) else None
        paypal = paypal if isinstance(paypal, dict) else {}
        order_id = self._id()
        stored_unit = {
            "reference_id": str(unit.get("reference_id") or "default"),
            "amount": {"currency_code": currency, "value": unit["amount"]["value"]},
            "payee": {"email_address": "merchant@standin.paypal.invalid", "merchant_id": "STANDINMERCHANT"},
        }
        for key in ("custom_id", "invoice_id", "description", "soft_descriptor"):
            if isinstance(unit.get(key), str):
                stored_unit[key] = unit[key]
        order: dict[str, Any] = {
            "id": order_id,
            "intent": "CAPTURE",
            "status": "CREATED",
            "purchase_units": [stored_unit],
            "create_time": self.iso_now(),
            "links": [],
        }
        flags: dict[str, Any] = {"decline": False, "vault": False, "amount": amount, "currency": currency}
        self.order_flags[order_id] = flags
        self.orders[order_id] = order
        if paypal.get("vault_id"):
            return self._charge_vault(order, str(paypal["vault_id"]))
        context = paypal.get("experience_context") or payload.get("application_context") or {}
        for key in ("return_url", "cancel_url"):
            url = context.get(key) if isinstance(context, dict) else None
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                del self.orders[order_id]
                raise ApiError(400, "MISSING_REQUIRED_PARAMETER", f"/payment_source/paypal/experience_context/{key}")
            flags[key] = url
        if isinstance(context, dict) and isinstance(context.get("locale"), str):
            flags["locale"] = context["locale"]
        vault = ((paypal.get("attributes") or {}).get("vault") or {}) if paypal else {}
        flags["vault"] = isinstance(vault, dict) and vault.get("store_in_vault") == "ON_SUCCESS"
        approve = f"{self.base_url}/checkoutnow?token={order_id}"
        self_link = {"href": f"{self.base_url}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"}
        if paypal:
            order["status"] = "PAYER_ACTION_REQUIRED"
            order["payment_source"] = {"paypal": {}}
            order["links"] = [self_link, {"href": approve, "rel": "payer-action", "method": "GET"}]
        else:
            order["links"] = [
                self_link,
                {"href": approve, "rel": "approve", "method": "GET"},
                {"href": f"{self_link['href']}/capture", "rel": "capture", "method": "POST"},
            ]
        return Reply.json(201, order)

    def _order(self, order_id: str) -> dict[str, Any]:
        if order_id not in self.orders:
            raise ApiError(404, "INVALID_RESOURCE_ID")
        return self.orders[order_id]

    def _payer(self) -> dict[str, Any]:
        return {
            "name": {"given_name": "Stand", "surname": "In"},
            "email_address": "buyer@standin.paypal.invalid",
            "payer_id": "PAYER" + self._id(8),
            "address": {"country_code": "DE"},
        }

    def approve(self, order_id: str, *, decline: bool = False) -> str:
        """What "Pay now" (or the declined card) does; returns the URL the browser is sent back to."""
        with self.lock:
            order = self._order(order_id)
            flags = self.order_flags[order_id]
            if order["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"):
                raise ApiError(422, "ORDER_ALREADY_CAPTURED")
            payer = self._payer()
            order["status"] = "APPROVED"
            order["payer"] = payer
            order.setdefault("payment_source", {})["paypal"] = {
                "email_address": payer["email_address"],
                "account_id": payer["payer_id"],
                "name": payer["name"],
            }
            flags["decline"] = decline
            self._emit("CHECKOUT.ORDER.APPROVED", "checkout-order", order, "An order has been approved by buyer")
            query = urllib.parse.urlencode({"token": order_id, "PayerID": payer["payer_id"]})
            return _add_query(flags["return_url"], query)

    def cancel(self, order_id: str) -> str:
        with self.lock:
            self._order(order_id)
            return _add_query(self.order_flags[order_id]["cancel_url"], urllib.parse.urlencode({"token": order_id}))

    def _new_capture(self, order: dict[str, Any], status: str) -> dict[str, Any]:
        unit = order["purchase_units"][0]
        capture_id = self._id()
        link = f"{self.base_url}/v2/payments/captures/{capture_id}"
        capture: dict[str, Any] = {
            "id": capture_id,
            "status": status,
            "amount": dict(unit["amount"]),
            "final_capture": True,
            "seller_protection": {"status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED"]},
            "create_time": self.iso_now(),
            "update_time": self.iso_now(),
            "supplementary_data": {"related_ids": {"order_id": order["id"]}},
            "links": [
                {"href": link, "rel": "self", "method": "GET"},
                {"href": f"{link}/refund", "rel": "refund", "method": "POST"},
                {"href": f"{self.base_url}/v2/checkout/orders/{order['id']}", "rel": "up", "method": "GET"},
            ],
        }
        if status == "DECLINED":
            capture["status_details"] = {"reason": "DECLINED_BY_RISK_FRAUD_FILTERS"}
        for key in ("custom_id", "invoice_id"):
            if key in unit:
                capture[key] = unit[key]
        self.captures[capture_id] = capture
        self.capture_order[capture_id] = order["id"]
        unit["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        order["update_time"] = self.iso_now()
        if status == "COMPLETED":
            self._emit("PAYMENT.CAPTURE.COMPLETED", "capture", capture, "Payment completed")
        else:
            self._emit("PAYMENT.CAPTURE.DENIED", "capture", capture, "A payment capture was denied")
        return capture

    def _capture(self, order_id: str) -> Reply:
        order = self._order(order_id)
        flags = self.order_flags[order_id]
        if order["status"] == "COMPLETED":
            raise ApiError(422, "ORDER_ALREADY_CAPTURED")
        if order["status"] != "APPROVED":
            raise ApiError(422, "ORDER_NOT_APPROVED")
        if flags["decline"]:
            raise ApiError(
                422,
                "INSTRUMENT_DECLINED",
                extra_links=[
                    {"href": f"{self.base_url}/checkoutnow?token={order_id}", "rel": "redirect", "method": "GET"}
                ],
            )
        if flags["vault"]:
            vault_id = self._hex(7)
            customer_id = self._id(10)
            self.vault[vault_id] = {"customer_id": customer_id, "behaviour": VAULT_OK, "payer": order["payer"]}
            order["payment_source"]["paypal"]["attributes"] = {
                "vault": {
                    "id": vault_id,
                    "status": "VAULTED",
                    "customer": {"id": customer_id},
                    "links": [
                        {
                            "href": f"{self.base_url}/v3/vault/payment-tokens/{vault_id}",
                            "rel": "self",
                            "method": "GET",
                        }
                    ],
                }
            }
        self._new_capture(order, "COMPLETED")
        return Reply.json(201, order)

    def _charge_vault(self, order: dict[str, Any], vault_id: str) -> Reply:
        token = self.vault.get(vault_id)
        if token is None:
            del self.orders[order["id"]]
            raise ApiError(422, "PAYMENT_SOURCE_CANNOT_BE_USED", "/payment_source/paypal/vault_id")
        if token["behaviour"] == VAULT_ACTION:
            del self.orders[order["id"]]
            raise ApiError(422, "PAYER_ACTION_REQUIRED")
        order["payer"] = token["payer"]
        order["payment_source"] = {
            "paypal": {
                "email_address": token["payer"]["email_address"],
                "account_id": token["payer"]["payer_id"],
                "attributes": {"vault": {"id": vault_id, "customer": {"id": token["customer_id"]}}},
            }
        }
        self._new_capture(order, "DECLINED" if token["behaviour"] == VAULT_DECLINE else "COMPLETED")
        order["links"] = [{"href": f"{self.base_url}/v2/checkout/orders/{order['id']}", "rel": "self", "method": "GET"}]
        return Reply.json(201, order)

    def _capture_row(self, capture_id: str) -> dict[str, Any]:
        if capture_id not in self.captures:
            raise ApiError(404, "INVALID_RESOURCE_ID")
        return self.captures[capture_id]

    # -- refunds ------------------------------------------------------------------------------------
    def _refund(self, capture_id: str, payload: dict[str, Any]) -> Reply:
        capture = self._capture_row(capture_id)
        if capture["status"] == "REFUNDED":
            raise ApiError(422, "CAPTURE_FULLY_REFUNDED")
        if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            raise ApiError(422, "INVALID_RESOURCE_ID")
        captured = Decimal(capture["amount"]["value"])
        currency = capture["amount"]["currency_code"]
        refunded = sum(
            (Decimal(r["amount"]["value"]) for r in self.refunds.values() if r["_capture"] == capture_id),
            Decimal(0),
        )
        remaining = captured - refunded
        if payload.get("amount") is not None:
            amount, refund_currency = self._amount(payload["amount"], "/amount")
            if refund_currency != currency:
                raise ApiError(422, "REFUND_CURRENCY_MISMATCH", "/amount/currency_code")
            if amount > remaining:
                raise ApiError(422, "REFUND_AMOUNT_EXCEEDED", "/amount/value")
        else:
            amount = remaining
        places = Decimal(1) if currency in ZERO_DECIMAL else Decimal("0.01")
        refund_id = self._id()
        link = f"{self.base_url}/v2/payments/refunds/{refund_id}"
        refund: dict[str, Any] = {
            "id": refund_id,
            "status": "COMPLETED",
            "amount": {"currency_code": currency, "value": str(amount.quantize(places))},
            "create_time": self.iso_now(),
            "update_time": self.iso_now(),
            "links": [
                {"href": link, "rel": "self", "method": "GET"},
                {"href": f"{self.base_url}/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"},
            ],
            "_capture": capture_id,
        }
        for key in ("invoice_id", "custom_id", "note_to_payer"):
            if isinstance(payload.get(key), str):
                refund[key] = payload[key]
        self.refunds[refund_id] = refund
        capture["status"] = "REFUNDED" if amount == remaining else "PARTIALLY_REFUNDED"
        capture["update_time"] = self.iso_now()
        public = {k: v for k, v in refund.items() if not k.startswith("_")}
        self._emit("PAYMENT.CAPTURE.REFUNDED", "refund", public, "A capture payment was refunded")
        return Reply.json(201, public)

    # -- the approval page --------------------------------------------------------------------------
    def _approval_page(self, order_id: str) -> Reply:
        order = self.orders.get(order_id)
        if order is None or order_id not in self.order_flags or "return_url" not in self.order_flags[order_id]:
            return Reply(404, b"<!doctype html><title>Not found</title><p>No such checkout.</p>", "text/html")
        unit = order["purchase_units"][0]
        amount = f"{unit['amount']['value']} {unit['amount']['currency_code']}"
        token = html.escape(order_id)
        buttons = "".join(
            f'<button type="submit" name="action" value="{value}" id="{value}">{label}</button> '
            for value, label in (
                ("pay", "Pay now"),
                ("decline", "Pay with a card that is declined"),
                ("cancel", "Cancel"),
            )
        )
        page = (
            "<!doctype html><html><head><meta charset=utf-8><title>PayPal stand-in: pay</title></head><body>"
            "<h1>PayPal (stand-in)</h1>"
            f"<p>Pay <strong id=amount>{html.escape(amount)}</strong> for "
            f"{html.escape(unit.get('description', ''))} (status {html.escape(order['status'])})</p>"
            f'<form method="post" action="/checkoutnow"><input type="hidden" name="token" value="{token}">'
            f"{buttons}</form></body></html>"
        )
        return Reply(200, page.encode(), "text/html; charset=utf-8")

    def _approval_action(self, order_id: str, action: str) -> Reply:
        if order_id not in self.orders or "return_url" not in self.order_flags.get(order_id, {}):
            return Reply(404, b"No such checkout.\n", "text/plain")
        if action == "cancel":
            target = self.cancel(order_id)
        elif action in ("pay", "decline"):
            try:
                target = self.approve(order_id, decline=action == "decline")
            except ApiError:
                return Reply(409, b"This order was already paid.\n", "text/plain")
        else:
            return Reply(400, b"Unknown action.\n", "text/plain")
        return Reply(303, b"", "text/plain", [("Location", target)])

    # -- webhooks -----------------------------------------------------------------------------------
    def _emit(self, event_type: str, resource_type: str, resource: dict[str, Any], summary: str) -> Event:
        event_id = f"WH-{self._id()}-{self._id()}"
        data = {
            "id": event_id,
            "event_version": "1.0",
            "create_time": self.iso_now(),
            "resource_type": resource_type,
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": summary,
            "resource": json.loads(json.dumps(resource)),
            "links": [
                {
                    "href": f"{self.base_url}/v1/notifications/webhooks-events/{event_id}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"{self.base_url}/v1/notifications/webhooks-events/{event_id}/resend",
                    "rel": "resend",
                    "method": "POST",
                },
            ],
        }
        event = Event(event_id, event_type, json.dumps(data, separators=(",", ":")).encode(), data["resource"])
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def signed_headers(self, body: bytes, *, webhook_id: str | None = None) -> dict[str, str]:
        """Fresh PayPal headers for a delivery of `body` (each retry is a new transmission)."""
        transmission_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        transmission_time = self.iso_now()
        signature = self.signer.sign(transmission_id, transmission_time, webhook_id or self.webhook_id, body)
        return {
            "Content-Type": "application/json",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
            "PAYPAL-TRANSMISSION-SIG": signature,
            "PAYPAL-CERT-URL": self.cert_url,
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
        }

    def _verify(self, payload: dict[str, Any]) -> str:
        """`POST /v1/notifications/verify-webhook-signature`: the body PayPal checks is the event it sent."""
        event = payload.get("webhook_event")
        event_id = event.get("id") if isinstance(event, dict) else None
        stored = next((e for e in self.events if e.id == event_id), None)
        if stored is None or json.loads(stored.body) != event:
            return "FAILURE"
        if payload.get("auth_algo") != AUTH_ALGO or payload.get("cert_url") != self.cert_url:
            return "FAILURE"
        ok = self.signer.verify(
            str(payload.get("transmission_sig", "")),
            str(payload.get("transmission_id", "")),
            str(payload.get("transmission_time", "")),
            str(payload.get("webhook_id", "")),
            stored.body,
        )
        return "SUCCESS" if ok else "FAILURE"


def _add_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"
