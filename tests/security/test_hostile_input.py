"""Hostile input outside the REST API: NUL characters, out-of-range ids and dates in query strings,
oversized bodies, and fuzzed text and numbers in the client area's and staff area's forms and the
product import. Nothing may answer 500 or leave half a record behind."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moorage.catalog.models import Product
from moorage.core.models import User
from moorage.customers.models import Client
from tests.admin.conftest import metering_rows, other_client, provisioning_rows, world  # noqa: F401
from tests.admin.test_pages import full_world  # noqa: F401
from tests.provisioning.conftest import connection, panel  # noqa: F401

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999"
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text a browser can send (it encodes in UTF-8, so no lone surrogates), with the nasty parts
# over-represented: NUL and other controls, right-to-left overrides, markup and SQL, very long runs.
NASTY = st.sampled_from(
    ["\x00", "\u202e", "\u200f", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\r\n", "ß", "١٢٣", "\ufeff"]
)
TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60),
    st.lists(NASTY, min_size=1, max_size=4).map("".join),
    st.sampled_from(["a" * 5000, HUGE, "-1", "1e309", "NaN", "0x10", ""]),
)
NUMBER = st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str), TEXT)


@pytest.fixture
def staff_browser(staff) -> Browser:  # noqa: ANN001
    browser = Browser(raise_request_exception=False)
    browser.force_login(staff)
    return browser


@pytest.fixture
def client_browser(client_account) -> Browser:  # noqa: ANN001
    browser = Browser(raise_request_exception=False)
    browser.force_login(client_account.user)
    return browser


# --- NUL characters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/admin/customers/client/?q=a%00b", "/admin/catalog/product/?q=%00", "/?next=%00", "/services/?status=%00"],
)
def test_nul_in_a_query_string_is_400(staff_browser, url):
    response = staff_browser.get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_nul_in_a_path_is_400(client_browser):
    assert client_browser.get("/order/sha%00red/").status_code == 400


def test_nul_in_a_form_field_is_400_and_nothing_is_stored(shared_page):
    browser = Browser(raise_request_exception=False)
    data = {"email": "new@example.com", "password": "Corr3ct-Horse", "password2": "Corr3ct-Horse"}
    data |= {"first_name": "Ja\x00ne", "last_name": "Doe", "country": "DE"}
    response = browser.post("/register/", data)
    assert response.status_code == 400
    assert not User.objects.filter(email="new@example.com").exists()


def test_nul_in_a_staff_form_is_400(staff_browser, shared_page):
    response = staff_browser.post("/admin/catalog/product/add/", {"name": "Bad\x00", "order_page": shared_page.pk})
    assert response.status_code == 400
    assert not Product.objects.filter(name__startswith="Bad").exists()


# --- Out-of-range ids and dates in query strings and paths ---------------------------------------

QUERIES = [
    {"id__exact": HUGE},
    {"client__id__exact": HUGE},
    {"service__id__exact": HUGE},
    {"product__id__exact": "-" + HUGE},
    {"p": HUGE},
    {"o": HUGE},
    {"run_date__year": HUGE},
    {"started_at__year": "0"},
    {"created_at__year": "9999", "created_at__month": "12", "created_at__day": "31"},
    {"taken_at__year": "2026", "taken_at__month": "13"},
    {"issue_date__year": "2026", "issue_date__month": "2", "issue_date__day": "31"},
    {"q": HUGE},
]


def test_out_of_range_filters_on_every_staff_list_never_fail(staff_browser, full_world):  # noqa: F811
    failures = []
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        info = (model._meta.app_label, model._meta.model_name)
        url = reverse("admin:{}_{}_changelist".format(*info))
        for query in QUERIES:
            status = staff_browser.get(url, query).status_code
            if status >= 500:
                failures.append((url, query, status))
        for pk in (HUGE, "-1", "1e3"):
            status = staff_browser.get(reverse("admin:{}_{}_change".format(*info), args=[pk])).status_code
            if status >= 500:
                failures.append((model._meta.label, pk, status))
    assert not failures


def test_a_date_filter_beyond_the_calendar_is_a_clear_400(staff_browser):
    response = staff_browser.get("/admin/automation/automationrun/", {"run_date__year": HUGE})
    assert response.status_code == 400 and b"run_date__year" in response.content
    response = staff_browser.get("/admin/customers/client/", {"created_at__year": "9999", "created_at__day": "31"})
    assert response.status_code == 400
    assert staff_browser.get("/admin/customers/client/", {"created_at__year": "2026"}).status_code == 200


def test_an_id_beyond_64_bits_in_a_query_string_is_400(client_browser):
    assert client_browser.get("/emails/", {"service": HUGE}).status_code == 400
    assert client_browser.get("/emails/", {"service": "-1"}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/services/{HUGE}/",
        f"/services/{HUGE}/usage/",
        f"/services/{HUGE}/upgrade/",
        f"/invoices/{HUGE}/",
        f"/invoices/{HUGE}/pdf/",
        f"/credit-notes/{HUGE}/",
        f"/emails/{HUGE}/",
        f"/orders/{HUGE}/complete/",
        f"/order/product/{HUGE}/",
        "/emails/?service=abc",
        f"/emails/?page={HUGE}",
    ],
)
def test_out_of_range_ids_in_client_pages_are_404(client_browser, path):
    for method in (client_browser.get, client_browser.post):
        assert method(path).status_code in (200, 302, 400, 404, 405), path


# --- Oversized bodies ---------------------------------------------------------------------------


def test_a_20_mb_form_body_is_400_not_500():
    browser = Browser(raise_request_exception=False)
    body = "email=a%40b.c&password=" + "x" * (20 * 1024 * 1024)
    response = browser.post("/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_a_20_mb_product_file_is_refused_by_the_form(staff_browser, shared_page):
    upload = SimpleUploadedFile("big.json", b" " * (20 * 1024 * 1024), content_type="application/json")
    response = staff_browser.post(
        reverse("admin:catalog_product_import"), {"file": upload, "order_page": shared_page.pk}
    )
    assert response.status_code == 200
    assert b"larger than" in response.content


def test_a_deeply_nested_product_file_is_refused_by_the_form(staff_browser, shared_page):
    upload = SimpleUploadedFile("deep.json", b"[" * 100_000 + b"]" * 100_000, content_type="application/json")
    response = staff_browser.post(
        reverse("admin:catalog_product_import"), {"file": upload, "order_page": shared_page.pk}
    )
    assert response.status_code == 200
    assert b"nested too deeply" in response.content


# --- Fuzzing the forms --------------------------------------------------------------------------


@FUZZ
@given(
    email=st.one_of(TEXT, st.emails().map(str)),
    password=TEXT,
    first=TEXT,
    last=TEXT,
    country=TEXT,
    phone=TEXT,
)
def test_registration_never_fails_and_never_half_registers(shared_page, email, password, first, last, country, phone):
    browser = Browser(raise_request_exception=False)
    data = {"email": email, "password": password, "password2": password, "first_name": first}
    data |= {"last_name": last, "country": country, "phone": phone, "address1": first, "city": last}
    response = browser.post("/register/", data)
    assert response.status_code in (200, 302, 400)
    assert User.objects.filter(is_staff=False).count() == Client.objects.count()


@FUZZ
@given(cycle=TEXT, hostname=TEXT, product=st.sampled_from(["starter", HUGE, "-1"]))
def test_configuring_a_product_never_fails(client_browser, starter, cycle, hostname, product):
    product_id = starter.pk if product == "starter" else product
    response = client_browser.post(f"/order/product/{product_id}/", {"cycle": cycle, "hostname": hostname})
    assert response.status_code in (200, 302, 400, 404)
    # Whatever went into the cart is readable by the cart page.
    assert client_browser.get("/cart/").status_code == 200


@FUZZ
@given(name=TEXT, code=TEXT, stock=NUMBER, limit=NUMBER, description=TEXT, tags=TEXT)
def test_the_staff_product_form_never_fails(staff_browser, shared_page, name, code, stock, limit, description, tags):
    before = Product.objects.count()
    data = {
        "name": name,
        "code": code,
        "order_page": shared_page.pk,
        "price_type": "free",
        "stock": stock,
        "limit_per_customer": limit,
        "description": description,
        "tags": tags,
    }
    response = staff_browser.post("/admin/catalog/product/add/", data)
    assert response.status_code in (200, 302, 400)
    assert Product.objects.count() in (before, before + 1)
    assert all(p.prices.count() == 0 for p in Product.objects.filter(price_type="free"))


@FUZZ
@given(email=TEXT, first=TEXT, last=TEXT, company=TEXT, group=NUMBER, status=TEXT)
def test_the_staff_client_form_never_fails(staff_browser, email, first, last, company, group, status):
    data = {"email": email, "first_name": first, "last_name": last, "organization": company}
    data |= {"group": group, "status": status, "country": "DE"}
    response = staff_browser.post("/admin/customers/client/add/", data)
    assert response.status_code in (200, 302, 400)
    assert User.objects.filter(is_staff=False).count() == Client.objects.count()


JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),  # lone surrogates included: JSON can carry them as \ud800
    NASTY,
)
JSON_VALUE = st.recursive(
    JSON_LEAF, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
)
PRODUCT_KEYS = ["name", "code", "description", "tags", "price_type", "stock", "limit_per_customer", "visible"]


@FUZZ
@given(
    fields=st.dictionaries(st.sampled_from(PRODUCT_KEYS), JSON_VALUE, max_size=6),
    prices=st.one_of(JSON_VALUE, st.lists(st.dictionaries(st.sampled_from(["cycle", "amount"]), JSON_VALUE))),
)
def test_the_product_import_never_fails(staff_browser, shared_page, fields, prices):
    before = Product.objects.count()
    doc = {"format": "moorage.product", "version": 1, "product": {"name": "Fuzz", **fields, "prices": prices}}
    upload = SimpleUploadedFile("p.json", json.dumps(doc).encode(), content_type="application/json")
    response = staff_browser.post(
        reverse("admin:catalog_product_import"), {"file": upload, "order_page": shared_page.pk}
    )
    assert response.status_code in (200, 302)
    created = Product.objects.count() - before
    assert created in (0, 1)
    if created:
        product = Product.objects.latest("id")
        assert "\x00" not in product.name + product.description + product.code + product.tags


@pytest.mark.parametrize(
    ("first_name", "message"),
    [("Jane\u202egnp.exe", "text-direction override"), ("Jane\x1b[2J", "control character"), ("Ja\x85ne", "control")],
)
def test_registration_refuses_control_and_direction_characters(shared_page, first_name, message):
    browser = Browser(raise_request_exception=False)
    data = {"email": "new@example.com", "password": "Corr3ct-Horse", "password2": "Corr3ct-Horse"}
    data |= {"first_name": first_name, "last_name": "Doe", "country": "DE"}
    response = browser.post("/register/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_right_to_left_name_is_welcome(shared_page):
    browser = Browser(raise_request_exception=False)
    data = {"email": "new@example.com", "password": "Corr3ct-Horse", "password2": "Corr3ct-Horse"}
    data |= {"first_name": "سارة", "last_name": "כהן", "country": "DE"}
    assert browser.post("/register/", data).status_code == 302
    assert Client.objects.get(user__email="new@example.com").first_name == "سارة"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/catalog/orderpage/add/?parent=abc",
        f"/admin/catalog/orderpage/add/?parent={HUGE}",
        "/admin/catalog/product/import/?order_page=abc",
        f"/admin/catalog/product/import/?order_page=-{HUGE}",
        f"/admin/customers/client/{HUGE}/status/",
        "/admin/customers/client/1e3/set-password/",
        "/admin/catalog/product/%F0%9F%92%A5/export/",
        f"/admin/orders/order/{HUGE}/cancel/",
        f"/admin/services/service/{HUGE}/status/",
    ],
)
def test_staff_pages_with_hostile_ids_are_4xx(staff_browser, shared_page, url):
    assert staff_browser.get(url).status_code in (200, 302, 400, 404)
    assert staff_browser.post(url, {"order_page": HUGE, "parent": HUGE}).status_code in (200, 302, 400, 404)
