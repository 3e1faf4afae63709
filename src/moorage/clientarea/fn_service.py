"""Client-area pages of the billing-side client functions: Change Label, Change Ownership, Logs,
Manual Service Renew, New Direct Link, Related Services and Reset Password.

Each page starts with `function_service()` (the client's own service, 404 for anyone else's, 403
when the product does not enable the function) and calls one action; nothing here decides a rule.
"""

from __future__ import annotations

import string

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from moorage.addons.queries import service_addons
from moorage.billing.manual_renew import manual_renew_refusal, service_manual_renew
from moorage.clientarea.forms import add_domain_error
from moorage.clientarea.functions import function_service
from moorage.clientarea.views import OPEN_SERVICE_STATUSES, acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.core.validators import PlainTextValidator
from moorage.provisioning import actions as provisioning
from moorage.provisioning.accounts import new_password
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.provisioning.transfers import panel_password_after_transfer
from moorage.services import actions as services
from moorage.services.models import Service, ServiceTransfer
from moorage.services.queries import service_log

LOG_PAGE_SIZE = 25
PANEL_PASSWORD_MIN, PANEL_PASSWORD_MAX = 12, 64
# Characters a typed panel password may use: no spaces, quotes or backslashes that panels mangle.
PANEL_PASSWORD_CHARS = set(string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~")


class LabelForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        required=False,
        max_length=services.LABEL_MAX_LENGTH,
        validators=[PlainTextValidator()],
        help_text=_("Shown next to the service in your lists. Leave empty to remove it."),
    )


class OwnershipForm(forms.Form):
    email = forms.EmailField(label=_("New owner's email address"), max_length=254)
    confirm = forms.BooleanField(label=_("I understand the service will belong to that client"), required=True)


class PanelPasswordForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("New password"),
        choices=[("generate", _("Generate a strong password for me")), ("type", _("I will type it"))],
        widget=forms.RadioSelect,
        initial="generate",
    )
    password = forms.CharField(
        label=_("Password (if you type it)"),
        required=False,
        strip=False,
        max_length=PANEL_PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        # Formatted when the form is shown, in that page's language (a class attribute is built once).
        help_text=lazy(
            lambda: (
                gettext(
                    "%(PANEL_PASSWORD_MIN)s to %(PANEL_PASSWORD_MAX)s characters with lower and upper case "
                    "letters and digits; no spaces or quotes."
                )
                % {"PANEL_PASSWORD_MIN": PANEL_PASSWORD_MIN, "PANEL_PASSWORD_MAX": PANEL_PASSWORD_MAX}
            ),
            str,
        )(),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("mode") != "type":
            data["password"] = ""
            return data
        pw = data.get("password") or ""
        if problem := panel_password_problem(pw):
            self.add_error("password", problem)
        elif pw != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


def panel_password_problem(pw: str) -> str | None:
    """Why a typed panel password is refused, or None."""
    if not PANEL_PASSWORD_MIN <= len(pw) <= PANEL_PASSWORD_MAX:
        return _("Use %(min)s to %(max)s characters.") % {"min": PANEL_PASSWORD_MIN, "max": PANEL_PASSWORD_MAX}
    if any(c not in PANEL_PASSWORD_CHARS for c in pw):
        return _("Use letters, digits and punctuation only (no spaces, quotes or backslashes).")
    if not (any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)):
        return _("Use lower case and upper case letters and digits.")
    return None


def _page(request: HttpRequest, template: str, service: Service, title: str, **context: object) -> HttpResponse:
    return render(request, f"clientarea/{template}", {"service": service, "title": title, **context})


# --- Change Label ---------------------------------------------------------------------------------


@client_required
def service_change_label(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "change_label")
    form = LabelForm(request.POST if request.method == "POST" else None, initial={"label": service.label})
    if request.method == "POST" and form.is_valid():
        try:
            services.service_set_label(
                service_id=service.pk,
                label=form.cleaned_data["label"],
                now=clock.now(),
                actor=acting_user(request),
                client_id=request.client.pk,  # type: ignore[attr-defined]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The label was saved."))
            return redirect("clientarea:service", pk=service.pk)
    return _page(request, "fn_change_label.html", service, _("Change Label"), form=form)


# --- Change Ownership -----------------------------------------------------------------------------


@client_required
def service_change_ownership(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "change_ownership")
    client = request.client  # type: ignore[attr-defined]
    form = OwnershipForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.service_transfer_request(
                service_id=service.pk,
                email=form.cleaned_data["email"],
                now=clock.now(),
                actor=acting_user(request),
                client_id=client.pk,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if transfer.status == ServiceTransfer.Status.DONE:
                panel_password_after_transfer(service_id=service.pk, now=clock.now(), actor=acting_user(request))
                messages.success(request, _("The service now belongs to the client you named."))
                return redirect("clientarea:services")
            messages.success(request, services.TRANSFER_REQUESTED)
            return redirect("clientarea:service_change_ownership", pk=service.pk)
    # Only the requests this client made (a previous owner's are not theirs to read).
    transfers = service.transfers.filter(from_client=client).order_by("-created_at", "-id")[:10]
    return _page(
        request,
        "fn_change_ownership.html",
        service,
        _("Change Ownership"),
        form=form,
        transfers=transfers,
        pending=next((t for t in transfers if t.status == ServiceTransfer.Status.PENDING), None),
        direct=services.transfer_direct_allowed(),
    )


@client_required
def service_change_ownership_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "change_ownership")
    if request.method != "POST":
        return redirect("clientarea:service_change_ownership", pk=service.pk)
    client = request.client  # type: ignore[attr-defined]
    pending = service.transfers.filter(from_client=client, status=ServiceTransfer.Status.PENDING).first()
    if pending is not None:
        try:
            services.service_transfer_close(
                transfer_id=pending.pk,
                status=ServiceTransfer.Status.WITHDRAWN,
                now=clock.now(),
                actor=acting_user(request),
                client_id=client.pk,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The request was withdrawn."))
    return redirect("clientarea:service_change_ownership", pk=service.pk)


# --- Logs -----------------------------------------------------------------------------------------


@client_required
def service_logs(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "logs")
    entries = service_log(service, for_client=True, viewer=request.user)  # type: ignore[arg-type]
    page = Paginator(entries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(request, "fn_logs.html", service, _("Logs"), page=page)


# --- Manual Service Renew -------------------------------------------------------------------------


@client_required
def service_manual_renew_view(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "manual_renew")
    today = clock.today()
    if request.method == "POST":
        try:
            result = service_manual_renew(
                service_id=service.pk,
                today=today,
                now=clock.now(),
                actor=acting_user(request),
                client_id=request.client.pk,  # type: ignore[attr-defined]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if result.created:
                messages.success(
                    request,
                    _("Invoice #%(display_number)s was issued for the next period.")
                    % {"display_number": result.invoice.display_number},
                )
            else:
                messages.info(
                    request,
                    _("Invoice #%(display_number)s already bills this renewal.")
                    % {"display_number": result.invoice.display_number},
                )
            if result.invoice.client_id == service.client_id:
                return redirect("clientarea:invoice", number=result.invoice.number)
        return redirect("clientarea:service_manual_renew", pk=service.pk)
    return _page(
        request,
        "fn_manual_renew.html",
        service,
        _("Manual Service Renew"),
        refusal=manual_renew_refusal(service, today=today),
    )


# --- New Direct Link ------------------------------------------------------------------------------


@client_required
def service_direct_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "direct_link")
    if request.method == "POST":
        rotate = bool(service.direct_link_token)
        services.service_direct_link(
            service_id=service.pk,
            now=clock.now(),
            actor=acting_user(request),
            rotate=rotate,
            client_id=request.client.pk,  # type: ignore[attr-defined]
        )
        done = _("A new link was made; the old one no longer works.") if rotate else _("Your link was made.")
        messages.success(request, done)
        return redirect("clientarea:service_direct_link", pk=service.pk)
    token = service.direct_link_token
    link = request.build_absolute_uri(reverse("clientarea:direct_link_open", args=[token])) if token else ""
    response = _page(request, "fn_direct_link.html", service, _("New Direct Link"), link=link)
    add_never_cache_headers(response)
    return response


@client_required
def direct_link_open(request: HttpRequest, token: str) -> HttpResponse:
    """`/s/<token>/`: the owner's service page; anyone else (or an old token) gets 404."""
    if not token or len(token) > 64:
        raise Http404
    service = Service.objects.filter(direct_link_token=token, client=request.client).only("pk").first()  # type: ignore[attr-defined]
    if service is None:
        raise Http404
    function_service(request, service.pk, "direct_link")  # still enabled for the product (else 403)
    return redirect("clientarea:service", pk=service.pk)


# --- Related Services -----------------------------------------------------------------------------


@client_required
def service_related_services(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "related_services")
    client = request.client  # type: ignore[attr-defined]
    order_item = getattr(service, "order_item", None)
    related = Service.objects.none()
    if order_item is not None:
        # Only services that belong to this client: a service of the order moved to someone else is not theirs.
        related = (
            Service.objects.filter(order_item__order_id=order_item.order_id, client=client)
            .exclude(pk=service.pk)
            .select_related("product")
            .order_by("pk")
        )
    return _page(
        request,
        "fn_related_services.html",
        service,
        _("Related Services"),
        related=related,
        addons=service_addons(service),
        can_add_addons=service.product.addons.filter(visible=True).exists(),
        order=order_item.order if order_item is not None and order_item.order.client_id == client.pk else None,
        open_statuses=OPEN_SERVICE_STATUSES,
    )


# --- Reset Password -------------------------------------------------------------------------------


@sensitive_post_parameters("password", "password2")
@client_required
def service_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "reset_password")
    account = PanelAccount.objects.filter(service=service).first()
    has_panel = account is not None and account.exists_on_panel
    form = PanelPasswordForm(request.POST if request.method == "POST" else None)
    new = ""
    if request.method == "POST" and has_panel and form.is_valid():
        chosen = form.cleaned_data["password"] or new_password()
        try:
            provisioning.service_provision(
                service_id=service.pk,
                operation=ProvisioningJob.Operation.CHANGE_PASSWORD,
                now=clock.now(),
                actor=acting_user(request),
                reason="the client asked for a new control panel password",
                params={"password": chosen},
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The control panel password is being changed; this takes a minute or two."))
            new = chosen if not form.cleaned_data["password"] else ""
            form = PanelPasswordForm()
    response = _page(
        request,
        "fn_reset_password.html",
        service,
        _("Reset Password"),
        form=form,
        has_panel=has_panel,
        new_password=new,
    )
    add_never_cache_headers(response)
    return response
