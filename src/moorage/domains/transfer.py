"""The product export/import section "domain_options" (catalog.transfer): a product's domain options."""

from __future__ import annotations

from typing import Any

from moorage.catalog.models import Product
from moorage.core.errors import DomainError
from moorage.domains import names
from moorage.domains.models import ProductDomainOptions, Tld

KEY = "domain_options"
BOOLS = ("enabled", "allow_own_domain", "only_registered_with_us", "offer_subdomain", "auto_hostname")


def export(product: Product) -> dict[str, Any] | None:
    options = ProductDomainOptions.objects.filter(product=product).first()
    if options is None:
        return None
    data: dict[str, Any] = {name: getattr(options, name) for name in BOOLS}
    data["tlds"] = sorted(options.tlds.values_list("name", flat=True))
    data["subdomain_parents"] = options.parents
    data["hostname_pattern"] = options.hostname_pattern
    return data


def _fail(path: str, message: str) -> DomainError:
    return DomainError(f"{path}: {message}", field=path, code="invalid_import")


def parse(value: Any, path: str) -> dict[str, Any] | None:
    """The section checked and clean; writes nothing. TLDs must exist on this installation."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(path, "must be an object")
    for key in value:
        if key not in (*BOOLS, "tlds", "subdomain_parents", "hostname_pattern"):
            raise _fail(f"{path}.{str(key)[:50]}", "unknown key")
    clean: dict[str, Any] = {}
    for name in BOOLS:
        # A key the file leaves out keeps the setting's default, as on a new product.
        raw = value.get(name, ProductDomainOptions._meta.get_field(name).default)
        if not isinstance(raw, bool):
            raise _fail(f"{path}.{name}", "must be true or false")
        clean[name] = raw
    tlds = value.get("tlds", [])
    if not isinstance(tlds, list) or not all(isinstance(t, str) for t in tlds):
        raise _fail(f"{path}.tlds", "must be a list of TLD names")
    known = set(Tld.objects.filter(name__in=tlds).values_list("name", flat=True))
    missing = sorted(set(tlds) - known)
    if missing:
        raise _fail(f"{path}.tlds", f"no such TLD here: {', '.join(missing)}")
    clean["tlds"] = sorted(set(tlds))
    parents = value.get("subdomain_parents", [])
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise _fail(f"{path}.subdomain_parents", "must be a list of domain names")
    try:
        clean["subdomain_parents"] = [names.normalize_domain(p) for p in parents]
    except names.DomainNameError as exc:
        raise _fail(f"{path}.subdomain_parents", str(exc)) from exc
    pattern = value.get("hostname_pattern", ProductDomainOptions._meta.get_field("hostname_pattern").default)
    if not isinstance(pattern, str) or len(pattern) > 200:
        raise _fail(f"{path}.hostname_pattern", "must be a text of at most 200 characters")
    if pattern:
        try:
            names.render_pattern(pattern, client_id=1, service_id=1, product_code="p", random="a1b2c3d4")
        except names.DomainNameError as exc:
            raise _fail(f"{path}.hostname_pattern", str(exc)) from exc
    clean["hostname_pattern"] = pattern
    return clean


def apply(product: Product, clean: dict[str, Any] | None) -> None:
    if clean is None:
        return
    fields = {name: clean[name] for name in BOOLS}
    fields["subdomain_parents"] = "\n".join(clean["subdomain_parents"])
    fields["hostname_pattern"] = clean["hostname_pattern"]
    options, _created = ProductDomainOptions.objects.update_or_create(product=product, defaults=fields)
    options.tlds.set(Tld.objects.filter(name__in=clean["tlds"]))
