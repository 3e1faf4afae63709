"""The Stripe gateway module against the Stripe stand-in over HTTP, through the official SDK."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from moorage.gateways.stripe import StripeGateway, from_minor, to_minor
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
    CheckoutRequest,
    GatewayError,
    SavedMethod,
)
from stripe_standin import StripeStandin
from tests.gateways.conftest import stripe_gateway_for

SUCCESS = "4242424242424242"
DECLINED = "4000000000000002"
THREE_DS = "4000002500003155"
THREE_DS_ALWAYS = "4000002760003184"


def checkout_request(**overrides) -> CheckoutRequest:  # noqa: ANN003
    values = {
        "reference": "pay-1",
        "invoice_id": 41,
        "invoice_number": "INV-0041",
        "description": "Invoice INV-0041",
        "amount": Decimal("12.34"),
        "currency": "USD",
        "client_id": 7,
        "client_email": "ada@example.com",
        "client_name": "Ada Lovelace",
        "language": "en",
        "return_url": "http://moorage.test/clientarea/invoices/41/paid?ref=pay-1",
        "cancel_url": "http://moorage.test/clientarea/invoices/41/",
    }
    values.update(overrides)
    return CheckoutRequest(**values)


def webhook(standin: StripeStandin, gateway: StripeGateway, event_type: str, index: int = -1):  # noqa: ANN201
    event = standin.events_of(event_type)[index]
    body, headers = standin.signed_webhook(event["id"])
    (parsed,) = gateway.parse_webhook(body, headers)
    return parsed


def saved_card(standin: StripeStandin, gateway: StripeGateway, card: str = SUCCESS) -> SavedMethod:
    start = gateway.start_checkout(checkout_request(reference="save-1", save_method=True))
    assert standin.pay(start.provider_ref, card).kind == "redirect"
    event = gateway.fetch_checkout(start.provider_ref)
    assert event.saved_method is not None
    return event.saved_method


def charge_request(method: SavedMethod, **overrides) -> ChargeRequest:  # noqa: ANN003
    values = {
        "reference": "auto-1",
        "idempotency_key": "autopay-invoice-42",
        "invoice_id": 42,
        "invoice_number": "INV-0042",
        "description": "Renewal INV-0042",
        "amount": Decimal("20.00"),
        "currency": "USD",
        "method": method,
    }
    values.update(overrides)
    return ChargeRequest(**values)


# -- amounts ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "USD", 1234),
        ("0.01", "eur", 1),
        ("1234", "JPY", 1234),
        ("1234.00", "JPY", 1234),
        ("1.25", "KWD", 1250),
        ("1.250", "KWD", 1250),
        ("500.00", "ISK", 50000),
    ],
)
def test_amounts_go_to_stripe_minor_units(amount: str, currency: str, minor: int) -> None:
    assert to_minor(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1234.50", "JPY"), ("0.001", "USD"), ("0.00", "USD"), ("-5.00", "USD"), ("500.50", "ISK")],
)
def test_amounts_stripe_cannot_carry_exactly_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(GatewayError) as info:
        to_minor(Decimal(amount), currency)
    assert info.value.kind == PERMANENT


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        to_minor(12.34, "USD")  # type: ignore[arg-type]


def test_minor_units_come_back_as_exact_decimals() -> None:
    assert from_minor(1234, "usd") == Decimal("12.34")
    assert str(from_minor(1234, "jpy")) == "1234.00"
    assert from_minor(1250, "kwd") == Decimal("1.250")


# -- checkout ------------------------------------------------------------------------------------------
def test_checkout_opens_the_hosted_page_for_the_amount_due(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    assert start.redirect_url == stripe_standin.pay_url(start.provider_ref)
    session = stripe_standin.stripe.objects[start.provider_ref]
    assert session["amount_total"] == 1234
    assert session["currency"] == "usd"
    assert session["metadata"] == {"reference": "pay-1", "invoice": "41", "invoice_number": "INV-0041", "client": "7"}
    assert session["customer_email"] == "ada@example.com"
    assert session["customer"] is None
    assert session["_pi_data"]["setup_future_usage"] is None
    # The same attempt asked twice (a double click, a retried request) is the same session.
    assert stripe_gateway.start_checkout(checkout_request()).provider_ref == start.provider_ref


def test_a_paid_checkout_is_read_back_server_side(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    assert stripe_gateway.fetch_checkout(start.provider_ref).kind == PENDING
    outcome = stripe_standin.pay(start.provider_ref, SUCCESS)
    assert outcome.location == "http://moorage.test/clientarea/invoices/41/paid?ref=pay-1"

    event = stripe_gateway.fetch_checkout(start.provider_ref)
    pi = stripe_standin.stripe.objects[start.provider_ref]["payment_intent"]
    assert event.kind == PAID
    assert event.event_id == f"fetch:{start.provider_ref}:paid"
    assert (event.reference, event.transaction_id, event.provider_ref) == ("pay-1", pi, start.provider_ref)
    assert (event.amount, event.currency) == (Decimal("12.34"), "USD")
    assert event.saved_method is None


def test_the_success_webhooks_name_the_same_payment(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    stripe_standin.pay(start.provider_ref, SUCCESS)
    pi = stripe_standin.stripe.objects[start.provider_ref]["payment_intent"]

    completed = webhook(stripe_standin, stripe_gateway, "checkout.session.completed")
    succeeded = webhook(stripe_standin, stripe_gateway, "payment_intent.succeeded")
    for event in (completed, succeeded):
        assert (event.kind, event.transaction_id, event.reference) == (PAID, pi, "pay-1")
        assert (event.amount, event.currency) == (Decimal("12.34"), "USD")
        assert event.event_id.startswith("evt_")
    assert completed.provider_ref == start.provider_ref
    assert completed.event_id != succeeded.event_id


def test_a_replayed_webhook_carries_the_same_event_id(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    stripe_standin.pay(start.provider_ref, SUCCESS)
    event = stripe_standin.events_of("checkout.session.completed")[0]
    first = stripe_gateway.parse_webhook(*stripe_standin.signed_webhook(event["id"]))
    again = stripe_gateway.parse_webhook(*stripe_standin.signed_webhook(event["id"], timestamp=event["created"] + 60))
    assert first == again


def test_saving_the_card_creates_a_customer_and_reports_the_card(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request(save_method=True))
    session = stripe_standin.stripe.objects[start.provider_ref]
    customer = session["customer"]
    assert customer.startswith("cus_")
    assert stripe_standin.stripe.objects[customer]["email"] == "ada@example.com"
    assert session["_pi_data"]["setup_future_usage"] == "off_session"
    stripe_standin.pay(start.provider_ref, SUCCESS)

    fetched = stripe_gateway.fetch_checkout(start.provider_ref)
    from_webhook = webhook(stripe_standin, stripe_gateway, "checkout.session.completed")
    from_intent = webhook(stripe_standin, stripe_gateway, "payment_intent.succeeded")
    for event in (fetched, from_webhook, from_intent):
        assert event.saved_method is not None
        assert event.saved_method.customer_ref == customer
        assert event.saved_method.token.startswith("pm_")
        assert event.saved_method.label == "Visa •••• 4242, expires 12/2034"
        assert stripe_standin.stripe.objects[event.saved_method.token]["customer"] == customer


def test_a_client_with_a_stripe_customer_keeps_it(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    method = saved_card(stripe_standin, stripe_gateway)
    start = stripe_gateway.start_checkout(
        checkout_request(reference="pay-2", save_method=True, customer_ref=method.customer_ref)
    )
    assert stripe_standin.stripe.objects[start.provider_ref]["customer"] == method.customer_ref
    assert sum(1 for o in stripe_standin.stripe.objects.values() if o["object"] == "customer") == 1


def test_a_declined_card_leaves_the_checkout_open_and_says_why(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    outcome = stripe_standin.pay(start.provider_ref, DECLINED)
    assert (outcome.kind, outcome.error) == ("form", "Your card was declined.")

    fetched = stripe_gateway.fetch_checkout(start.provider_ref)
    assert fetched.kind == PENDING
    assert fetched.transaction_id == ""
    assert "declined" in fetched.message
    declined = webhook(stripe_standin, stripe_gateway, "payment_intent.payment_failed")
    # Not final: the client is still on Stripe's page and may try another card.
    assert (declined.kind, declined.reference, declined.transaction_id) == (PENDING, "pay-1", "")
    assert declined.message == "Your card was declined. (generic_decline)"
    assert stripe_standin.events_of("checkout.session.completed") == []

    # The client tries another card on the same page.
    stripe_standin.pay(start.provider_ref, SUCCESS)
    assert stripe_gateway.fetch_checkout(start.provider_ref).kind == PAID


def test_3d_secure_is_asked_for_and_then_passes(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    assert stripe_standin.pay(start.provider_ref, THREE_DS, authenticate=None).kind == "authenticate"
    pending = stripe_gateway.fetch_checkout(start.provider_ref)
    assert pending.kind == ACTION_REQUIRED
    assert (
        stripe_gateway.parse_webhook(
            *stripe_standin.signed_webhook(stripe_standin.events_of("payment_intent.requires_action")[0]["id"])
        )[0].kind
        == IGNORED
    )

    assert stripe_standin.stripe.session_authenticate(start.provider_ref, approve=True).kind == "redirect"
    assert stripe_gateway.fetch_checkout(start.provider_ref).kind == PAID


def test_3d_secure_failed_is_a_failed_attempt(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    outcome = stripe_standin.pay(start.provider_ref, THREE_DS, authenticate=False)
    assert outcome.kind == "form"
    failed = webhook(stripe_standin, stripe_gateway, "payment_intent.payment_failed")
    assert failed.kind == PENDING
    assert "unable to authenticate" in failed.message
    assert stripe_gateway.fetch_checkout(start.provider_ref).kind == PENDING


def test_an_expired_checkout_is_failed(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    stripe_standin.advance_time(2 * 86400)
    assert stripe_standin.pay(start.provider_ref, SUCCESS).kind == "closed"
    assert stripe_gateway.fetch_checkout(start.provider_ref).kind == FAILED
    assert webhook(stripe_standin, stripe_gateway, "checkout.session.expired").kind == FAILED


def test_a_partial_payment_checks_out_what_is_still_due(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request(amount=Decimal("4.66")))
    stripe_standin.pay(start.provider_ref, SUCCESS)
    event = stripe_gateway.fetch_checkout(start.provider_ref)
    assert (event.kind, event.amount) == (PAID, Decimal("4.66"))


def test_a_zero_decimal_currency_is_charged_in_whole_units(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request(amount=Decimal("1500.00"), currency="JPY"))
    assert stripe_standin.stripe.objects[start.provider_ref]["amount_total"] == 1500
    stripe_standin.pay(start.provider_ref, SUCCESS)
    event = stripe_gateway.fetch_checkout(start.provider_ref)
    assert (event.amount, event.currency) == (Decimal("1500.00"), "JPY")


# -- signatures ----------------------------------------------------------------------------------------
@pytest.fixture
def paid_event(stripe_standin, stripe_gateway):  # noqa: ANN001, ANN201
    start = stripe_gateway.start_checkout(checkout_request())
    stripe_standin.pay(start.provider_ref, SUCCESS)
    return stripe_standin.events_of("checkout.session.completed")[0]


def test_a_webhook_signed_with_another_secret_is_refused(stripe_standin, stripe_gateway, paid_event) -> None:  # noqa: ANN001
    body, headers = stripe_standin.signed_webhook(paid_event["id"], secret="whsec_someone_else")
    with pytest.raises(BadSignature):
        stripe_gateway.parse_webhook(body, headers)


def test_a_tampered_webhook_is_refused(stripe_standin, stripe_gateway, paid_event) -> None:  # noqa: ANN001
    body, headers = stripe_standin.signed_webhook(paid_event["id"])
    data = json.loads(body)
    data["data"]["object"]["amount_total"] = 1
    with pytest.raises(BadSignature):
        stripe_gateway.parse_webhook(json.dumps(data).encode(), headers)


def test_an_old_webhook_is_refused(stripe_standin, stripe_gateway, paid_event) -> None:  # noqa: ANN001
    body, headers = stripe_standin.signed_webhook(paid_event["id"], timestamp=paid_event["created"] - 3600)
    with pytest.raises(BadSignature):
        stripe_gateway.parse_webhook(body, headers)


def test_an_unsigned_webhook_is_refused(stripe_standin, stripe_gateway, paid_event) -> None:  # noqa: ANN001
    body, headers = stripe_standin.signed_webhook(paid_event["id"])
    with pytest.raises(BadSignature):
        stripe_gateway.parse_webhook(body, {"Content-Type": "application/json"})
    with pytest.raises(BadSignature):
        stripe_gateway.parse_webhook(b"not json", headers)


def test_without_a_signing_secret_no_webhook_is_trusted(stripe_standin, paid_event) -> None:  # noqa: ANN001
    gateway = stripe_gateway_for(stripe_standin, webhook_secret="")
    with pytest.raises(BadSignature):
        gateway.parse_webhook(*stripe_standin.signed_webhook(paid_event["id"], secret=""))


def test_headers_are_read_in_any_spelling(stripe_standin, stripe_gateway, paid_event) -> None:  # noqa: ANN001
    body, headers = stripe_standin.signed_webhook(paid_event["id"])
    meta = {"HTTP_STRIPE_SIGNATURE": headers["Stripe-Signature"]}
    lower = {"stripe-signature": headers["Stripe-Signature"]}
    assert stripe_gateway.parse_webhook(body, meta) == stripe_gateway.parse_webhook(body, lower)


# -- Service Auto Payment --------------------------------------------------------------------------------
def test_a_saved_card_is_charged_off_session_once_per_key(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    method = saved_card(stripe_standin, stripe_gateway)
    result = stripe_gateway.charge_saved(charge_request(method))
    assert (result.status, result.amount, result.currency) == (PAID, Decimal("20.00"), "USD")
    pi = stripe_standin.stripe.objects[result.transaction_id]
    assert (pi["status"], pi["customer"], pi["payment_method"]) == ("succeeded", method.customer_ref, method.token)
    assert pi["metadata"]["reference"] == "auto-1"

    again = stripe_gateway.charge_saved(charge_request(method))
    assert again.transaction_id == result.transaction_id
    charges = [o for o in stripe_standin.stripe.objects.values() if o["object"] == "charge" and o["amount"] == 2000]
    assert len(charges) == 1


def test_a_declined_saved_card_fails_with_the_reason(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    method = saved_card(stripe_standin, stripe_gateway)
    stripe_standin.set_card_behaviour(method.token, "decline", "insufficient_funds")
    result = stripe_gateway.charge_saved(charge_request(method))
    assert result.status == FAILED
    assert result.transaction_id == ""
    assert result.message == "Your card has insufficient funds. (insufficient_funds)"
    # Stripe's webhook for an off-session charge is a final failure.
    assert webhook(stripe_standin, stripe_gateway, "payment_intent.payment_failed").kind == FAILED


def test_a_saved_card_that_needs_authentication_asks_for_the_client(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    method = saved_card(stripe_standin, stripe_gateway, THREE_DS_ALWAYS)
    result = stripe_gateway.charge_saved(charge_request(method))
    assert result.status == ACTION_REQUIRED
    assert "requires authentication" in result.message


def test_a_card_authenticated_when_saved_pays_off_session(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    method = saved_card(stripe_standin, stripe_gateway, THREE_DS)
    assert stripe_gateway.charge_saved(charge_request(method)).status == PAID


def test_a_card_of_another_customer_is_refused(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    method = saved_card(stripe_standin, stripe_gateway)
    other = stripe_standin.stripe.customer_create({"email": "eve@example.com"})
    stolen = SavedMethod(token=method.token, customer_ref=other["id"], label="")
    with pytest.raises(GatewayError) as info:
        stripe_gateway.charge_saved(charge_request(stolen))
    assert info.value.kind == PERMANENT


# -- refunds ------------------------------------------------------------------------------------------------
def test_refunds_partial_then_the_rest(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    stripe_standin.pay(start.provider_ref, SUCCESS)
    paid = stripe_gateway.fetch_checkout(start.provider_ref)

    partial = stripe_gateway.refund(
        transaction_id=paid.transaction_id, amount=Decimal("2.34"), currency="USD", idempotency_key="refund-1"
    )
    assert (partial.status, partial.amount, partial.currency) == (PAID, Decimal("2.34"), "USD")
    assert partial.refund_id.startswith("re_")
    # The same staff click twice is one refund.
    assert (
        stripe_gateway.refund(
            transaction_id=paid.transaction_id, amount=Decimal("2.34"), currency="USD", idempotency_key="refund-1"
        ).refund_id
        == partial.refund_id
    )
    body, headers = stripe_standin.signed_webhook(stripe_standin.events_of("charge.refunded")[-1]["id"])
    (event,) = stripe_gateway.parse_webhook(body, headers)
    assert (event.kind, event.transaction_id, event.amount) == (REFUNDED, paid.transaction_id, Decimal("2.34"))
    assert (event.refund_id, event.currency, event.reference) == (partial.refund_id, "USD", "pay-1")

    with pytest.raises(GatewayError) as info:
        stripe_gateway.refund(
            transaction_id=paid.transaction_id, amount=Decimal("10.01"), currency="USD", idempotency_key="refund-2"
        )
    assert info.value.kind == PERMANENT
    assert "greater than unrefunded amount" in info.value.message

    rest = stripe_gateway.refund(
        transaction_id=paid.transaction_id, amount=Decimal("10.00"), currency="USD", idempotency_key="refund-3"
    )
    assert rest.amount == Decimal("10.00")
    body, headers = stripe_standin.signed_webhook(stripe_standin.events_of("charge.refunded")[-1]["id"])
    events = stripe_gateway.parse_webhook(body, headers)
    # Every refund of the charge, each once by its id: what Moorage already has changes nothing there.
    assert {(e.refund_id, e.amount) for e in events} == {
        (partial.refund_id, Decimal("2.34")),
        (rest.refund_id, Decimal("10.00")),
    }
    assert len({e.event_id for e in events}) == 2
    assert stripe_standin.stripe.objects[stripe_standin.stripe.objects[paid.transaction_id]["latest_charge"]][
        "refunded"
    ]


def test_a_refund_in_another_currency_is_refused(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    start = stripe_gateway.start_checkout(checkout_request())
    stripe_standin.pay(start.provider_ref, SUCCESS)
    paid = stripe_gateway.fetch_checkout(start.provider_ref)
    with pytest.raises(GatewayError):
        stripe_gateway.refund(
            transaction_id=paid.transaction_id, amount=Decimal("1.00"), currency="EUR", idempotency_key="refund-x"
        )


# -- failures ------------------------------------------------------------------------------------------------
def test_a_wrong_secret_key_is_permanent(stripe_standin) -> None:  # noqa: ANN001
    gateway = stripe_gateway_for(stripe_standin, secret_key="sk_test_wrong")
    with pytest.raises(GatewayError) as info:
        gateway.start_checkout(checkout_request())
    assert info.value.kind == PERMANENT
    assert "Invalid API Key" in info.value.message


def test_no_secret_key_is_a_clear_error() -> None:
    with pytest.raises(GatewayError, match="secret key is not set"):
        StripeGateway({}).start_checkout(checkout_request())


def test_an_unknown_checkout_is_permanent(stripe_gateway) -> None:  # noqa: ANN001
    with pytest.raises(GatewayError) as info:
        stripe_gateway.fetch_checkout("cs_test_nope")
    assert info.value.kind == PERMANENT


def test_an_unreachable_stripe_is_transient(stripe_standin) -> None:  # noqa: ANN001
    gateway = stripe_gateway_for(stripe_standin)
    stripe_standin.stop()
    with pytest.raises(GatewayError) as info:
        gateway.start_checkout(checkout_request())
    assert info.value.kind == TRANSIENT


def test_a_server_error_is_unknown(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    method = saved_card(stripe_standin, stripe_gateway)
    stripe_standin.inject_fault(500, after=True)
    with pytest.raises(GatewayError) as info:
        stripe_gateway.charge_saved(charge_request(method))
    assert info.value.kind == UNKNOWN
    # The charge went through before the reply was lost; asking again with the same key finds it.
    assert stripe_gateway.charge_saved(charge_request(method)).status == PAID
    assert (
        len([o for o in stripe_standin.stripe.objects.values() if o["object"] == "charge" and o["amount"] == 2000]) == 1
    )


def test_the_sdk_retries_a_lost_reply_with_the_same_key(stripe_standin) -> None:  # noqa: ANN001
    gateway = stripe_gateway_for(stripe_standin)
    method = saved_card(stripe_standin, gateway)
    gateway.max_network_retries = 1
    gateway._stripe_client = None
    stripe_standin.inject_fault(0, after=True)  # applied, then the connection drops
    assert gateway.charge_saved(charge_request(method)).status == PAID
    assert [r for r in stripe_standin.stripe.requests if r == ("POST", "/v1/payment_intents")] == [
        ("POST", "/v1/payment_intents")
    ] * 2
    assert (
        len([o for o in stripe_standin.stripe.objects.values() if o["object"] == "charge" and o["amount"] == 2000]) == 1
    )


def test_other_events_are_ignored(stripe_standin, stripe_gateway) -> None:  # noqa: ANN001
    customer = stripe_standin.stripe.customer_create({"email": "x@example.com"})
    event = stripe_standin.stripe.emit("customer.created", customer)
    (parsed,) = stripe_gateway.parse_webhook(*stripe_standin.signed_webhook(event["id"]))
    assert (parsed.kind, parsed.event_id, parsed.raw_type) == (IGNORED, event["id"], "customer.created")


def test_the_module_is_found_through_its_entry_point() -> None:
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="moorage.gateways") if e.name == "stripe"]
    assert entry.value == "moorage.gateways.stripe:StripeGateway"
    gateway = StripeGateway({})
    assert (gateway.code, gateway.name, gateway.supports_saved_methods, gateway.supports_refunds) == (
        "stripe",
        "Credit Card",
        True,
        True,
    )
    secrets = {f.name for f in gateway.settings_fields if f.secret}
    assert secrets == {"secret_key", "webhook_secret"}
    assert "/payments/webhooks/stripe/" in gateway.webhook_help
