"""This component's part of checkout (see moorage.services.components): the domain of a hosting item.

The item's domain choice is {"action": register|transfer|own|subdomain, "name", "years", "auth_code"}
("name" is the label for a subdomain, with "parent" among the product's subdomain parents). Register
and transfer are priced per TLD × years as a one-time "domain" line; the domain's own yearly renewals
are invoiced by the automation run, not with the service. The client's identity is not known to
`price` (it takes the item only), so the checks that need it ("only registered with us") run in
`place`, inside checkout's transaction, where they still undo the whole order.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.domains import actions, names
from moorage.domains.models import Domain, ProductDomainOptions, Tld
from moorage.services.components import CartComponent, CartItem, Charge
from moorage.services.models import Service

ACTIONS = ("register", "transfer", "own", "subdomain")
TAKEN_STATUSES = [s for s in Service.Status.values if s not in (Service.Status.CANCELLED, Service.Status.TERMINATED)]


def options_of(product: Product) -> ProductDomainOptions | None:
    return ProductDomainOptions.objects.filter(product=product).first()


def offered_tlds(options: ProductDomainOptions) -> list[Tld]:
    chosen = list(options.tlds.filter(visible=True))
    return chosen or list(Tld.objects.filter(visible=True))


def check_choice(
    choice: dict[str, str], product: Product, options: ProductDomainOptions | None, *, prefix: str
) -> tuple[str, str, Tld | None, int]:
    """Validate a domain choice against the product's options: (action, name, tld, years)."""
    action = (choice.get("action") or "").strip()
    field = prefix + "domain"
    if not action:
        return "", "", None, 0
    if action not in ACTIONS:
        raise DomainError(_("Choose how the domain is provided"), field=field, code="invalid_action")
    if options is None or not options.enabled:
        raise DomainError(_("%(name)s has no domain options") % {"name": product.name}, field=field, code="no_domains")
    raw = (choice.get("name") or "").strip()
    if len(raw) > 253:
        raise DomainError(_("The domain name is too long"), field=field, code="invalid_domain")
    if action in ("register", "transfer"):
        name, tld = actions.find_tld(raw, field=field, offered=offered_tlds(options))
        years = actions.check_years(tld, choice.get("years") or tld.min_years, field=prefix + "domain.years")
        actions.check_auth_code(action, choice.get("auth_code", ""), field=prefix + "domain.auth_code")
        actions.check_free_with_us(name, field=field)
        return action, name, tld, years
    if action == "own":
        if not options.allow_own_domain:
            raise DomainError(
                _("%(name)s cannot use your own domain") % {"name": product.name}, field=field, code="own_not_allowed"
            )
        try:
            name = names.normalize_domain(raw)
        except names.DomainNameError as exc:
            raise DomainError(_("Domain: %(error)s") % {"error": exc}, field=field, code="invalid_domain") from exc
        if any(name == p or name.endswith("." + p) for p in provider_parents()):
            # The provider's own zones are handed out as subdomains only (each checked as taken or not).
            raise DomainError(
                _("%(name)s belongs to our own domains; choose a subdomain instead") % {"name": name},
                field=field,
                code="own_is_provider_domain",
            )
        return action, name, None, 0
    if not options.offer_subdomain or not options.parents:
        raise DomainError(
            _("%(name)s offers no subdomain") % {"name": product.name}, field=field, code="subdomain_not_offered"
        )
    parent = (choice.get("parent") or options.parents[0]).strip().lower()
    if parent not in options.parents:
        raise DomainError(_("Choose one of the offered parent domains"), field=field, code="invalid_parent")
    try:
        name = names.subdomain(raw, parent)
    except names.DomainNameError as exc:
        raise DomainError(_("Subdomain: %(error)s") % {"error": exc}, field=field, code="invalid_subdomain") from exc
    if Service.objects.filter(hostname=name, status__in=TAKEN_STATUSES).exists():
        raise DomainError(_("%(name)s is taken") % {"name": name}, field=field, code="subdomain_taken")
    return action, name, None, 0


def provider_parents() -> set[str]:
    """Every parent domain any product offers subdomains of."""
    rows = ProductDomainOptions.objects.exclude(subdomain_parents="").values_list("subdomain_parents", flat=True)
    return {p.strip().lower().strip(".") for raw in rows for p in raw.splitlines() if p.strip()}


def check_not_someone_elses(client_id: int, name: str, *, field: str) -> None:
    """An own domain that is another client's live domain with us is not this client's to host."""
    if Domain.objects.filter(name=name, status__in=Domain.LIVE).exclude(client_id=client_id).exists():
        raise DomainError(
            _("%(name)s is already registered with us") % {"name": name}, field=field, code="domain_taken"
        )


def check_owned(client_id: int, name: str, *, field: str) -> None:
    """ "Only if domain was/will be registered with us": the client's live domain of that name (one
    registered earlier, or one an earlier item of this cart registers)."""
    if not Domain.objects.filter(client_id=client_id, name=name, status__in=Domain.LIVE).exists():
        raise DomainError(
            _("%(name)s must be a domain registered with us (or ordered in this cart before this item)")
            % {"name": name},
            field=field,
            code="not_registered_with_us",
        )


class DomainComponent(CartComponent):
    code = "domains"

    def price(self, item: CartItem, product: Product, cycle: str, *, index: int) -> list[Charge]:
        choice = item.domain_choice
        if not choice.get("action"):
            return []
        prefix = f"items[{index}]."
        action, name, tld, years = check_choice(choice, product, options_of(product), prefix=prefix)
        if action not in ("register", "transfer") or tld is None:
            return []
        amount = tld.price(action) * years
        return [
            Charge(
                line_kind="domain",
                description=actions.domain_line(action, name, years, amount),
                amount=amount,
                source=f"domain:{name}",
                periodic=False,
            )
        ]

    def place(
        self,
        *,
        item: CartItem,
        service: Service,
        charges: list[Charge],
        order_id: int,
        now: dt.datetime,
        actor: User | None,
    ) -> None:
        product = service.product
        options = options_of(product)
        choice = item.domain_choice
        hostname = ""
        if choice.get("action"):
            prefix = "items[?]."
            action, name, tld, years = check_choice(choice, product, options, prefix=prefix)
            if action == "own":
                check_not_someone_elses(service.client_id, name, field=prefix + "domain")
            if action == "own" and options is not None and options.only_registered_with_us:
                check_owned(service.client_id, name, field=prefix + "domain")
            if action in ("register", "transfer") and tld is not None:
                actions.create_pending(
                    client=service.client,
                    name=name,
                    tld=tld,
                    action=action,
                    years=years,
                    auth_code=actions.check_auth_code(action, choice.get("auth_code", ""), field="auth_code"),
                    now=now,
                    service_id=service.pk,
                    field=prefix + "domain",
                )
            hostname = name
        elif not service.hostname and options is not None and options.auto_hostname:
            hostname = generate_hostname(options, service)
        if hostname and hostname != service.hostname:
            # Checkout copies the service's hostname to its order item after `place`.
            service.hostname = hostname
            service.save(update_fields=["hostname"])

    def fulfil(self, *, service: Service, now: dt.datetime, paid_on: dt.date, actor: User | None) -> None:
        for domain in Domain.objects.filter(service=service, status=Domain.Status.PENDING).order_by("pk"):
            actions.start_order_job(domain, now=now, actor=actor)


def provides_hostname(product: Product, item: CartItem) -> bool:
    """True when this component will set the service's hostname in `place` (a domain choice, or the
    product's auto-generated hostname), so checkout does not ask the client for one."""
    if item.domain_choice.get("action"):
        return True
    options = options_of(product)
    return options is not None and options.auto_hostname


def generate_hostname(options: ProductDomainOptions, service: Service, *, tries: int = 5) -> str:
    """A hostname from the product's pattern, unused by any live service (a new {random} per try)."""
    pattern = options.hostname_pattern or "{client_id}-{random}.example-hosting.net"
    for _try in range(tries):
        try:
            name = names.render_pattern(
                pattern,
                client_id=service.client_id,
                service_id=service.pk,
                product_code=service.product.code or f"p{service.product_id}",
                random=names.random_part(),
            )
        except names.DomainNameError as exc:
            raise DomainError(
                _("The product's hostname pattern is invalid: %(error)s") % {"error": exc},
                field="hostname",
                code="invalid_hostname_pattern",
            ) from exc
        if not Service.objects.filter(hostname=name, status__in=TAKEN_STATUSES).exclude(pk=service.pk).exists():
            return name
    raise DomainError(_("No free hostname could be generated"), field="hostname", code="hostname_exhausted")


COMPONENT = DomainComponent()
