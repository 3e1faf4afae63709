"""Fuzzing the REST API v1 with schemathesis, through WSGI, as an authenticated staff user.

Every operation of /api/v1/openapi.json gets generated requests, valid ones (positive) and ones that
break the schema (negative); each answer must be no 5xx (not_a_server_error), a status the
operation documents (status_code_conformance) and a body as documented
(response_schema_conformance). Runs are derandomized (the same examples every run) and bounded.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from moorage.api.actions import api_token_create
from moorage.wsgi import application

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Examples per operation and mode: 9 operations x 3 modes x this stay under a minute.
MAX_EXAMPLES = 15


def load_schema():  # noqa: ANN201
    # The document is for staff by default (MOORAGE_API_DOCS); the fuzzer reads it as the public would.
    with override_settings(MOORAGE_API_DOCS="public"):
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


# The document needs no database, so the operations are known when the tests are collected.
OPERATIONS = sorted(result.ok().label for result in load_schema().get_all_operations())


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) >= 9, OPERATIONS
    assert "POST /api/v1/orders" in OPERATIONS and "POST /api/v1/invoices/{invoice_id}/payments" in OPERATIONS


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection when a request ends; the test's transaction
    lives on that connection, so (as Django's own test client does) the closing is switched off."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def rows(staff, now, shared_page, client_account, keep_test_connection):
    """A catalog, a client and an unpaid order: the ids that "known ids" runs aim at."""
    from tests.factories import checkout

    starter = shared_page.products.get(code="starter")
    order = checkout(client_account, starter, now=now)
    return {
        "client_id": client_account.pk,
        "product_id": starter.pk,
        "order_id": order.pk,
        "invoice_id": order.invoice_id,
        "service_id": order.items.get().service_id,
        "order_page_id": shared_page.pk,
        "transfer_id": 1,  # no Change Ownership request yet: the lookup's documented 404
    }


@pytest.fixture
def token(staff, now, rows):
    return api_token_create(user=staff, now=now, actor=staff)[1]


def aim_at_rows(rows: dict, emails: Iterator[int]):  # noqa: ANN201
    """Point a generated valid request at existing rows (random ids almost never exist), so that its
    other generated values (text, amounts, notes) get past the lookups to the actions and the database."""

    def aim(case):  # noqa: ANN001, ANN202
        for name in case.path_parameters or {}:
            case.path_parameters[name] = rows.get(name, case.path_parameters[name])  # ids only, not names
        body = case.body
        if isinstance(body, dict):
            if "client_id" in body:
                body["client_id"] = rows["client_id"]
            if "items" in body:
                body["items"] = (body["items"] or [{}])[:3]
                for item in body["items"]:
                    item.update(product_id=rows["product_id"], cycle="monthly", hostname="fuzz.example")
            if "email" in body:
                body.update(email=f"fuzz{next(emails)}@example.com", status="active", group=None, custom_fields={})
                body.update(first_name=body.get("first_name") or "F", last_name=body.get("last_name") or "L")
                body.update(country="", account_type="")
            if "transaction_id" in body:
                body.pop("currency", None)
        return case

    return aim


@pytest.mark.parametrize("mode", ["positive", "negative", "positive, known ids"])
@pytest.mark.parametrize("label", OPERATIONS)
def test_fuzzed_requests_get_documented_answers_and_no_5xx(label, mode, token, rows):
    operation = load_schema().find_operation_by_label(label)
    assert operation is not None
    strategy = operation.as_strategy(generation_mode=GenerationMode(mode.split(",")[0]))
    if mode.endswith("known ids"):
        strategy = strategy.map(aim_at_rows(rows, itertools.count()))

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:  # noqa: ANN001
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    check()
