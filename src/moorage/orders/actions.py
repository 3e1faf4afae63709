"""Checkout (cart → order, services, first invoice) and what happens when an order is paid."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from moorage.billing.actions import LineSpec, apply_credit, cancel_invoice, issue_invoice
from moorage.billing.dates import first_invoice_due
from moorage.billing.models import Invoice, InvoiceLine
from moorage.catalog.hostname import HostnameError
from moorage.catalog.hostname import validate as validate_hostname
from moorage.catalog.models import BillingDefaults, Price, Product, product_setting
from moorage.contracts import checkout as contracts
from moorage.core.actions import audit, next_number
from moorage.core.clock import local_date
from moorage.core.cycles import CYCLE_LABELS, Cycle, first_of_next_month, period_end
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.customers.models import Client
from moorage.domains.checkout import provides_hostname
from moorage.notifications.actions import notify, notify_staff
from moorage.orders.components import components
from moorage.orders.models import Order, OrderItem
from moorage.promotions import checkout as promotions
from moorage.provisioning.actions import request_create
from moorage.provisioning.registry import is_active
from moorage.services import actions as service_steps
from moorage.services import lifecycle
from moorage.services.components import CartItem, Charge, PricedItem
from moorage.services.locks import lock_row, lock_rows
from moorage.services.models import Service, ServiceComponent

COUNTED_STATUSES = [s for s in Service.Status.values if s not in (Service.Status.CANCELLED, Service.Status.TERMINATED)]


def price_item(item: CartItem, *, index: int = 0) -> PricedItem:
    """Check one cart item against the catalog; raise DomainError naming the field at fault."""
    prefix = f"items[{index}]."
    product = Product.objects.select_related("order_page", "order_page__parent").filter(pk=item.product_id).first()
    if product is None:
        raise DomainError(_("no such product"), field=prefix + "product", code="not_found")
    page = product.order_page
    if not product.visible or not page.visible or (page.parent_id and not page.parent.visible):
        raise DomainError(
            _("%(name)s is not available for order") % {"name": product.name},
            field=prefix + "product",
            code="product_hidden",
        )
    metered = product.price_type == Product.PriceType.METERED
    if product.stock_enabled and product.stock < 1:
        raise DomainError(
            _("%(name)s is out of stock") % {"name": product.name}, field=prefix + "product", code="out_of_stock"
        )
    if product.price_type == Product.PriceType.FREE:
        cycle, amount, setup = Cycle.ONE_TIME.value, Decimal("0.00"), Decimal("0.00")
    elif metered and item.cycle in ("", Cycle.MONTHLY) and not product.prices.exists():
        # Billed by usage alone: monthly periods, no base price, no setup fee (metering's prices).
        cycle, amount, setup = Cycle.MONTHLY.value, Decimal("0.00"), Decimal("0.00")
    else:
        wanted = Cycle.ONE_TIME.value if product.price_type == Product.PriceType.ONE_TIME else item.cycle
        price = Price.objects.filter(product=product, cycle=wanted).first()
        if price is None or (metered and price.cycle == Cycle.ONE_TIME):
            offered = ", ".join(CYCLE_LABELS[Cycle(p)] for p in product.prices.values_list("cycle", flat=True))
            raise DomainError(
                _("%(name)s is not offered with the billing cycle %(cycle)s; offered: %(offered)s")
                % {"name": product.name, "cycle": item.cycle or "(none)", "offered": offered},
                field=prefix + "cycle",
                code="invalid_cycle",
            )
        cycle, amount, setup = price.cycle, price.amount, price.setup_fee
    hostname = (item.hostname or "").strip()
    if not hostname:
        if product.hostname_required and not provides_hostname(product, item):
            raise DomainError(
                _("%(name)s needs a hostname") % {"name": product.name}, field=prefix + "hostname", code="required"
            )
    else:
        try:
            hostname = validate_hostname(hostname, product.hostname_validation)
        except HostnameError as exc:
            raise DomainError(
                _("Hostname: %(exc)s") % {"exc": exc}, field=prefix + "hostname", code="invalid_hostname"
            ) from exc
    charges = tuple(c for comp in components() for c in comp.price(item, product, cycle, index=index))
    return PricedItem(product, cycle, hostname, amount, setup, charges, item)


def _place_charges(
    service: Service, charges: list[Charge], *, start: dt.date, end: dt.date | None, now: dt.datetime
) -> list[LineSpec]:
    """The first invoice's lines of a service's charges; the ones that renew or raise panel limits
    become the service's components (billed with it from then on, applied by provisioning)."""
    lines = []
    for charge in charges:
        periodic = charge.periodic and service.cycle != Cycle.ONE_TIME
        if charge.amount or charge.line_kind == InvoiceLine.Kind.DISCOUNT:
            lines.append(
                LineSpec(
                    kind=charge.line_kind,
                    description=charge.description,
                    amount=charge.amount,
                    service=service,
                    cycle=service.cycle if periodic else "",
                    period_start=start if periodic else None,
                    period_end=end if periodic else None,
                )
            )
        if charge.component_kind and (charge.recurring_amount or charge.limits):
            ServiceComponent.objects.create(
                service=service,
                kind=charge.component_kind,
                source=charge.source,
                description=charge.description[:300],
                recurring_amount=charge.recurring_amount if service.cycle != Cycle.ONE_TIME else 0,
                limits=dict(charge.limits),
                status=ServiceComponent.Status.ACTIVE,
                created_at=now,
            )
    return lines


def _first_period(product: Product, cycle: str, order_date: dt.date) -> tuple[dt.date, dt.date | None]:
    if cycle == Cycle.ONE_TIME:
        return order_date, None
    if product.full_month_billing and cycle == Cycle.MONTHLY:
        return order_date, first_of_next_month(order_date) - dt.timedelta(days=1)
    return order_date, period_end(order_date, cycle)


def auto_create(service: Service, *, now: dt.datetime, actor: User | None = None) -> None:
    """Inner step: queue the panel account's creation. A configuration problem (no server, module
    inactive) never undoes the order or the payment: it is recorded, staff are told, and the service
    waits for them."""
    reason = ""
    if not is_active(service.product.module):
        reason = f"the {service.product.module} module is not active"
    else:
        try:
            with transaction.atomic():
                request_create(service=service, now=now, actor=actor)
        except DomainError as exc:
            reason = exc.message
    if reason:
        audit(actor=actor, action="auto_create_skipped", obj=service, now=now, message=reason)
        notify_staff(
            template="staff_auto_create_skipped",
            dedupe_key=f"auto_create_skipped:{service.pk}",
            now=now,
            context={"service": service, "client": service.client, "error": reason},
            service_id=service.pk,
        )


def fulfil_paid_order(order: Order, *, now: dt.datetime, paid_on: dt.date, actor: User | None = None) -> None:
    """Inner step, after the order's first invoice is settled: start the services' periods.

    Services without a provisioning module become active now; those with one stay pending until
    the panel account exists (provisioning activates them).
    """
    for item in order.items.select_related("service__product").order_by("pk"):
        service = service_steps.lock_service(item.service_id)
        if service.status != Service.Status.PENDING:
            continue
        service_steps.set_initial_dates(service, paid_on=paid_on)
        if not service.product.module:
            service_steps.activate(service, now=now, actor=actor, reason="first invoice paid")
        elif service.product.auto_create in (Product.AutoCreate.ON_PAYMENT, Product.AutoCreate.ON_ORDER):
            auto_create(service, now=now, actor=actor)
        for comp in components():
            comp.fulfil(service=service, now=now, paid_on=paid_on, actor=actor)
    if order.status == Order.Status.PENDING:
        order.status = Order.Status.ACTIVE
        order.save(update_fields=["status"])
        audit(actor=actor, action="order_activate", obj=order, now=now)


@transaction.atomic(durable=True)
def order_checkout(
    *,
    client: Client,
    items: list[CartItem],
    now: dt.datetime,
    actor: User | None = None,
    notes: str = "",
    ip_address: str | None = None,
    checkout_key: str | None = None,
    promo_code: str = "",
    accept_contracts: bool = False,
) -> Order:
    """Turn a cart into an order: its services (pending), order items and first invoice, all or nothing.

    With a `checkout_key` (the checkout form's token) the same checkout sent twice returns the first
    order instead of placing a second one.
    """
    return checkout(
        client=client,
        items=items,
        now=now,
        actor=actor,
        notes=notes,
        ip_address=ip_address,
        checkout_key=checkout_key,
        promo_code=promo_code,
        accept_contracts=accept_contracts,
    )


def checkout(
    *,
    client: Client,
    items: list[CartItem],
    now: dt.datetime,
    actor: User | None = None,
    notes: str = "",
    ip_address: str | None = None,
    checkout_key: str | None = None,
    promo_code: str = "",
    accept_contracts: bool = False,
) -> Order:
    """Inner step of order_checkout, for a flow that must place the order in its own transaction
    (the API's Idempotency-Key row commits with the order it placed)."""
    if not items:
        raise DomainError(_("the cart is empty"), field="items", code="empty_cart")
    client = Client.objects.select_for_update().get(pk=client.pk)  # one checkout per client at a time
    if checkout_key:
        if len(checkout_key) > 64:
            raise DomainError(_("the idempotency key has at most 64 characters"), field="checkout_key")
        earlier = Order.objects.filter(client=client, checkout_key=checkout_key).first()
        if earlier is not None:
            return earlier
    if client.status != Client.Status.ACTIVE:
        raise DomainError(
            _("a %(lower)s client account cannot place orders") % {"lower": client.get_status_display().lower()},
            field="client",
            code="client_not_active",
        )
    priced = [price_item(item, index=i) for i, item in enumerate(items)]
    promo_code = (promo_code or "").strip()
    discounts: dict[int, list[Charge]] = {}
    if promo_code:
        for index, charge in promotions.discounts(
            promo_code, client_id=client.pk, priced=priced, today=local_date(now)
        ):
            discounts.setdefault(index, []).append(charge)

    wanted = Counter(p.product.pk for p in priced)
    for product_id, count in wanted.items():
        product = next(p.product for p in priced if p.product.pk == product_id)
        if product.limit_per_customer is not None:
            owned = Service.objects.filter(client=client, product=product, status__in=COUNTED_STATUSES).count()
            if owned + count > product.limit_per_customer:
                raise DomainError(
                    _("one customer may order at most %(limit_per_customer)s of %(name)s; you have %(owned)s")
                    % {"limit_per_customer": product.limit_per_customer, "name": product.name, "owned": owned},
                    field="items",
                    code="limit_per_customer",
                )
        if product.stock_enabled:
            taken = Product.objects.filter(pk=product.pk, stock__gte=count).update(stock=F("stock") - count)
            if not taken:
                raise DomainError(
                    _("%(name)s is out of stock") % {"name": product.name}, field="items", code="out_of_stock"
                )

    order_date = local_date(now)
    defaults = BillingDefaults.load()
    groups = order_groups(items)
    orders: list[Order] = []
    for group in groups:
        order = Order.objects.create(
            number=next_number("order"),
            client=client,
            created_at=now,
            notes=notes,
            ip_address=ip_address,
            # The main order carries the key; its separate orders are found through it (`parent`).
            checkout_key=(checkout_key or None) if not orders else None,
            parent=orders[0] if orders else None,
        )
        if not orders:
            contracts.record(
                client=client,
                products=[p.product for p in priced],
                accepted=accept_contracts,
                order_id=order.pk,
                ip_address=ip_address,
                now=now,
            )
            if promo_code:
                promotions.redeem(promo_code, client_id=client.pk, order_id=order.pk, now=now)
        _fill_order(
            order,
            group=group,
            priced=priced,
            items=items,
            discounts=discounts,
            now=now,
            order_date=order_date,
            defaults=defaults,
            actor=actor,
        )
        orders.append(order)
    main = orders[0]
    if len(orders) > 1:
        # Settling several new orders takes their rows in the money lock order first (orders → services
        # → invoices), so crediting or fulfilling the second never locks a service after the client.
        lock_rows(Order, [o.pk for o in orders])
        lock_rows(Service, OrderItem.objects.filter(order__in=orders).values_list("service_id", flat=True))
        lock_rows(Invoice, [o.invoice_id for o in orders if o.invoice_id])
    for order in orders:
        _settle_new_order(order, now=now, order_date=order_date, defaults=defaults, actor=actor)
    return main


def order_groups(items: list[CartItem]) -> list[list[int]]:
    """The cart's item indexes by the order each goes to: the items the client configured together
    first, then one order per other service (`separate_order`). A cart of other services alone makes
    one order per item, the first of them the main one."""
    together = [i for i, item in enumerate(items) if not item.separate_order]
    separate = [[i] for i, item in enumerate(items) if item.separate_order]
    return [together, *separate] if together else separate


def _fill_order(
    order: Order,
    *,
    group: list[int],
    priced: list[PricedItem],
    items: list[CartItem],
    discounts: dict[int, list[Charge]],
    now: dt.datetime,
    order_date: dt.date,
    defaults: BillingDefaults,
    actor: User | None,
) -> None:
    """Inner step of checkout: the new order's cart items `group` (indexes into the whole cart, so
    errors and discounts keep naming the cart's items), their services and the first invoice."""
    client = order.client
    lines: list[LineSpec] = []
    due_days: list[int] = []
    for index in group:
        p = priced[index]
        service = Service.objects.create(
            client=client,
            product=p.product,
            cycle=p.cycle,
            recurring_amount=p.amount if p.cycle != Cycle.ONE_TIME else 0,
            hostname=p.hostname,
            created_at=now,
        )
        lifecycle.ServiceStatusChange.objects.create(
            service=service,
            from_status="",
            to_status=service.status,
            reason=f"order {order.display_number}",
            created_at=now,
            actor=actor if actor and actor.pk else None,
        )
        order_item = OrderItem.objects.create(
            order=order,
            product=p.product,
            cycle=p.cycle,
            hostname=p.hostname,
            amount=p.amount,
            setup_fee=p.setup_fee,
            service=service,
        )
        start, end = _first_period(p.product, p.cycle, order_date)
        charges = [*p.charges, *discounts.get(index, [])]
        # The plan's own lines come first on the invoice, then its components' (options, add-ons, a
        # domain, the discount); the plan's label needs the hostname a component may set, so they are
        # written after the components have placed their rows.
        charge_lines = _place_charges(service, charges, start=start, end=end, now=now)
        for comp in components():
            comp.place(
                item=p.item or items[index],
                service=service,
                charges=list(p.charges),
                order_id=order.pk,
                now=now,
                actor=actor,
            )
        if service.hostname != p.hostname:  # set by a component (the domain, an auto-generated hostname)
            order_item.hostname = service.hostname
            order_item.save(update_fields=["hostname"])
        if p.product.price_type == Product.PriceType.FREE:
            lines.extend(charge_lines)
            continue
        label = p.product.name + (f" - {service.hostname}" if service.hostname else "")
        if p.cycle == Cycle.ONE_TIME:
            lines.append(
                LineSpec(
                    kind=InvoiceLine.Kind.ONE_TIME,
                    description=label,
                    amount=p.amount,
                    service=service,
                    cycle=p.cycle,
                    period_start=start,
                )
            )
        elif not p.product.is_postpaid:
            # Post-paid (and metered) periods are billed after they end (by the automation run), not at checkout.
            lines.append(
                LineSpec(
                    kind=InvoiceLine.Kind.SERVICE,
                    amount=p.amount,
                    service=service,
                    cycle=p.cycle,
                    description=label,
                    period_start=start,
                    period_end=end,
                )
            )
        if p.setup_fee:
            lines.append(
                LineSpec(
                    kind=InvoiceLine.Kind.SETUP,
                    description=_("Setup fee: %(name)s") % {"name": p.product.name},
                    amount=p.setup_fee,
                    service=service,
                )
            )
        lines.extend(charge_lines)
        due_days.append(int(product_setting(p.product, "first_invoice_due_days", defaults)))

    if lines:
        order.invoice = issue_invoice(
            client=client,
            kind=Invoice.Kind.ORDER,
            lines=lines,
            issue_date=order_date,
            due_date=first_invoice_due(order_date, min(due_days, default=int(defaults.first_invoice_due_days))),
            now=now,
            actor=actor,
        )
        order.save(update_fields=["invoice"])
    for item in order.items.select_related("service__product"):
        if item.product.module and item.product.auto_create == Product.AutoCreate.ON_ORDER:
            auto_create(item.service, now=now, actor=actor)
    notify(
        template="initial_order",
        client=client,
        dedupe_key=f"initial_order:{order.pk}",
        now=now,
        context={"order": order, "invoice": order.invoice},
        invoice_id=order.invoice_id,
    )
    audit(
        actor=actor,
        action="order_checkout",
        obj=order,
        now=now,
        data={
            "items": len(group),
            "invoice": order.invoice.number if order.invoice else None,
            **({"parent": order.parent.number} if order.parent else {}),
        },
    )


def _settle_new_order(
    order: Order, *, now: dt.datetime, order_date: dt.date, defaults: BillingDefaults, actor: User | None
) -> None:
    """Inner step of checkout: a new order with nothing to pay is settled as placed; else the client's
    credit pays its invoice when Settings say so."""
    if order.invoice is None or order.invoice.total == 0:
        # Nothing to pay (free products, zero prices): the order is settled as placed.
        if order.invoice is not None:
            order.invoice.status = Invoice.Status.PAID
            order.invoice.paid_date = order_date
            order.invoice.save(update_fields=["status", "paid_date"])
        fulfil_paid_order(order, now=now, paid_on=order_date, actor=actor)
    elif defaults.apply_credit_automatically:
        # Apply credit automatically: the client's credit pays the new invoice at once (all or part).
        apply_credit(invoice=order.invoice, now=now, paid_on=order_date, actor=actor)
        if order.invoice.status == Invoice.Status.PAID:
            fulfil_paid_order(order, now=now, paid_on=order_date, actor=actor)


@transaction.atomic(durable=True)
def order_cancel(*, order_id: int, now: dt.datetime, actor: User | None, reason: str = "") -> Order:
    """Cancel a pending order: its pending services and its unpaid invoice are cancelled."""
    order = lock_row(Order, order_id)  # the money lock order: order → services → invoice
    if order is None:
        raise NotFound(_("no order with id %(order_id)s") % {"order_id": order_id}, field="order")
    return cancel_order(order, now=now, actor=actor, reason=reason)


def cancel_order(order: Order, *, now: dt.datetime, actor: User | None, reason: str = "") -> Order:
    """Inner step (order row locked): cancel a pending order, its pending services and unpaid invoice."""
    if order.status != Order.Status.PENDING:
        raise DomainError(
            _("only a pending order can be cancelled; this one is %(lower)s")
            % {"lower": order.get_status_display().lower()},
            field="order",
            code="order_not_pending",
        )
    for item in order.items.order_by("pk"):
        service = service_steps.lock_service(item.service_id)
        if service.status == Service.Status.PENDING:
            lifecycle.transition(
                service, Service.Status.CANCELLED, now=now, actor=actor, reason=reason or "order cancelled"
            )
            if item.product.stock_enabled:
                Product.objects.filter(pk=item.product_id).update(stock=F("stock") + 1)
    if order.invoice_id:
        invoice = lock_row(Invoice, order.invoice_id)
        if invoice is not None and invoice.status == Invoice.Status.UNPAID:
            cancel_invoice(
                invoice=invoice, now=now, cancelled_on=local_date(now), actor=actor, reason=reason or "order cancelled"
            )
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status"])
    audit(actor=actor, action="order_cancel", obj=order, now=now, message=reason)
    return order
