"""Client area: the domain order page (availability search, register or transfer a domain alone) and
the client's Domains page (expiry, auto-renew switch, name servers)."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from moorage.clientarea.forms import add_domain_error
from moorage.clientarea.views import acting_user, client_of, client_required
from moorage.core import clock
from moorage.core.errors import DomainError, NotFound
from moorage.domains import actions as domain_actions
from moorage.domains import names
from moorage.domains.models import Domain, DomainInvoice, Tld
from moorage.domains.registrar import RegistrarError, get_registrar

log = logging.getLogger(__name__)
SEARCH_LIMIT = 30  # availability searches per visitor per window (each one asks the registry)
SEARCH_WINDOW = 600
MAX_TLDS_PER_SEARCH = 20


class DomainOrderForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=[("register", _("Register")), ("transfer", _("Transfer"))])
    name = forms.CharField(label=_("Domain"), max_length=253)
    years = forms.IntegerField(label=_("Years"), min_value=1, max_value=10, initial=1)
    auth_code = forms.CharField(
        label=_("Auth code (transfer only)"), required=False, max_length=64, widget=forms.PasswordInput
    )


def _throttled(request: HttpRequest) -> bool:
    who = request.user.pk if request.user.is_authenticated else request.META.get("REMOTE_ADDR", "")
    key = f"domain-search:{who}"
    cache.add(key, 0, timeout=SEARCH_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=SEARCH_WINDOW)
        count = 1
    return count > SEARCH_LIMIT


def search(query: str) -> tuple[list[dict[str, Any]], str]:
    """The names to show for a query ("shop" → shop.<each visible TLD>; "shop.com" → that name) with
    their availability from the registrar (outside any transaction) and prices; or an error text."""
    query = query.strip().lower()
    tlds = {t.name: t for t in Tld.objects.filter(visible=True)[:MAX_TLDS_PER_SEARCH]}
    if not tlds:
        return [], str(_("No domains are offered at the moment."))
    try:
        if "." in query:
            _label, suffix = names.split(query, tlds)
            wanted = [(names.normalize_domain(query), tlds[suffix])]
        else:
            label = names.normalize_domain(query + ".com").removesuffix(".com")
            names.split(label + "." + next(iter(tlds)), tlds)
            wanted = [(f"{label}.{t.name}", t) for t in tlds.values()]
    except names.DomainNameError as exc:
        return [], str(exc)
    by_registrar: dict[tuple[str, int], list[tuple[str, Tld]]] = {}
    for name, tld in wanted:
        by_registrar.setdefault((tld.registrar, tld.pk), []).append((name, tld))
    rows: list[dict[str, Any]] = []
    for group in by_registrar.values():
        first = group[0][1]
        try:
            answer = get_registrar(first.registrar, first.get_settings()).check([n for n, _t in group])
        except RegistrarError:
            answer = {}
        except Exception:  # a module's bug must not break the order page: shown as "could not check"
            log.exception("availability check of %s failed", first)
            answer = {}
        for name, tld in group:
            taken_here = Domain.objects.filter(name=name, status__in=Domain.LIVE).exists()
            available = answer.get(name)
            rows.append(
                {
                    "name": name,
                    "tld": tld,
                    "available": None if available is None else bool(available) and not taken_here,
                    "with_us": taken_here,
                    "years": range(tld.min_years, tld.max_years + 1),
                }
            )
    return rows, ""


def domain_order(request: HttpRequest) -> HttpResponse:
    """Search (anyone, throttled) and order (a signed-in client) a domain alone."""
    query = request.GET.get("q", "")[:253]
    rows: list[dict[str, Any]] = []
    error = ""
    form = DomainOrderForm(request.POST or None)
    if request.method == "POST":
        client = client_of(request.user)
        if client is None:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("clientarea:login"))
            return render(request, "clientarea/not_a_client.html", status=403)
        if form.is_valid():
            try:
                domain = domain_actions.domain_order(
                    client=client,
                    action=form.cleaned_data["action"],
                    name=form.cleaned_data["name"],
                    years=form.cleaned_data["years"],
                    auth_code=form.cleaned_data["auth_code"],
                    now=clock.now(),
                    actor=acting_user(request),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                invoice = DomainInvoice.objects.get(domain=domain).invoice
                messages.success(request, _("Your order of %(name)s was placed.") % {"name": domain.name})
                return redirect("clientarea:invoice", invoice.number)
    elif query:
        if _throttled(request):
            error = str(_("Too many searches; try again in a few minutes."))
        else:
            rows, error = search(query)
    return render(
        request,
        "clientarea/domain_order.html",
        {"query": query, "rows": rows, "error": error, "form": form, "currency": settings.MOORAGE_CURRENCY},
    )


@client_required
def domain_list(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    domains = Domain.objects.filter(client=client).exclude(status=Domain.Status.CANCELLED).order_by("name", "-id")
    return render(request, "clientarea/domains.html", {"domains": domains})


@client_required
@require_POST
def domain_auto_renew(request: HttpRequest, pk: int) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    try:
        domain_actions.domain_set_auto_renew(
            client=client, domain_id=pk, auto_renew=request.POST.get("auto_renew") == "on", now=clock.now()
        )
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Saved."))
    return redirect("clientarea:domains")


@client_required
@require_POST
def domain_nameservers(request: HttpRequest, pk: int) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    try:
        domain_actions.domain_set_nameservers(
            client=client, domain_id=pk, nameservers=request.POST.get("nameservers", "")[:2000], now=clock.now()
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The name server change was sent to the registry."))
    return redirect("clientarea:domains")
