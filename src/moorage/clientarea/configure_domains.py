"""The product configure page's domain section: register or transfer a domain with the hosting, use
the client's own domain, or take a subdomain of a provider domain (see clientarea.configure).

The choice is checked here for the page's sake and again by checkout (`domains.checkout`), which is
what counts: prices come from the TLD, never from the form.
"""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.clientarea.configure import ConfigureSection
from moorage.core.errors import DomainError
from moorage.customers.models import Client
from moorage.domains.checkout import check_choice, check_owned, offered_tlds, options_of
from moorage.services.components import as_pairs

FIELDS = ("action", "name", "years", "auth_code", "parent")
TEMPLATE = "clientarea/_configure_domains.html"


def chosen_name(product: Product, data: QueryDict | None) -> str:
    """The domain name the posted choice gives the service's hostname ("" for none or a wrong choice):
    other services that need a hostname get it when the client typed no hostname of their own."""
    options = options_of(product)
    if data is None or options is None or not options.enabled:
        return ""
    choice = {k: v.strip() for k in FIELDS if (v := data.get(f"domain_{k}", "")[:253]).strip()}
    try:
        return check_choice(choice, product, options, prefix="")[1]
    except DomainError:
        return ""


def section(product: Product, data: QueryDict | None, client: Client | None) -> ConfigureSection:
    options = options_of(product)
    if options is None or not options.enabled:
        return ConfigureSection()
    actions = [("", _("No domain (I will give a hostname)")), ("register", _("Register a new domain"))]
    actions.append(("transfer", _("Transfer my domain to you")))
    if options.allow_own_domain:
        actions.append(("own", _("Use my own domain")))
    if options.offer_subdomain and options.parents:
        actions.append(("subdomain", _("Use a free subdomain")))
    posted = {k: (data.get(f"domain_{k}", "") if data is not None else "")[:253] for k in FIELDS}
    context = {
        "actions": actions,
        "tlds": offered_tlds(options),
        "parents": options.parents,
        "posted": posted,
        "only_registered_with_us": options.only_registered_with_us,
    }
    result = ConfigureSection(template=TEMPLATE, context=context)
    if data is None or not posted["action"]:
        return result
    choice = {k: v.strip() for k, v in posted.items() if v.strip()}
    try:
        action, name, _tld, _years = check_choice(choice, product, options, prefix="")
        if action == "own" and options.only_registered_with_us and client is not None:
            check_owned(client.pk, name, field="domain")
    except DomainError as exc:
        result.errors.append(exc.message)
        return result
    result.item_fields = {"domain": as_pairs(choice)}
    return result
