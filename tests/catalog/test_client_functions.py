"""The Client Functions registry and the one question every face asks."""

from __future__ import annotations

import pytest

from moorage.catalog import client_functions as cf
from moorage.core.errors import PermissionDenied


def test_every_function_of_the_description_is_listed_once():
    assert len(cf.CODES) == len(set(cf.CODES))
    labels = {f.label for f in cf.FUNCTIONS}
    for label in (
        "Access Control Panel",
        "Change Label",
        "Change Ownership",
        "Databases",
        "Emails",
        "FTP Users",
        "Logs",
        "Manual Service Renew",
        "New Direct Link",
        "Service Auto Renewal",
        "Status Updates",
        "Service Auto Payment",
        "Downloads",
        "Contracts",
        "Edit Forms",
        "Access WebMail",
        "Reverse DNS",
    ):
        assert label in labels, label


def test_not_applicable_functions_cannot_be_enabled():
    for code in ("webmail", "manage_ip", "reverse_dns"):
        with pytest.raises(ValueError, match="not applicable"):
            cf.clean_enabled([code])
        assert "not applicable" in cf.refusal(list(cf.CODES), code)
    with pytest.raises(ValueError, match="unknown"):
        cf.clean_enabled(["format_disk"])
    assert cf.clean_enabled(["logs", "databases", "logs"]) == ["databases", "logs"]


def test_refusal_names_the_reason(starter):
    starter.client_functions = ["databases"]
    assert starter.client_function_refusal("databases") is None
    assert "not enabled" in starter.client_function_refusal("emails")
    assert "not enabled" in starter.client_function_refusal("edit_forms")
    with pytest.raises(PermissionDenied) as err:
        starter.require_client_function("emails")
    assert err.value.status == 403 and err.value.code == "function_disabled"


def test_a_new_product_offers_every_function_that_applies_and_exists(starter):
    assert set(starter.client_functions) == set(cf.DEFAULT_ENABLED)
    assert "webmail" not in starter.client_functions
    # Order forms and contracts exist now: new products offer Edit Forms and Contracts (each shows only
    # when the service has answers or acceptances).
    assert "edit_forms" in starter.client_functions and "contracts" in starter.client_functions
