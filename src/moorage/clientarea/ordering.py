"""Client-area ordering: order pages → product → configure → cart → checkout → confirmation.

Whether an item can be ordered, at what price, with which hostname, is decided by
`orders.actions.price_item` (shown in the cart) and `order_checkout` (stock, limits, the order);
these views only collect the choices and show the answers.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from moorage.catalog.models import OrderPage, Price, Product
from moorage.clientarea import cart
from moorage.clientarea.configure import sections as configure_sections
from moorage.clientarea.forms import CheckoutForm, ConfigureForm, add_domain_error
from moorage.clientarea.promo import cart_context
from moorage.clientarea.views import acting_user, client_of, client_required
from moorage.contracts import checkout as contracts
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.core.logins import client_ip
from moorage.orders.actions import CartItem, order_checkout, price_item
from moorage.orders.models import Order
from moorage.payments import gateways
from moorage.payments.queries import gateway_names, pay_options

# Errors of price_item that mean "this product cannot be ordered at all" (not "fix your input").
UNAVAILABLE = {"not_found", "product_hidden", "not_orderable"}


def _visible_pages():  # noqa: ANN202
    return OrderPage.objects.filter(visible=True)


def _products(page: OrderPage):  # noqa: ANN202
    return page.products.filter(visible=True).prefetch_related(Prefetch("prices", Price.objects.order_by("id")))


def order_index(request: HttpRequest) -> HttpResponse:
    pages = _visible_pages().filter(parent__isnull=True).prefetch_related(Prefetch("subcategories", _visible_pages()))
    return render(request, "clientarea/order_index.html", {"pages": pages})


def order_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(_visible_pages().select_related("parent"), slug=slug)
    if page.parent_id and not page.parent.visible:
        raise Http404("no such order page")
    context = {"page": page, "subcategories": [], "products": []}
    if page.contains == OrderPage.Contains.SUBCATEGORIES:
        context["subcategories"] = _visible_pages().filter(parent=page)
    else:
        context["products"] = _products(page)
    return render(request, "clientarea/order_page.html", context)


def _unavailable(product: Product) -> str:
    """Why the product cannot be ordered at all, in the words of price_item; "" when it can."""
    first = product.prices.order_by("id").first()
    try:
        price_item(CartItem(product.pk, first.cycle if first else "", ""))
    except DomainError as exc:
        if exc.code in UNAVAILABLE:
            return exc.message
    return ""


class _ExtraError(Exception):
    """An other service chosen on the configure page cannot be ordered: shown on top, naming it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _priced_extras(others: list[CartItem]) -> list[CartItem]:
    """The other services chosen with a product, checked by checkout's rules (cycle and hostname as
    checkout will store them); the first that fails raises _ExtraError naming its product."""
    result = []
    for i, other in enumerate(others):
        try:
            priced = price_item(other, index=i + 1)
        except DomainError as exc:
            product = Product.objects.filter(pk=other.product_id).first()
            name = product.name if product else _("Other service")
            raise _ExtraError(f"{name}: {exc.message}") from exc
        result.append(dataclasses.replace(other, cycle=priced.cycle, hostname=priced.hostname))
    return result


def product_configure(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product.objects.select_related("order_page"), pk=product_id)
    form = ConfigureForm(
        request.POST if request.method == "POST" else None,
        product=product,
        currency=settings.MOORAGE_CURRENCY,
    )
    unavailable = "" if request.method == "POST" else _unavailable(product)
    parts = configure_sections(product, request.POST if request.method == "POST" else None, client_of(request.user))
    part_errors = [error for part in parts for error in part.errors]
    for error in part_errors:
        form.add_error(None, error)
    if request.method == "POST" and form.is_valid() and not part_errors:
        fields = {k: v for part in parts for k, v in part.item_fields.items()}
        item = CartItem(product.pk, form.cleaned_data.get("cycle", ""), form.cleaned_data.get("hostname", ""), **fields)
        try:
            priced = price_item(item)
            extra = _priced_extras([e for part in parts for e in part.extra_items])
            cart.add(request.session, dataclasses.replace(item, cycle=priced.cycle, hostname=priced.hostname))
            for other in extra:
                cart.add(request.session, other)
        except _ExtraError as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            if exc.code in UNAVAILABLE:
                unavailable = exc.message
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s was added to your cart.") % {"name": product.name})
            return redirect("clientarea:cart")
    return render(
        request,
        "clientarea/product_configure.html",
        {
            "product": product,
            "page": product.order_page,
            "form": form,
            "unavailable": unavailable,
            "prices": product.prices.order_by("id"),
            "sections": parts,
        },
    )


def cart_view(request: HttpRequest) -> HttpResponse:
    lines = cart.lines(request.session)
    return render(
        request,
        "clientarea/cart.html",
        {
            "lines": lines,
            "has_errors": any(line.error for line in lines),
            **cart_context(request, lines),
        },
    )


@require_POST
def cart_remove(request: HttpRequest, index: int) -> HttpResponse:
    if cart.remove(request.session, index):
        messages.info(request, _("The item was removed from your cart."))
    return redirect("clientarea:cart")


def _item_error(exc: DomainError, lines: list[cart.CartLine]) -> str:
    """Prefix an item's error with the product it concerns ("items[1].hostname" → item 2)."""
    field = exc.field or ""
    if field.startswith("items[") and "]" in field:
        try:
            index = int(field[6 : field.index("]")])
            line = lines[index]
        except (ValueError, IndexError):
            return exc.message
        name = line.priced.product.name if line.priced else f"Item {index + 1}"
        return f"{name}: {exc.message}"
    return exc.message


def checkout(request: HttpRequest) -> HttpResponse:
    if client_of(request.user) is None:
        if request.user.is_authenticated:
            return render(request, "clientarea/not_a_client.html", status=403)
        messages.info(request, _("Sign in or create an account to complete your order; your cart is kept."))
        return redirect(f"{reverse('clientarea:login')}?next={reverse('clientarea:cart')}")
    return _checkout(request)


@client_required
def _checkout(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    lines = cart.lines(request.session)
    if not lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("clientarea:cart")
    actor = acting_user(request)
    required = contracts.required([line.priced.product for line in lines if line.priced])
    # Image Verification on a new client's first order (MOORAGE_CAPTCHA), not for staff logged in as them.
    captcha = bool(
        settings.MOORAGE_CAPTCHA and actor.pk == request.user.pk and not Order.objects.filter(client=client).exists()
    )
    form = CheckoutForm(request.POST if request.method == "POST" else None, contracts=required, captcha=captcha)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            order = order_checkout(
                client=client,
                items=[line.item for line in lines],
                now=clock.now(),
                actor=actor,
                notes=form.cleaned_data["notes"],
                ip_address=client_ip(request),
                checkout_key=cart.checkout_key(request.session),
                promo_code=cart.promo_code(request.session),
                accept_contracts=form.accepted,
            )
        except DomainError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                error = _item_error(exc, lines)
        else:
            cart.clear(request.session)
            return redirect("clientarea:order_complete", number=order.number)
    return render(
        request,
        "clientarea/checkout.html",
        {
            "client": client,
            "lines": lines,
            "form": form,
            "contracts": required,
            **cart_context(request, lines),
            "error": error,
            "has_errors": any(line.error for line in lines),
            "bank": gateways.bank_transfer(),
            "gateways_offered": gateway_names(online=True),
        },
    )


@client_required
def order_complete(request: HttpRequest, number: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("invoice"), number=number, client=request.client)  # type: ignore[attr-defined]
    # Other services chosen with the products were placed as separate orders of the same checkout.
    separate = order.separate_orders.filter(client=order.client).select_related("invoice").order_by("number")
    return render(
        request,
        "clientarea/order_complete.html",
        {
            "order": order,
            "separate_orders": [(o, o.items.select_related("product", "service")) for o in separate],
            "items": order.items.select_related("product", "service"),
            "bank": gateways.bank_transfer(),
            "pay_options": pay_options(order.invoice),
        },
    )
