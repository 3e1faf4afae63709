"""The PayPal gateway module against the local PayPal stand-in: checkout, capture, webhooks, vault, refunds."""

from __future__ import annotations

import json
import urllib.parse
from decimal import Decimal

import httpx
import pytest

from moorage.gateways.paypal import PayPalGateway, amount_string
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
    GatewayError,
    SavedMethod,
)
from paypal_standin import PayPalStandin
from tests.gateways.conftest import checkout_request


def approve_over_http(redirect_url: str, action: str = "pay") -> str:
    """Click a button on the stand-in's approval page; returns where the browser is sent."""
    with httpx.Client(timeout=10) as http:
        page = http.get(redirect_url)
        assert page.status_code == 200
        assert "Pay now" in page.text
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect_url).query)["token"][0]
        answer = http.post(redirect_url.split("?")[0], data={"token": token, "action": action})
    assert answer.status_code == 303
    return answer.headers["location"]


def paid_order(gateway: PayPalGateway, standin: PayPalStandin, **overrides: object) -> tuple[str, object]:
    start = gateway.start_checkout(checkout_request(**overrides))
    standin.approve(start.provider_ref)
    return start.provider_ref, gateway.fetch_checkout(start.provider_ref)


# -- checkout ---------------------------------------------------------------------------------------


def test_checkout_sends_the_payer_to_paypal_and_a_server_side_fetch_captures_once(gateway, standin):
    start = gateway.start_checkout(checkout_request())
    assert start.redirect_url.startswith(standin.base_url + "/checkoutnow?token=")
    order = standin.paypal.orders[start.provider_ref]
    unit = order["purchase_units"][0]
    assert unit["custom_id"] == "pay-0001"
    assert unit["amount"] == {"currency_code": "EUR", "value": "12.50"}
    assert unit["invoice_id"].startswith("INV-2026-0007")

    # Before the payer approves, the fetch says nothing final and captures nothing.
    pending = gateway.fetch_checkout(start.provider_ref)
    assert pending.kind == PENDING
    assert standin.paypal.captures == {}

    back = approve_over_http(start.redirect_url)
    assert back.startswith("https://billing.example.com/pay/return/pay-0001/?token=" + start.provider_ref)
    assert "PayerID=" in back

    event = gateway.fetch_checkout(start.provider_ref)
    assert event.kind == PAID
    assert event.reference == "pay-0001"
    assert event.provider_ref == start.provider_ref
    assert event.amount == Decimal("12.50")
    assert event.currency == "EUR"
    assert event.event_id == f"fetch:{start.provider_ref}:{PAID}"
    assert event.saved_method is None
    # The return page reloaded (or racing the webhook) asks again: the same capture, not a second one.
    again = gateway.fetch_checkout(start.provider_ref)
    assert again.transaction_id == event.transaction_id
    assert len(standin.paypal.captures) == 1


def test_retried_capture_after_a_lost_answer_captures_once(gateway, standin):
    start = gateway.start_checkout(checkout_request())
    standin.approve(start.provider_ref)
    standin.fail("/capture", kind="after")  # PayPal captures, the answer is lost
    with pytest.raises(GatewayError) as lost:
        gateway.fetch_checkout(start.provider_ref)
    assert lost.value.kind == UNKNOWN
    event = gateway.fetch_checkout(start.provider_ref)
    assert event.kind == PAID
    assert len(standin.paypal.captures) == 1


def test_declined_funding_source_is_a_failed_checkout_with_a_readable_message(gateway, standin):
    start = gateway.start_checkout(checkout_request())
    approve_over_http(start.redirect_url, action="decline")
    event = gateway.fetch_checkout(start.provider_ref)
    assert event.kind == FAILED
    assert "declined" in event.message
    assert event.reference == "pay-0001"
    assert standin.paypal.captures == {}


def test_cancel_on_the_approval_page_goes_to_the_cancel_url_and_nothing_is_captured(gateway, standin):
    start = gateway.start_checkout(checkout_request())
    back = approve_over_http(start.redirect_url, action="cancel")
    assert back.startswith("https://billing.example.com/pay/cancel/pay-0001/")
    assert gateway.fetch_checkout(start.provider_ref).kind == PENDING
    assert standin.paypal.captures == {}


def test_a_checkout_created_twice_for_one_reference_is_one_order(gateway, standin):
    first = gateway.start_checkout(checkout_request())
    second = gateway.start_checkout(checkout_request())
    assert first.provider_ref == second.provider_ref
    assert len(standin.paypal.orders) == 1


def test_russian_clients_get_paypal_in_russian(gateway, standin):
    start = gateway.start_checkout(checkout_request(language="ru"))
    assert standin.paypal.order_flags[start.provider_ref]["locale"] == "ru-RU"
    english = gateway.start_checkout(checkout_request("pay-en"))
    assert standin.paypal.order_flags[english.provider_ref]["locale"] == "en-US"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("12.5"), "EUR", "12.50"),
        (Decimal("1500"), "JPY", "1500"),
        (Decimal("1500.00"), "JPY", "1500"),
        (Decimal("990.00"), "HUF", "990"),
        (Decimal("10.00"), "TWD", "10"),
    ],
)
def test_amounts_are_sent_with_the_currencys_decimals(amount, currency, expected):
    assert amount_string(amount, currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(Decimal("1500.50"), "JPY"), (Decimal("1.005"), "EUR"), (Decimal(0), "EUR"), (Decimal("-1"), "EUR")],
)
def test_amounts_that_would_need_rounding_are_refused(amount, currency):
    with pytest.raises(GatewayError) as refused:
        amount_string(amount, currency)
    assert refused.value.kind == PERMANENT


def test_zero_decimal_currency_checkout_and_capture(gateway, standin):
    _order_id, event = paid_order(gateway, standin, amount=Decimal("1500.00"), currency="JPY")
    assert event.kind == PAID
    assert event.amount == Decimal("1500")
    assert event.currency == "JPY"


def test_an_unsupported_currency_is_a_permanent_error(gateway):
    with pytest.raises(GatewayError) as refused:
        gateway.start_checkout(checkout_request(currency="RUB"))
    assert refused.value.kind == PERMANENT
    assert "CURRENCY_NOT_SUPPORTED" in refused.value.message


def test_hostile_order_ids_never_reach_a_url(gateway, standin):
    for bad in ("../../v1/oauth2/token", "A B", "", "x" * 65, "id?x=1"):
        with pytest.raises(GatewayError):
            gateway.fetch_checkout(bad)
    assert standin.paypal.requests == []


# -- credentials and transport ----------------------------------------------------------------------


def test_the_access_token_is_cached_and_renewed_when_paypal_expires_it(gateway, standin):
    gateway.start_checkout(checkout_request("pay-a"))
    gateway.start_checkout(checkout_request("pay-b"))
    assert standin.paypal.token_requests == 1
    standin.advance_time(standin.paypal.token_ttl + 1)  # PayPal now refuses the cached token
    start = gateway.start_checkout(checkout_request("pay-c"))
    assert standin.paypal.token_requests == 2
    assert start.provider_ref in standin.paypal.orders


def test_wrong_credentials_are_a_permanent_error(standin):
    gateway = PayPalGateway(
        {"client_id": standin.client_id, "client_secret": "wrong", "api_base_url": standin.base_url}
    )
    with pytest.raises(GatewayError) as refused:
        gateway.start_checkout(checkout_request())
    assert refused.value.kind == PERMANENT
    assert standin.paypal.orders == {}


def test_paypal_out_of_reach_is_transient():
    gateway = PayPalGateway({"client_id": "x", "client_secret": "y", "api_base_url": "http://127.0.0.1:9"})
    with pytest.raises(GatewayError) as failed:
        gateway.start_checkout(checkout_request())
    assert failed.value.kind == TRANSIENT


def test_a_server_error_on_create_is_unknown_and_on_a_read_transient(gateway, standin):
    gateway.start_checkout(checkout_request("warm-up"))  # token cached
    standin.fail("/v2/checkout/orders", kind="500")
    with pytest.raises(GatewayError) as create:
        gateway.start_checkout(checkout_request())
    assert create.value.kind == UNKNOWN
    start = gateway.start_checkout(checkout_request())
    standin.fail("/v2/checkout/orders/", kind="drop")
    with pytest.raises(GatewayError) as read:
        gateway.fetch_checkout(start.provider_ref)
    assert read.value.kind == TRANSIENT


def test_live_and_sandbox_hosts():
    assert PayPalGateway({"mode": "live"}).base_url() == "https://api-m.paypal.com"
    assert PayPalGateway({}).base_url() == "https://api-m.sandbox.paypal.com"
    assert PayPalGateway({"mode": "sandbox", "api_base_url": "http://127.0.0.1:1/"}).base_url() == "http://127.0.0.1:1"


# -- webhooks ---------------------------------------------------------------------------------------


def test_a_signed_capture_webhook_is_a_payment(gateway, standin):
    order_id, fetched = paid_order(gateway, standin)
    [completed] = standin.events_of("PAYMENT.CAPTURE.COMPLETED")
    body, headers = standin.webhook_request(completed)
    [event] = gateway.parse_webhook(body, headers)
    assert event.kind == PAID
    assert event.event_id == completed.id
    assert event.transaction_id == fetched.transaction_id
    assert event.provider_ref == order_id
    assert event.reference == "pay-0001"
    assert event.amount == Decimal("12.50")
    assert event.currency == "EUR"


def test_a_replayed_webhook_is_the_same_event_and_the_certificate_is_fetched_once(gateway, standin):
    paid_order(gateway, standin)
    [completed] = standin.events_of("PAYMENT.CAPTURE.COMPLETED")
    first = gateway.parse_webhook(*standin.webhook_request(completed))
    cert_fetches = sum(1 for _m, p in standin.paypal.requests if "/certs/" in p)
    second = gateway.parse_webhook(*standin.webhook_request(completed))  # a new transmission, same event
    assert first == second
    assert cert_fetches == 1
    assert sum(1 for _m, p in standin.paypal.requests if "/certs/" in p) == 1


def test_header_names_are_matched_whatever_their_case(gateway, standin):
    paid_order(gateway, standin)
    body, headers = standin.webhook_request(standin.events_of("PAYMENT.CAPTURE.COMPLETED")[0])
    [event] = gateway.parse_webhook(body, {k.lower(): v for k, v in headers.items()})
    assert event.kind == PAID


def tampered(standin: PayPalStandin, gateway: PayPalGateway) -> tuple[bytes, dict[str, str]]:
    paid_order(gateway, standin)
    return standin.webhook_request(standin.events_of("PAYMENT.CAPTURE.COMPLETED")[0])


def test_a_changed_body_is_a_bad_signature(gateway, standin):
    body, headers = tampered(standin, gateway)
    forged = body.replace(b'"12.50"', b'"1250.00"')
    assert forged != body
    with pytest.raises(BadSignature):
        gateway.parse_webhook(forged, headers)


@pytest.mark.parametrize(
    "change",
    [
        {"PAYPAL-TRANSMISSION-SIG": "bm90IGEgc2lnbmF0dXJl"},
        {"PAYPAL-TRANSMISSION-SIG": "***"},
        {"PAYPAL-TRANSMISSION-ID": "another-id"},
        {"PAYPAL-TRANSMISSION-TIME": "2020-01-01T00:00:00Z"},
        {"PAYPAL-AUTH-ALGO": "SHA1withRSA"},
        {"PAYPAL-CERT-URL": "https://attacker.example/v1/notifications/certs/CERT-1"},
        {"PAYPAL-CERT-URL": "https://paypal.com.attacker.example/v1/notifications/certs/CERT-1"},
        {"PAYPAL-CERT-URL": "http://api.paypal.com/v1/notifications/certs/CERT-1"},
        {"PAYPAL-CERT-URL": "file:///etc/passwd"},
    ],
)
def test_bad_or_foreign_signatures_are_refused(gateway, standin, change):
    body, headers = tampered(standin, gateway)
    headers.update(change)
    with pytest.raises(BadSignature):
        gateway.parse_webhook(body, headers)


def test_missing_headers_are_refused(gateway, standin):
    body, headers = tampered(standin, gateway)
    for name in ("PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-SIG", "PAYPAL-CERT-URL", "PAYPAL-AUTH-ALGO"):
        partial = {k: v for k, v in headers.items() if k != name}
        with pytest.raises(BadSignature):
            gateway.parse_webhook(body, partial)


def test_a_signature_made_for_another_webhook_id_is_refused(gateway, standin):
    paid_order(gateway, standin)
    body, headers = standin.webhook_request(
        standin.events_of("PAYMENT.CAPTURE.COMPLETED")[0], webhook_id="SOMEONE-ELSES-WEBHOOK"
    )
    with pytest.raises(BadSignature):
        gateway.parse_webhook(body, headers)


def test_without_a_configured_webhook_id_nothing_is_trusted(standin):
    gateway = PayPalGateway(
        {"client_id": standin.client_id, "client_secret": standin.client_secret, "api_base_url": standin.base_url}
    )
    paid_order(gateway, standin)
    with pytest.raises(BadSignature):
        gateway.parse_webhook(*standin.webhook_request(standin.events_of("PAYMENT.CAPTURE.COMPLETED")[0]))


def test_a_certificate_url_on_paypal_or_the_configured_host_only(gateway, standin):
    assert gateway.cert_url_allowed("https://api.paypal.com/v1/notifications/certs/CERT-1")
    assert gateway.cert_url_allowed("https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1")
    assert gateway.cert_url_allowed(standin.base_url + "/v1/notifications/certs/CERT-1")
    assert not gateway.cert_url_allowed("https://api.paypal.com/v1/oauth2/token")
    assert not gateway.cert_url_allowed("https://api.paypal.com:8443/v1/notifications/certs/CERT-1")
    assert not gateway.cert_url_allowed("https://evilpaypal.com/v1/notifications/certs/CERT-1")
    assert not gateway.cert_url_allowed("https://user@api.paypal.com/v1/notifications/certs/CERT-1")
    other_host = standin.base_url.replace("127.0.0.1", "localhost")
    assert not gateway.cert_url_allowed(other_host + "/v1/notifications/certs/x")


def test_the_order_approved_webhook_captures_server_side(gateway, standin):
    start = gateway.start_checkout(checkout_request())
    standin.approve(start.provider_ref)  # the payer approved and closed the browser
    [approved] = standin.events_of("CHECKOUT.ORDER.APPROVED")
    [event] = gateway.parse_webhook(*standin.webhook_request(approved))
    assert event.kind == PAID
    assert event.event_id == approved.id
    assert event.raw_type == "CHECKOUT.ORDER.APPROVED"
    assert len(standin.paypal.captures) == 1
    # The return page arriving afterwards reports the very same capture.
    assert gateway.fetch_checkout(start.provider_ref).transaction_id == event.transaction_id
    assert len(standin.paypal.captures) == 1


def test_an_approved_order_moorage_did_not_make_is_not_captured(gateway, standin):
    """Another shop using the same PayPal app captures its own orders."""
    token = gateway._token()
    order = httpx.post(
        standin.base_url + "/v2/checkout/orders",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "intent": "CAPTURE",
            "purchase_units": [{"custom_id": "their-ref", "amount": {"currency_code": "EUR", "value": "5.00"}}],
            "application_context": {"return_url": "https://shop.test/r", "cancel_url": "https://shop.test/c"},
        },
    ).json()
    standin.approve(order["id"])
    [approved] = standin.events_of("CHECKOUT.ORDER.APPROVED")
    [event] = gateway.parse_webhook(*standin.webhook_request(approved))
    assert event.kind == IGNORED
    assert standin.paypal.captures == {}


def test_a_forged_order_approved_webhook_captures_nothing(gateway, standin):
    start = gateway.start_checkout(checkout_request())
    standin.approve(start.provider_ref)
    body, headers = standin.webhook_request(standin.events_of("CHECKOUT.ORDER.APPROVED")[0])
    with pytest.raises(BadSignature):
        gateway.parse_webhook(body + b" ", headers)
    assert standin.paypal.captures == {}


def test_events_moorage_does_not_use_are_ignored(gateway, standin):
    event = standin.emit("CUSTOMER.DISPUTE.CREATED", {"dispute_id": "PP-D-1"}, resource_type="dispute")
    [parsed] = gateway.parse_webhook(*standin.webhook_request(event))
    assert parsed.kind == IGNORED
    assert parsed.event_id == event.id


def test_the_verify_webhook_signature_endpoint_agrees(gateway, standin):
    paid_order(gateway, standin)
    completed = standin.events_of("PAYMENT.CAPTURE.COMPLETED")[0]
    body, headers = standin.webhook_request(completed)
    token = gateway._token()

    def verify(webhook_id: str, event_body: bytes) -> str:
        answer = httpx.post(
            standin.base_url + "/v1/notifications/verify-webhook-signature",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "auth_algo": headers["PAYPAL-AUTH-ALGO"],
                "cert_url": headers["PAYPAL-CERT-URL"],
                "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
                "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
                "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
                "webhook_id": webhook_id,
                "webhook_event": json.loads(event_body),
            },
        )
        return answer.json()["verification_status"]

    assert verify(standin.webhook_id, body) == "SUCCESS"
    assert verify("OTHER", body) == "FAILURE"
    assert verify(standin.webhook_id, body.replace(b'"12.50"', b'"1.00"')) == "FAILURE"


# -- Service Auto Payment (vault) -------------------------------------------------------------------


def saved(gateway: PayPalGateway, standin: PayPalStandin) -> SavedMethod:
    _order_id, event = paid_order(gateway, standin, save_method=True)
    assert event.kind == PAID
    assert event.saved_method is not None
    assert event.saved_method.token in standin.paypal.vault
    assert event.saved_method.label.startswith("PayPal ")
    return event.saved_method


def charge(method: SavedMethod, key: str = "autopay-inv-8-1", amount: str = "30.00") -> ChargeRequest:
    return ChargeRequest(
        reference="pay-0002",
        idempotency_key=key,
        invoice_id=8,
        invoice_number="INV-2026-0008",
        description="Renewal INV-2026-0008",
        amount=Decimal(amount),
        currency="EUR",
        method=method,
    )


def test_a_checkout_with_consent_vaults_the_paypal_wallet(gateway, standin):
    method = saved(gateway, standin)
    assert method.customer_ref


def test_a_checkout_without_consent_vaults_nothing(gateway, standin):
    _order_id, event = paid_order(gateway, standin)
    assert event.saved_method is None
    assert standin.paypal.vault == {}


def test_auto_payment_on_the_vaulted_wallet(gateway, standin):
    method = saved(gateway, standin)
    result = gateway.charge_saved(charge(method))
    assert result.status == PAID
    assert result.amount == Decimal("30.00")
    assert result.currency == "EUR"
    assert result.transaction_id in standin.paypal.captures
    # A retry with the same idempotency key is the same charge.
    assert gateway.charge_saved(charge(method)).transaction_id == result.transaction_id
    assert len(standin.paypal.captures) == 2  # the first checkout and this one


def test_auto_payment_declined(gateway, standin):
    method = saved(gateway, standin)
    standin.set_vault_behaviour(method.token, "decline")
    result = gateway.charge_saved(charge(method))
    assert result.status == FAILED
    assert "declined" in result.message
    assert standin.events_of("PAYMENT.CAPTURE.DENIED")
    [denied] = standin.events_of("PAYMENT.CAPTURE.DENIED")
    [event] = gateway.parse_webhook(*standin.webhook_request(denied))
    assert event.kind == FAILED
    assert event.transaction_id == result.transaction_id


def test_auto_payment_needing_the_payer(gateway, standin):
    method = saved(gateway, standin)
    standin.set_vault_behaviour(method.token, "payer_action")
    assert gateway.charge_saved(charge(method)).status == ACTION_REQUIRED


def test_auto_payment_with_an_unknown_vault_id_fails_readably(gateway, standin):
    result = gateway.charge_saved(charge(SavedMethod(token="gone123", customer_ref="", label="PayPal")))
    assert result.status == FAILED
    assert "saved PayPal account" in result.message


# -- refunds ----------------------------------------------------------------------------------------


def test_partial_then_full_refund(gateway, standin):
    _order_id, event = paid_order(gateway, standin)
    partial = gateway.refund(
        transaction_id=event.transaction_id, amount=Decimal("2.50"), currency="EUR", idempotency_key="refund-1"
    )
    assert partial.status == PAID
    assert partial.amount == Decimal("2.50")
    assert standin.paypal.captures[event.transaction_id]["status"] == "PARTIALLY_REFUNDED"
    # The same key again is the same refund.
    again = gateway.refund(
        transaction_id=event.transaction_id, amount=Decimal("2.50"), currency="EUR", idempotency_key="refund-1"
    )
    assert again.refund_id == partial.refund_id
    rest = gateway.refund(
        transaction_id=event.transaction_id, amount=Decimal("10.00"), currency="EUR", idempotency_key="refund-2"
    )
    assert rest.amount == Decimal("10.00")
    assert standin.paypal.captures[event.transaction_id]["status"] == "REFUNDED"
    with pytest.raises(GatewayError) as refused:
        gateway.refund(
            transaction_id=event.transaction_id, amount=Decimal("0.01"), currency="EUR", idempotency_key="refund-3"
        )
    assert refused.value.kind == PERMANENT
    assert "CAPTURE_FULLY_REFUNDED" in refused.value.message

    refunded = standin.events_of("PAYMENT.CAPTURE.REFUNDED")
    assert len(refunded) == 2
    [webhook] = gateway.parse_webhook(*standin.webhook_request(refunded[0]))
    assert webhook.kind == REFUNDED
    assert webhook.transaction_id == event.transaction_id
    assert webhook.amount == Decimal("2.50")
    assert webhook.refund_id == partial.refund_id


def test_a_refund_above_what_is_left_is_refused(gateway, standin):
    _order_id, event = paid_order(gateway, standin)
    with pytest.raises(GatewayError) as refused:
        gateway.refund(
            transaction_id=event.transaction_id, amount=Decimal("12.51"), currency="EUR", idempotency_key="r"
        )
    assert "REFUND_AMOUNT_EXCEEDED" in refused.value.message
    assert standin.paypal.refunds == {}
