"""The stand-in's state and rules: customers, Checkout Sessions, PaymentIntents, charges, refunds,
payment methods and the events they raise, answered the way Stripe's API answers (objects, errors)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .forms import FormError, as_bool, as_int, as_list

API_VERSION = "2025-01-27.acacia"

# Stripe's test cards: number -> (brand, behaviour, decline code).
#   succeed     every charge succeeds
#   decline     every charge is declined with the decline code
#   3ds_setup   on-session charges need 3-D Secure; once saved with setup_future_usage off-session ones succeed
#   3ds_always  every charge needs 3-D Secure; off-session ones fail with authentication_required
TEST_CARDS: dict[str, tuple[str, str, str]] = {
    "4242424242424242": ("visa", "succeed", ""),
    "5555555555554444": ("mastercard", "succeed", ""),
    "4000000000000002": ("visa", "decline", "generic_decline"),
    "4000000000009995": ("visa", "decline", "insufficient_funds"),
    "4000002500003155": ("visa", "3ds_setup", ""),
    "4000002760003184": ("visa", "3ds_always", ""),
}
# Stripe's test payment method tokens usable directly as `payment_method`.
TEST_TOKENS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_authenticationRequired": "4000002760003184",
}
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
    "expired_card": "Your card has expired.",
}
ZERO_DECIMAL = {
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
}  # fmt: skip
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
PREFIXES = {
    "cus": "customer",
    "cs": "checkout.session",
    "pi": "payment_intent",
    "pm": "payment_method",
    "ch": "charge",
    "re": "refund",
    "evt": "event",
}


def exponent(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def format_amount(minor: int, currency: str) -> str:
    exp = exponent(currency)
    if exp == 0:
        return f"{minor} {currency.upper()}"
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d} {currency.upper()}"


class ApiError(Exception):
    """An error answered as Stripe does: `{"error": {...}}` with its HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # noqa: A002 - Stripe's field name
        code: str = "",
        param: str = "",
        decline_code: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type, "message": message}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        if decline_code:
            self.body["decline_code"] = decline_code
        self.body.update(extra or {})

    def json(self) -> dict[str, Any]:
        return {"error": self.body}


def _missing(kind: str, object_id: str, param: str = "id") -> ApiError:
    return ApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


@dataclass
class Outcome:
    """What a hosted-page action leads to: a redirect or a page to show (with an error, or 3-D Secure)."""

    kind: str  # "redirect", "form" (card form, maybe with an error), "authenticate", "closed"
    location: str = ""
    error: str = ""


@dataclass
class Endpoint:
    url: str
    secret: str
    enabled_events: list[str] = field(default_factory=lambda: ["*"])

    def wants(self, event_type: str) -> bool:
        return "*" in self.enabled_events or event_type in self.enabled_events


class Stripe:
    """All objects of one stand-in account, guarded by one lock (requests are applied one at a time)."""

    def __init__(self, secret_key: str, publishable_key: str = "") -> None:
        self.secret_key = secret_key
        self.publishable_key = publishable_key or "pk_test_" + secret_key.removeprefix("sk_test_")
        self.lock = threading.RLock()
        self.clock_offset = 0
        self.public_url = ""
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.objects: dict[str, dict[str, Any]] = {}
            self.events: list[dict[str, Any]] = []
            self.outbox: list[str] = []  # event ids raised since the last drain
            self.idempotency: dict[str, tuple[str, int, dict[str, Any]]] = {}
            self.requests: list[tuple[str, str]] = []  # (method, path) of every API call, for tests
            self.faults: list[tuple[str, int]] = []  # ("before"|"after", status or 0 = drop)

    # -- clock, ids ---------------------------------------------------------------------
    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    def advance_time(self, seconds: int) -> None:
        with self.lock:
            self.clock_offset += int(seconds)

    def _id(self, prefix: str) -> str:
        token = uuid.uuid4().hex[:24]
        return f"{prefix}_test_{token}" if prefix == "cs" else f"{prefix}_{token}"

    def get(self, object_id: str, kind: str | None = None) -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or (kind is not None and obj["object"] != kind):
            raise _missing(kind or PREFIXES.get(object_id.split("_", 1)[0], "object"), object_id)
        return obj

    @staticmethod
    def public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    def expand(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        data = self.public(obj)
        for path in paths:
            self._expand_path(data, str(path).split("."))
        return data

    def _expand_path(self, node: dict[str, Any], parts: list[str]) -> None:
        head, rest = parts[0], parts[1:]
        value = node.get(head)
        if isinstance(value, str) and value in self.objects:
            value = node[head] = self.public(self.objects[value])
        if rest and isinstance(value, dict):
            self._expand_path(value, rest)

    # -- events -------------------------------------------------------------------------
    def emit(self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": self._id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": {"object": self.public(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if previous:
            event["data"]["previous_attributes"] = previous
        self.objects[event["id"]] = event
        self.events.append(event)
        self.outbox.append(event["id"])
        return event

    def drain(self) -> list[str]:
        with self.lock:
            ids, self.outbox = self.outbox, []
            return ids

    # -- the API ------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """One API request (params already decoded) -> (status, JSON body, extra headers)."""
        request_id = "req_" + uuid.uuid4().hex[:14]
        out_headers = [("Request-Id", request_id), ("Stripe-Version", headers.get("stripe-version") or API_VERSION)]
        auth = headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not key:
            err = ApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
            return err.status, err.json(), out_headers
        if key != self.secret_key:
            masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:]
            err = ApiError(401, f"Invalid API Key provided: {masked}", code="api_key_invalid")
            return err.status, err.json(), out_headers
        idem_key = headers.get("idempotency-key", "")
        with self.lock:
            self.requests.append((method, path))
            fingerprint = hashlib.sha256(
                json.dumps([method, path, params], sort_keys=True, default=str).encode()
            ).hexdigest()
            if method == "POST" and idem_key:
                out_headers.append(("Idempotency-Key", idem_key))
                seen = self.idempotency.get(idem_key)
                if seen is not None:
                    if seen[0] != fingerprint:
                        err = ApiError(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters they were "
                            f"first used with. Try using a key other than '{idem_key}' if you meant to execute "
                            "a different request.",
                            type="idempotency_error",
                        )
                        return err.status, err.json(), out_headers
                    return seen[1], copy.deepcopy(seen[2]), [*out_headers, ("Idempotent-Replayed", "true")]
            try:
                status, body = 200, self._route(method, path, params)
            except ApiError as exc:
                status, body = exc.status, exc.json()
            except FormError as exc:
                status, body = 400, ApiError(400, exc.message, param=exc.param).json()
            if method == "POST" and idem_key and status < 500:
                self.idempotency[idem_key] = (fingerprint, status, copy.deepcopy(body))
            return status, body, out_headers

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "v1":
            raise ApiError(404, f"Unrecognized request URL ({method}: {path}).")
        parts = parts[1:]
        expand = [str(p) for p in as_list(params.pop("expand", None))]
        routes: list[tuple[str, str, Any]] = [
            ("POST", "customers", self.customer_create),
            ("GET", "customers/*", lambda p, i: self.get(i, "customer")),
            ("POST", "checkout/sessions", self.session_create),
            ("GET", "checkout/sessions/*", lambda p, i: self.get(i, "checkout.session")),
            ("POST", "checkout/sessions/*/expire", self.session_expire),
            ("POST", "payment_intents", self.payment_intent_create),
            ("GET", "payment_intents/*", lambda p, i: self.get(i, "payment_intent")),
            ("GET", "payment_methods/*", lambda p, i: self.get(i, "payment_method")),
            ("GET", "charges/*", lambda p, i: self.get(i, "charge")),
            ("POST", "refunds", self.refund_create),
            ("GET", "refunds", self.refund_list),
            ("GET", "refunds/*", lambda p, i: self.get(i, "refund")),
            ("GET", "events/*", lambda p, i: self.get(i, "event")),
        ]
        for route_method, pattern, handler in routes:
            pattern_parts = pattern.split("/")
            if route_method != method or len(pattern_parts) != len(parts):
                continue
            ids = [part for pat, part in zip(pattern_parts, parts, strict=True) if pat == "*"]
            if all(pat in ("*", part) for pat, part in zip(pattern_parts, parts, strict=True)):
                obj = handler(params, *ids)
                return self.expand(obj, expand)
        raise ApiError(404, f"Unrecognized request URL ({method}: /{'/'.join(['v1', *parts])}).")

    # -- customers ------------------------------------------------------------------------
    def customer_create(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, "customer_create")
        customer = {
            "id": self._id("cus"),
            "object": "customer",
            "created": self.now(),
            "email": params.get("email") or None,
            "name": params.get("name") or None,
            "description": params.get("description") or None,
            "invoice_settings": {"default_payment_method": None},
            "livemode": False,
            "metadata": _metadata(params.get("metadata")),
        }
        self.objects[customer["id"]] = customer
        return customer

    # -- checkout sessions ------------------------------------------------------------------
    def session_create(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, "session_create")
        if params.get("mode") != "payment":
            raise ApiError(400, "This stand-in supports only mode=payment.", param="mode")
        success_url = str(params.get("success_url") or "")
        if not success_url:
            raise ApiError(400, "Missing required param: success_url.", code="parameter_missing", param="success_url")
        items = as_list(params.get("line_items"))
        if not items:
            raise ApiError(400, "Missing required param: line_items.", code="parameter_missing", param="line_items")
        currency, total, lines = "", 0, []
        for i, item in enumerate(items):
            price = item.get("price_data") if isinstance(item, dict) else None
            if not isinstance(price, dict):
                raise ApiError(400, "Only line_items[][price_data] is supported.", param=f"line_items[{i}]")
            item_currency = str(price.get("currency", "")).lower()
            if not re.fullmatch(r"[a-z]{3}", item_currency):
                raise ApiError(400, "Invalid currency.", param=f"line_items[{i}][price_data][currency]")
            if currency and item_currency != currency:
                raise ApiError(400, "All line items must use the same currency.", param="line_items")
            currency = item_currency
            unit = as_int(price.get("unit_amount"), f"line_items[{i}][price_data][unit_amount]")
            quantity = as_int(item.get("quantity", 1), f"line_items[{i}][quantity]")
            if unit < 0 or quantity < 1:
                raise ApiError(400, "Invalid amount or quantity.", param=f"line_items[{i}]")
            if exponent(currency) == 3 and unit % 10:
                raise ApiError(400, "Amounts in this currency must end in 0.", param=f"line_items[{i}]")
            name = str((price.get("product_data") or {}).get("name") or "")
            if not name:
                raise ApiError(400, "Missing product name.", code="parameter_missing", param=f"line_items[{i}]")
            lines.append({"name": name, "unit_amount": unit, "quantity": quantity})
            total += unit * quantity
        customer_id = params.get("customer") or None
        if customer_id:
            self.get(customer_id, "customer")
        pi_data = params.get("payment_intent_data") or {}
        setup = pi_data.get("setup_future_usage") or None
        if setup not in (None, "off_session", "on_session"):
            raise ApiError(400, "Invalid setup_future_usage.", param="payment_intent_data[setup_future_usage]")
        session_id = self._id("cs")
        now = self.now()
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url") or None,
            "client_reference_id": params.get("client_reference_id") or None,
            "created": now,
            "currency": currency,
            "customer": customer_id,
            "customer_creation": None if customer_id else (params.get("customer_creation") or "if_required"),
            "customer_details": None,
            "customer_email": params.get("customer_email") or None,
            "expires_at": as_int(params["expires_at"], "expires_at") if params.get("expires_at") else now + 86400,
            "livemode": False,
            "locale": params.get("locale") or None,
            "metadata": _metadata(params.get("metadata")),
            "mode": "payment",
            "payment_intent": None,
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": success_url,
            "url": f"{self.public_url}/pay/{session_id}",
            "_lines": lines,
            "_pi_data": {
                "metadata": _metadata(pi_data.get("metadata")),
                "description": pi_data.get("description") or None,
                "setup_future_usage": setup,
            },
        }
        self.objects[session_id] = session
        return session

    def session_expire(self, params: dict[str, Any], session_id: str) -> dict[str, Any]:
        session = self.get(session_id, "checkout.session")
        if session["status"] != "open":
            raise ApiError(
                400,
                f'Only Checkout Sessions with a status in ["open"] can be expired; this one is {session["status"]}.',
            )
        self._expire(session)
        return session

    def _expire(self, session: dict[str, Any]) -> None:
        session["status"] = "expired"
        session["url"] = None
        self.emit("checkout.session.expired", session)

    def _open_session(self, session_id: str) -> dict[str, Any]:
        session = self.get(session_id, "checkout.session")
        if session["status"] == "open" and self.now() > session["expires_at"]:
            self._expire(session)
        return session

    # -- the hosted page's actions -----------------------------------------------------------
    def session_view(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            session = self._open_session(session_id)
            view = self.public(session)
            view["lines"] = copy.deepcopy(session["_lines"])
            view["save_card"] = session["_pi_data"]["setup_future_usage"] == "off_session"
            view["description"] = session["_pi_data"]["description"]
            return view

    def session_pay(
        self, session_id: str, *, number: str, exp: str = "12/34", cvc: str = "123", name: str = ""
    ) -> Outcome:
        """The client submits the card form of the hosted page."""
        with self.lock:
            session = self._open_session(session_id)
            if session["status"] != "open":
                return Outcome("closed")
            number = re.sub(r"\D", "", number)
            if number not in TEST_CARDS:
                if not _luhn(number):
                    return Outcome("form", error="Your card number is incorrect.")
                return Outcome(
                    "form", error="Your card was declined. Your request was in test mode, but used a non test card."
                )
            match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", exp)
            if not match or not 1 <= int(match.group(1)) <= 12:
                return Outcome("form", error="Your card's expiration date is incomplete.")
            month, year = int(match.group(1)), int(match.group(2))
            year = year + 2000 if year < 100 else year
            current = time.gmtime(self.now())
            if (year, month) < (current.tm_year, current.tm_mon):
                return Outcome("form", error="Your card's expiration year is in the past.")
            if not re.fullmatch(r"\d{3,4}", cvc.strip()):
                return Outcome("form", error="Your card's security code is incomplete.")
            pi = self._session_intent(session)
            pm = self._new_payment_method(number, month, year, name=name, email=session["customer_email"])
            pi["payment_method"] = pm["id"]
            result = self._attempt(pi, pm, off_session=False)
            return self._after_attempt(session, pi, result)

    def session_authenticate(self, session_id: str, *, approve: bool) -> Outcome:
        """The client passes (or fails) the 3-D Secure step of the hosted page."""
        with self.lock:
            session = self._open_session(session_id)
            if session["status"] != "open":
                return Outcome("closed")
            pi = self.objects.get(session["payment_intent"] or "")
            if pi is None or pi["status"] != "requires_action":
                return Outcome("form")
            pm = self.objects[pi["payment_method"]]
            if approve:
                pm["_authenticated"] = True
                result = self._attempt(pi, pm, off_session=False, authenticated=True)
            else:
                pi["next_action"] = None
                result = self._fail(
                    pi,
                    pm,
                    code="payment_intent_authentication_failure",
                    message="We are unable to authenticate your payment method. Please choose a different payment "
                    "method and try again.",
                    error_type="invalid_request_error",
                )
            return self._after_attempt(session, pi, result)

    def _session_intent(self, session: dict[str, Any]) -> dict[str, Any]:
        if session["payment_intent"]:
            return self.objects[session["payment_intent"]]
        data = session["_pi_data"]
        pi = self._new_intent(
            amount=session["amount_total"],
            currency=session["currency"],
            customer=session["customer"],
            metadata=copy.deepcopy(data["metadata"]),
            description=data["description"],
            setup_future_usage=data["setup_future_usage"],
        )
        session["payment_intent"] = pi["id"]
        return pi

    def _after_attempt(self, session: dict[str, Any], pi: dict[str, Any], result: str) -> Outcome:
        if result == "action":
            return Outcome("authenticate")
        if result == "failed":
            return Outcome("form", error=(pi["last_payment_error"] or {}).get("message", "Your card was declined."))
        pm = self.objects[pi["payment_method"]]
        if session["customer"] is None and (
            session["customer_creation"] == "always" or session["_pi_data"]["setup_future_usage"]
        ):
            customer = self.customer_create({"email": session["customer_email"] or ""})
            session["customer"] = pi["customer"] = customer["id"]
            self.objects[pi["latest_charge"]]["customer"] = customer["id"]
            if pi["setup_future_usage"]:
                pm["customer"] = customer["id"]
        session["status"] = "complete"
        session["payment_status"] = "paid"
        session["url"] = None
        session["customer_details"] = {"email": session["customer_email"], "name": pm["billing_details"]["name"]}
        self.emit("payment_intent.succeeded", pi)
        self.emit("checkout.session.completed", session)
        return Outcome("redirect", location=session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))

    # -- payment intents ---------------------------------------------------------------------
    def _new_intent(self, **fields: Any) -> dict[str, Any]:
        pi_id = self._id("pi")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": fields["amount"],
            "amount_capturable": 0,
            "amount_received": 0,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{pi_id}_secret_{uuid.uuid4().hex[:20]}",
            "confirmation_method": "automatic",
            "created": self.now(),
            "currency": fields["currency"],
            "customer": fields.get("customer"),
            "description": fields.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": fields.get("metadata") or {},
            "next_action": None,
            "payment_method": None,
            "payment_method_types": ["card"],
            "setup_future_usage": fields.get("setup_future_usage"),
            "status": "requires_payment_method",
        }
        self.objects[pi_id] = pi
        return pi

    def payment_intent_create(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, "payment_intent_create")
        amount = as_int(params.get("amount"), "amount")
        currency = str(params.get("currency") or "").lower()
        if amount < 1:
            raise ApiError(400, "Amount must be at least 1.", code="parameter_invalid_integer", param="amount")
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise ApiError(400, "Missing required param: currency.", code="parameter_missing", param="currency")
        customer = params.get("customer") or None
        if customer:
            self.get(customer, "customer")
        confirm = as_bool(params.get("confirm", False))
        off_session = as_bool(params.get("off_session", False))
        if off_session and not confirm:
            raise ApiError(400, "off_session can only be used when confirm=true.", param="off_session")
        pm = None
        pm_ref = params.get("payment_method") or ""
        if pm_ref:
            if pm_ref in TEST_TOKENS:
                pm = self._new_payment_method(TEST_TOKENS[pm_ref], 12, 2034)
                pm["customer"] = customer
            else:
                pm = self.get(pm_ref, "payment_method")
            if pm["customer"] and pm["customer"] != customer:
                raise ApiError(
                    400,
                    f"The provided PaymentMethod {pm['id']} belongs to a different Customer.",
                    param="payment_method",
                )
        if confirm and pm is None:
            raise ApiError(400, "You cannot confirm this PaymentIntent because it's missing a payment method.")
        pi = self._new_intent(
            amount=amount,
            currency=currency,
            customer=customer,
            metadata=_metadata(params.get("metadata")),
            description=params.get("description") or None,
            setup_future_usage=params.get("setup_future_usage") or None,
        )
        if pm is not None:
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        if confirm and pm is not None:
            result = self._attempt(pi, pm, off_session=off_session)
            if result == "failed":
                error = dict(pi["last_payment_error"])
                error["payment_intent"] = self.public(pi)
                raise ApiError(402, error.pop("message"), type=error.pop("type"), extra=error)
            if result == "paid":
                self.emit("payment_intent.succeeded", pi)
        return pi

    def _attempt(
        self, pi: dict[str, Any], pm: dict[str, Any], *, off_session: bool, authenticated: bool = False
    ) -> str:
        """Charge the intent's amount on the card: "paid", "failed" or "action" (3-D Secure needed)."""
        behaviour, decline_code = pm["_behaviour"], pm["_decline_code"]
        if behaviour == "decline":
            return self._fail(pi, pm, code="card_declined", decline_code=decline_code)
        if behaviour in ("3ds_setup", "3ds_always") and not authenticated:
            if off_session:
                if not (behaviour == "3ds_setup" and pm["_setup_done"]):
                    return self._fail(pi, pm, code="authentication_required", decline_code="authentication_required")
            else:
                pi["status"] = "requires_action"
                pi["next_action"] = {
                    "type": "redirect_to_url",
                    "redirect_to_url": {"url": f"{self.public_url}/authenticate/{pi['id']}", "return_url": None},
                }
                self.emit("payment_intent.requires_action", pi)
                return "action"
        charge = self._new_charge(pi, pm, paid=True)
        pi.update(
            status="succeeded",
            amount_received=pi["amount"],
            latest_charge=charge["id"],
            last_payment_error=None,
            next_action=None,
        )
        if pi["setup_future_usage"] == "off_session" and pi["customer"]:
            pm["customer"] = pi["customer"]
        if pi["setup_future_usage"] == "off_session":
            pm["_setup_done"] = True
        return "paid"

    def _fail(
        self,
        pi: dict[str, Any],
        pm: dict[str, Any],
        *,
        code: str,
        decline_code: str = "",
        message: str = "",
        error_type: str = "card_error",
    ) -> str:
        message = message or DECLINE_MESSAGES.get(decline_code, "Your card was declined.")
        charge = self._new_charge(pi, pm, paid=False, failure=(code, message))
        error: dict[str, Any] = {"type": error_type, "code": code, "message": message}
        if decline_code:
            error["decline_code"] = decline_code
        if error_type == "card_error":
            error["charge"] = charge["id"]
        error["payment_method"] = self.public(pm)
        pi.update(
            status="requires_payment_method",
            last_payment_error=error,
            latest_charge=charge["id"],
            next_action=None,
        )
        self.emit("payment_intent.payment_failed", pi)
        return "failed"

    def _new_charge(
        self, pi: dict[str, Any], pm: dict[str, Any], *, paid: bool, failure: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        charge = {
            "id": self._id("ch"),
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": pi["amount"] if paid else 0,
            "amount_refunded": 0,
            "captured": paid,
            "created": self.now(),
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "failure_code": failure[0] if failure else None,
            "failure_message": failure[1] if failure else None,
            "livemode": False,
            "metadata": copy.deepcopy(pi["metadata"]),
            "outcome": {
                "network_status": "approved_by_network" if paid else "declined_by_network",
                "type": "authorized" if paid else "issuer_declined",
                "seller_message": "Payment complete." if paid else "The bank did not return any further details.",
            },
            "paid": paid,
            "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "payment_method_details": {"type": "card", "card": copy.deepcopy(pm["card"])},
            "refunded": False,
            "status": "succeeded" if paid else "failed",
        }
        self.objects[charge["id"]] = charge
        return charge

    # -- payment methods -----------------------------------------------------------------------
    def _new_payment_method(
        self, number: str, month: int, year: int, *, name: str = "", email: str | None = None
    ) -> dict[str, Any]:
        brand, behaviour, decline_code = TEST_CARDS[number]
        pm = {
            "id": self._id("pm"),
            "object": "payment_method",
            "billing_details": {"email": email, "name": name or None},
            "card": {
                "brand": brand,
                "country": "US",
                "exp_month": month,
                "exp_year": year,
                "funding": "credit",
                "last4": number[-4:],
            },
            "created": self.now(),
            "customer": None,
            "livemode": False,
            "metadata": {},
            "type": "card",
            "_behaviour": behaviour,
            "_decline_code": decline_code,
            "_setup_done": False,
        }
        self.objects[pm["id"]] = pm
        return pm

    def set_card_behaviour(self, payment_method_id: str, behaviour: str, decline_code: str = "generic_decline") -> None:
        """Make a saved card behave differently from now on (it expired, the bank now declines it...)."""
        with self.lock:
            pm = self.get(payment_method_id, "payment_method")
            pm["_behaviour"] = behaviour
            pm["_decline_code"] = decline_code if behaviour == "decline" else ""

    # -- refunds ---------------------------------------------------------------------------------
    def refund_create(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, "refund_create")
        if params.get("charge"):
            charge = self.get(params["charge"], "charge")
        elif params.get("payment_intent"):
            pi = self.get(params["payment_intent"], "payment_intent")
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise ApiError(
                    400,
                    f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge = self.objects[pi["latest_charge"]]
        else:
            raise ApiError(
                400, "One of the following params should be provided for this request: payment_intent or charge."
            )
        if not charge["paid"]:
            raise ApiError(400, f"Charge {charge['id']} has not been captured; it cannot be refunded.", param="charge")
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise ApiError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
        amount = as_int(params["amount"], "amount") if params.get("amount") not in (None, "") else remaining
        if amount < 1:
            raise ApiError(400, "Amount must be at least 1.", code="parameter_invalid_integer", param="amount")
        if amount > remaining:
            raise ApiError(
                400,
                f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than unrefunded amount "
                f"on charge ({format_amount(remaining, charge['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "metadata": _metadata(params.get("metadata")),
            "payment_intent": charge["payment_intent"],
            "reason": params.get("reason") or None,
            "status": "succeeded",
        }
        self.objects[refund["id"]] = refund
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self.emit("charge.refunded", charge, previous)
        self.emit("refund.created", refund)
        return refund

    def refund_list(self, params: dict[str, Any]) -> dict[str, Any]:
        charge, pi = params.get("charge"), params.get("payment_intent")
        rows = [
            self.public(o)
            for o in self.objects.values()
            if o["object"] == "refund"
            and (not charge or o["charge"] == charge)
            and (not pi or o["payment_intent"] == pi)
        ]
        return _page_of(rows, "/v1/refunds", params)


ALLOWED = {
    "customer_create": {"email", "name", "description", "metadata", "phone", "address"},
    "session_create": {
        "mode", "success_url", "cancel_url", "line_items", "customer", "customer_email", "customer_creation",
        "client_reference_id", "metadata", "payment_intent_data", "payment_method_types", "locale", "expires_at",
    },
    "payment_intent_create": {
        "amount", "currency", "customer", "payment_method", "confirm", "off_session", "setup_future_usage",
        "metadata", "description", "payment_method_types", "receipt_email",
    },
    "refund_create": {"payment_intent", "charge", "amount", "metadata", "reason"},
}  # fmt: skip


def _only(params: dict[str, Any], action: str) -> None:
    """Stripe refuses parameters it does not know; so does the stand-in (a typo in a module shows)."""
    for name in params:
        if name not in ALLOWED[action]:
            raise ApiError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def _page_of(objects: list[dict[str, Any]], url: str, params: dict[str, Any]) -> dict[str, Any]:
    limit = as_int(params.get("limit") or 10, "limit")
    if not 1 <= limit <= 100:
        raise ApiError(400, "Invalid integer: limit must be between 1 and 100.", param="limit")
    rows = sorted(objects, key=lambda o: o["created"], reverse=True)
    return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit, "url": url}


def _metadata(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise FormError("Invalid metadata: must be a hash.", "metadata")
    if len(value) > 50:
        raise FormError("Invalid metadata: at most 50 keys.", "metadata")
    for key, item in value.items():
        if len(key) > 40 or len(str(item)) > 500:
            raise FormError(f"Invalid metadata[{key}]: keys up to 40 and values up to 500 characters.", "metadata")
    return {str(k): str(v) for k, v in value.items()}


def _luhn(number: str) -> bool:
    if not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
