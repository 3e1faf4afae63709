"""REST API orders with product components: order-form answers, add-ons, a domain, other services,
a promotional code and contracts; the components read endpoints; idempotency and hostile payloads."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from moorage.addons.models import Addon, AddonPrice, ServiceAddon
from moorage.api.actions import api_token_create
from moorage.contracts.actions import contract_version_add
from moorage.contracts.models import Acceptance, ContractTemplate, ProductContract
from moorage.domains.models import Domain, ProductDomainOptions, Tld
from moorage.orderforms.models import ServiceFormAnswer
from moorage.orders.models import Order
from moorage.promotions.models import PromoCode, Redemption
from moorage.services.models import Service
from tests import factories
from tests.orderforms.helpers import formed_product

pytestmark = pytest.mark.django_db

ANSWERS = {"support": "prio", "disk": 4, "backup": True, "notes": "hello"}


@pytest.fixture(autouse=True)
def _clock(settings):  # noqa: ANN001, ANN202
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"


@pytest.fixture
def token(staff, now):  # noqa: ANN001, ANN201
    return api_token_create(user=staff, now=now, actor=staff)[1]


@pytest.fixture
def api(client, token):  # noqa: ANN001, ANN201
    class Api:
        def get(self, path):  # noqa: ANN001, ANN202
            return client.get("/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {token}")

        def post(self, path, data, **headers):  # noqa: ANN001, ANN003, ANN202
            return client.post(
                "/api/v1" + path,
                json.dumps(data),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                **headers,
            )

    return Api()


@pytest.fixture
def formed(shared_page, now):  # noqa: ANN001, ANN201
    return formed_product(shared_page, now=now)


@pytest.fixture
def disk(starter):  # noqa: ANN001, ANN201
    addon = Addon.objects.create(name="Extra disk", code="disk10", limits={"limit_quota": 10240})
    AddonPrice.objects.create(addon=addon, cycle="monthly", amount=Decimal("3.10"), setup_fee=Decimal("1.00"))
    addon.products.set([starter])
    return addon


@pytest.fixture
def ssl(shared_page, starter):  # noqa: ANN001, ANN201
    ssl = factories.product(shared_page, name="SSL Certificate", prices={"annually": "20.00"}, setup_fee="5.00")
    backup = factories.product(
        shared_page, name="Backup", prices={"one_time": "3.00"}, price_type="one_time", hostname_required=False
    )
    starter.other_products.set([ssl, backup])
    return ssl


@pytest.fixture
def com(db):  # noqa: ANN001, ANN201
    return Tld.objects.create(
        name="com",
        registrar="fake",
        register_price=Decimal("12.00"),
        transfer_price=Decimal("10.00"),
        renew_price=Decimal("14.00"),
        min_years=1,
        max_years=5,
    )


@pytest.fixture
def with_domains(starter, com):  # noqa: ANN001, ANN201
    ProductDomainOptions.objects.create(product=starter, enabled=True, allow_own_domain=True)
    return starter


@pytest.fixture
def terms(starter, now):  # noqa: ANN001, ANN201
    template = ContractTemplate.objects.create(name="Hosting terms", code="hosting-terms", created_at=now)
    contract_version_add(template_id=template.pk, text="Be nice.", publish=True, now=now, actor=None)
    ProductContract.objects.create(product=starter, template=template)
    return template


def item(product, **extra):  # noqa: ANN001, ANN003, ANN201
    return {"product_id": product.pk, "cycle": "monthly", "hostname": "shop.example.com", **extra}


def order(api, client_account, *items, **extra):  # noqa: ANN001, ANN002, ANN003, ANN201
    return api.post("/orders", {"client_id": client_account.pk, "items": list(items), **extra})


def line_kinds(body: dict) -> list[str]:
    return [ln["kind"] for ln in body["invoice"]["lines"]]


# --- Reading what a product offers ---


def test_product_components_list_form_addons_other_products_domain_and_contracts(
    api, formed, starter, disk, ssl, with_domains, terms
):
    body = api.get(f"/products/{starter.pk}/components").json()
    assert [a["id"] for a in body["addons"]] == [disk.pk]
    assert body["addons"][0]["prices"] == [{"cycle": "monthly", "amount": "3.10", "setup_fee": "1.00"}]
    assert {p["name"] for p in body["other_products"]} == {"SSL Certificate", "Backup"}
    assert body["domain"]["enabled"] and [t["name"] for t in body["domain"]["tlds"]] == ["com"]
    assert body["contracts"] == [{"template": "Hosting terms", "code": "hosting-terms", "version": 1}]
    assert body["form"] == []

    form = api.get(f"/products/{formed.pk}/components").json()
    codes = [f["code"] for f in form["form"]]
    assert "support" in codes and "disk" in codes
    support = next(f for f in form["form"] if f["code"] == "support")
    assert support["required"] and [o["value"] for o in support["options"]] == ["std", "prio"]
    assert form["addons"] == [] and form["other_products"] == [] and form["domain"] is None
    assert form["contracts"] == []


def test_components_of_an_unknown_product_or_service_are_404(api):
    assert api.get("/products/999999/components").status_code == 404
    assert api.get("/services/999999/components").status_code == 404


# --- Ordering with each component ---


def test_order_form_answers_are_priced_stored_and_readable(api, client_account, formed):
    resp = order(api, client_account, item(formed, form=ANSWERS))
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert "option" in line_kinds(body)
    service_id = body["items"][0]["service"]["id"]
    stored = dict(ServiceFormAnswer.objects.filter(service_id=service_id).values_list("code", "value"))
    assert stored["support"] == "prio" and stored["disk"] == "4" and stored["backup"] == "1"
    read = api.get(f"/services/{service_id}/components").json()
    assert {"code": "support", "label": "Support", "value": "prio"} in read["form"]


def test_order_form_refusals_name_the_field_path(api, client_account, formed, unchanged):
    with unchanged():
        resp = order(api, client_account, item(formed, form={"disk": 4}))
        assert resp.status_code == 400
        assert resp.json()["field"] == "items[0].form.support"
        resp = order(api, client_account, item(formed, form={**ANSWERS, "nope": "1"}))
        assert (resp.status_code, resp.json()["field"], resp.json()["code"]) == (
            400,
            "items[0].form.nope",
            "unknown_field",
        )
        resp = order(api, client_account, item(formed, form={**ANSWERS, "disk": 51}))
        assert resp.json()["field"] == "items[0].form.disk" and resp.json()["message"]


def test_addons_are_billed_and_readable(api, client_account, starter, disk):
    resp = order(api, client_account, item(starter, addons=[disk.pk]))
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert line_kinds(body).count("addon") >= 1
    service_id = body["items"][0]["service"]["id"]
    read = api.get(f"/services/{service_id}/components").json()
    assert [(a["addon_id"], a["recurring_amount"]) for a in read["addons"]] == [(disk.pk, "3.10")]


def test_an_addon_of_another_product_is_refused(api, client_account, shared_page, starter, disk, unchanged):
    other = factories.product(shared_page, name="Other plan")
    foreign = Addon.objects.create(name="Foreign", code="foreign")
    AddonPrice.objects.create(addon=foreign, cycle="monthly", amount=Decimal("1.00"))
    foreign.products.set([other])
    with unchanged():
        for ids in ([foreign.pk], [999999], [disk.pk, foreign.pk]):
            resp = order(api, client_account, item(starter, addons=ids))
            assert resp.status_code == 400, ids
            assert resp.json()["field"] == "items[0].addons"
    assert not ServiceAddon.objects.exists()


def test_domain_registration_is_billed_and_the_auth_code_never_echoed(api, client_account, with_domains):
    resp = order(
        api, client_account, item(with_domains, domain={"action": "register", "name": "fresh.com", "years": 2})
    )
    assert resp.status_code == 201, resp.json()
    lines = [ln for ln in resp.json()["invoice"]["lines"] if ln["kind"] == "domain"]
    assert [ln["amount"] for ln in lines] == ["24.00"]
    assert Domain.objects.filter(name="fresh.com", client=client_account).exists()

    resp = order(
        api,
        client_account,
        item(
            with_domains,
            hostname="moved.example.com",
            domain={"action": "transfer", "name": "moved.com", "auth_code": "s3cret-AUTH-code"},
        ),
    )
    assert resp.status_code == 201, resp.json()
    assert "s3cret-AUTH-code" not in resp.content.decode()
    order_id = resp.json()["id"]
    assert "s3cret-AUTH-code" not in api.get(f"/orders/{order_id}").content.decode()


def test_domain_refusals_name_the_field(api, client_account, starter, with_domains, unchanged):
    with unchanged():
        resp = order(api, client_account, item(starter, domain={"action": "register", "name": "x.invalidtld"}))
        assert resp.status_code == 400 and resp.json()["field"] == "items[0].domain"
        resp = order(api, client_account, item(starter, domain={"action": "register", "name": "a.com", "years": 9}))
        assert resp.status_code == 400 and resp.json()["field"] == "items[0].domain.years"
        resp = order(api, client_account, item(starter, domain={"action": "subdomain", "name": "me"}))
        assert resp.status_code == 400 and resp.json()["code"] == "subdomain_not_offered"


def test_other_products_become_their_own_orders_with_invoices(api, client_account, starter, ssl):
    backup = starter.other_products.get(name="Backup")
    resp = order(
        api,
        client_account,
        item(
            starter,
            other_products=[{"product_id": ssl.pk, "cycle": "annually"}, {"product_id": backup.pk}],
        ),
    )
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert [it["product_id"] for it in body["items"]] == [starter.pk]
    others = body["other_orders"]
    assert [o["items"][0]["product_id"] for o in others] == [ssl.pk, backup.pk]
    assert [o["invoice"]["total"] for o in others] == ["25.00", "3.00"]
    assert others[0]["items"][0]["hostname"] == "shop.example.com"
    assert Order.objects.count() == 3
    assert api.get(f"/orders/{body['id']}").json()["other_orders"] == others


def test_other_products_not_offered_or_with_a_wrong_cycle_are_refused(
    api, client_account, shared_page, starter, ssl, unchanged
):
    stranger = factories.product(shared_page, name="Not offered")
    with unchanged():
        resp = order(api, client_account, item(starter, other_products=[{"product_id": stranger.pk}]))
        assert (resp.status_code, resp.json()["field"]) == (400, "items[0].other_products[0].product_id")
        resp = order(api, client_account, item(starter, other_products=[{"product_id": starter.pk}]))
        assert resp.status_code == 400
        resp = order(
            api,
            client_account,
            item(starter),
            item(starter, other_products=[{"product_id": ssl.pk, "cycle": "weekly"}]),
        )
        assert resp.status_code == 400
        assert resp.json()["field"] == "items[1].other_products[0].cycle"
        twice = [{"product_id": ssl.pk, "cycle": "annually"}] * 2
        resp = order(api, client_account, item(starter, other_products=twice))
        assert (resp.status_code, resp.json()["code"]) == (400, "duplicate")


def test_promo_code_adds_a_discount_line_and_records_one_redemption(api, client_account, starter, now):
    PromoCode.objects.create(code="SAVE10", value=Decimal("10"), created_at=now)
    resp = order(api, client_account, item(starter), promo_code="save10")
    assert resp.status_code == 201, resp.json()
    assert "discount" in line_kinds(resp.json())
    assert Redemption.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (None, "promo_unknown"),
        ({"active": False}, "promo_inactive"),
        ({"valid_from": dt.date(2026, 1, 16)}, "promo_not_yet_valid"),
        ({"valid_until": dt.date(2026, 1, 14)}, "promo_expired"),
        ({"max_uses": 3, "uses": 3}, "promo_used_up"),
        ({"cycles": ["annually"]}, "promo_not_for_cycles"),
    ],
)
def test_promo_refusals_name_promo_code_and_their_reason(api, client_account, starter, now, unchanged, fields, code):
    if fields is not None:
        PromoCode.objects.create(code="SAVE10", value=Decimal("10"), created_at=now, **fields)
    with unchanged():
        resp = order(api, client_account, item(starter), promo_code="SAVE10")
    assert resp.status_code == 400
    assert (resp.json()["field"], resp.json()["code"]) == ("promo_code", code)
    assert resp.json()["message"]


def test_a_contract_must_be_accepted(api, client_account, starter, terms, unchanged):
    with unchanged():
        resp = order(api, client_account, item(starter))
    assert resp.status_code == 400
    assert (resp.json()["field"], resp.json()["code"]) == ("accept_contracts", "contract_not_accepted")
    assert "Hosting terms" in resp.json()["message"]
    resp = order(api, client_account, item(starter), accept_contracts=True)
    assert resp.status_code == 201, resp.json()
    assert Acceptance.objects.filter(client=client_account).count() == 1


def test_the_same_idempotency_key_twice_places_one_set_of_orders(api, client_account, starter, ssl, disk, now):
    PromoCode.objects.create(code="SAVE10", value=Decimal("10"), created_at=now)
    payload = {
        "client_id": client_account.pk,
        "items": [item(starter, addons=[disk.pk], other_products=[{"product_id": ssl.pk, "cycle": "annually"}])],
        "promo_code": "SAVE10",
    }
    first = api.post("/orders", payload, HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post("/orders", payload, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert Order.objects.count() == 2 and Service.objects.count() == 2
    assert Redemption.objects.count() == 1 and ServiceAddon.objects.count() == 1
    changed = {**payload, "promo_code": ""}
    resp = api.post("/orders", changed, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (resp.status_code, resp.json()["code"]) == (409, "idempotency_key_reused")


def test_a_refused_checkout_leaves_the_key_for_a_corrected_retry(api, client_account, starter, terms):
    payload = {"client_id": client_account.pk, "items": [item(starter)]}
    assert api.post("/orders", payload, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 400
    resp = api.post("/orders", {**payload, "accept_contracts": True}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert resp.status_code == 201


# --- Hostile payloads: refused with 422 naming the field, nothing written ---


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"form": {f"f{i}": "x" for i in range(101)}}, "items.0.form"),
        ({"form": {"notes": "x" * 5001}}, "items.0.form.notes"),
        ({"form": {"bad code!": "x"}}, "items.0.form"),
        ({"form": {"notes": "a\x00b"}}, "items.0.form.notes"),
        ({"form": {"notes": ["list"]}}, "items.0.form.notes"),
        ({"form": {"disk": -1}}, "items.0.form.disk"),
        ({"addons": list(range(1, 52))}, "items.0.addons"),
        ({"addons": [0]}, "items.0.addons.0"),
        ({"addons": ["abc"]}, "items.0.addons.0"),
        ({"domain": {"action": "steal", "name": "a.com"}}, "items.0.domain.action"),
        ({"domain": {"action": "register", "name": "a.com", "years": 0}}, "items.0.domain.years"),
        ({"domain": {"action": "register", "name": "a" * 254}}, "items.0.domain.name"),
        ({"domain": {"action": "transfer", "name": "a.com", "auth_code": "x" * 256}}, "items.0.domain.auth_code"),
        ({"domain": {"action": "register", "name": "a.com", "extra": 1}}, None),
        ({"other_products": [{"product_id": 1}] * 21}, "items.0.other_products"),
        ({"other_products": [{"product_id": -5}]}, "items.0.other_products.0.product_id"),
    ],
)
def test_hostile_item_components_are_refused(api, client_account, starter, unchanged, extra, field):
    with unchanged():
        resp = order(api, client_account, item(starter, **extra))
    if field is None:  # unknown keys are ignored like everywhere in the API, but nothing hostile passes
        assert resp.status_code in (400, 422)
        return
    assert resp.status_code == 422, resp.json()
    assert resp.json()["field"].startswith(field), resp.json()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"promo_code": "x" * 65}, "promo_code"),
        ({"promo_code": "A\x00"}, "promo_code"),
        ({"accept_contracts": "maybe"}, "accept_contracts"),
    ],
)
def test_hostile_order_fields_are_refused(api, client_account, starter, unchanged, extra, field):
    with unchanged():
        resp = order(api, client_account, item(starter), **extra)
    assert resp.status_code == 422
    assert resp.json()["field"] == field
