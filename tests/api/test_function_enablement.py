"""The REST API follows the client area's enablement rules: a Client Function the service's product
does not enable is refused with 403 `function_disabled` and its reason, whoever the token belongs to."""

from __future__ import annotations

import pytest

from moorage.catalog.models import Product
from tests.api.test_panel_objects_api import PANEL_ENDPOINTS
from tests.api.test_permissions import ENDPOINTS, call, token_for, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db

# Each service endpoint of a Client Function, and the function(s) that open it.
GUARDED = {
    ("POST", "/services/{active}/label"): "change_label",
    ("GET", "/services/{active}/logs"): "logs",
    ("POST", "/services/{active}/ownership"): "change_ownership",
    ("POST", "/services/{active}/renew"): "manual_renew",
    ("GET", "/services/{service}/upgrade-options"): "upgrades change_billing_cycle",
    ("POST", "/services/{service}/upgrades"): "change_billing_cycle",  # the matrix asks for the same product, yearly
    ("POST", "/services/{service}/cancellation"): "cancellation",
    ("GET", "/services/{service}/usage"): "usage metered_billing",
    ("GET", "/services/{service}/notes"): "service_notes",
    ("POST", "/services/{service}/notes"): "service_notes",
    ("GET", "/services/{service}/status-updates"): "status_updates",
    ("GET", "/services/{service}/auto-renewal"): "auto_renewal",
    ("PUT", "/services/{service}/auto-renewal"): "auto_renewal",
    ("GET", "/services/{service}/auto-payment"): "auto_payment",
    ("PUT", "/services/{service}/auto-payment"): "auto_payment",
}
CASES = [e for e in ENDPOINTS if (e.method, e.path) in GUARDED]


def test_every_guarded_endpoint_is_in_the_matrix():
    assert len(CASES) == len(GUARDED)
    assert PANEL_ENDPOINTS  # Databases, Emails and FTP Users are checked in test_panel_objects_api.py


@pytest.mark.parametrize("endpoint", CASES, ids=[f"{e.method} {e.path}" for e in CASES])
def test_a_function_the_product_does_not_enable_is_403_in_the_api(client, admin_user, world, now, endpoint):  # noqa: F811
    token = token_for(admin_user, now)
    codes = GUARDED[(endpoint.method, endpoint.path)].split()
    product = Product.objects.get(pk=world["product"])
    product.client_functions = [c for c in product.client_functions if c not in codes]
    product.save(update_fields=["client_functions"])
    response = call(client, token, endpoint, world)
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "function_disabled" and "not enabled" in body["message"]
