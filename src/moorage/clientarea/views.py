"""Client-area pages: sign-in, dashboard, services, invoices and the account.

Views read the client's own rows and call actions; a DomainError from an action becomes a form
error or a message. Every page that shows a client's data looks rows up through that client, so
another client's invoice or service is a 404, never a 403 that confirms it exists.
"""

from __future__ import annotations

import contextlib
import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from moorage.billing.models import Invoice, LedgerEntry
from moorage.billing.pdf import render_invoice_pdf
from moorage.billing.queries import (
    client_amount_due,
    client_credit_balance,
    invoice_outstanding,
    invoice_paid_amount,
)
from moorage.cancellations.queries import CANCELLABLE, pending_request
from moorage.catalog.models import Product
from moorage.clientarea import functions
from moorage.clientarea.forms import (
    AccountForm,
    LoginForm,
    PasswordChangeForm,
    RegistrationForm,
    add_domain_error,
    current_language,
)
from moorage.clientarea.templatetags.moorage_ui import money
from moorage.contracts.actions import terms_accept
from moorage.core import clock, logins, two_factor
from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.customers.actions import client_register, client_set_language, client_set_password, client_update
from moorage.customers.models import Client
from moorage.payments import gateways, registry
from moorage.payments.actions import invoice_pay_from_credit
from moorage.payments.queries import credit_payments_enabled, pay_options
from moorage.provisioning import actions as provisioning
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.services.models import Service
from moorage.services.queries import client_log_start

log = logging.getLogger(__name__)

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"
IMPERSONATOR_KEY = "impersonator_id"
OPEN_SERVICE_STATUSES = [Service.Status.PENDING, Service.Status.ACTIVE, Service.Status.SUSPENDED]


# --- helpers -------------------------------------------------------------------------------------


def client_of(user: User) -> Client | None:
    if not user.is_authenticated:
        return None
    return getattr(user, "client", None)


def client_required(view):  # noqa: ANN001, ANN201
    """The page needs a signed-in client; sets request.client. Staff without one get a hint."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # noqa: ANN002, ANN003
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("clientarea:login"))
        client = client_of(request.user)
        if client is None:
            return render(request, "clientarea/not_a_client.html", status=403)
        request.client = client  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def acting_user(request: HttpRequest) -> User:
    """Who acts, for the audit log: the staff member while they are logged in as the client."""
    staff_id = request.session.get(IMPERSONATOR_KEY)
    if staff_id:
        staff = User.objects.filter(pk=staff_id, is_staff=True, is_active=True).first()
        if staff is not None:
            return staff
    return request.user  # type: ignore[return-value]


def safe_next(request: HttpRequest) -> str:
    """The `next` parameter when it points inside this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


# --- sign-in and registration --------------------------------------------------------------------


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    if client_of(request.user) is not None:
        return HttpResponseRedirect(next_url or reverse("clientarea:dashboard"))
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["email"].strip().lower(),
            password=form.cleaned_data["password"],
        )
        client = client_of(user) if user is not None else None
        if user is None and logins.is_locked_out(request):
            form.add_error(None, logins.lockout_message())
            status = logins.LOCKED_OUT_STATUS
        elif user is None or (client is None and two_factor.has_device(user)):
            # A staff member with two-factor gets the same answer as a wrong password: this form
            # must not tell that their password alone was right.
            form.add_error(None, _("The email address or password is not correct."))
        elif client is None:
            form.add_error(None, _("This is a staff login without a client account; sign in to the staff area."))
        elif client.status == Client.Status.CLOSED:
            form.add_error(None, _("This client account is closed. Please contact us."))
        else:
            login(request, user)
            logins.clear_failures(request, user.email)
            return HttpResponseRedirect(next_url or reverse("clientarea:dashboard"))
    return render(request, "clientarea/login.html", {"form": form, "next": next_url}, status=status)


def register_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    if client_of(request.user) is not None:
        return HttpResponseRedirect(next_url or reverse("clientarea:dashboard"))
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            client = client_register(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                profile=form.profile(),
                now=clock.now(),
                language=form.cleaned_data.get("language") or current_language(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if form.terms:
                # Registration is its own durable action: the terms acceptance follows it at once,
                # for exactly the versions the form showed (checked in RegistrationForm.clean).
                terms_accept(
                    client_id=client.pk,
                    version_ids=[v.pk for v in form.terms],
                    ip_address=logins.client_ip(request),
                    now=clock.now(),
                )
            login(request, client.user, backend=AUTH_BACKEND)
            messages.success(
                request, _("Welcome, %(display_name)s! Your account is ready.") % {"display_name": client.display_name}
            )
            return HttpResponseRedirect(next_url or reverse("clientarea:dashboard"))
    return render(request, "clientarea/register.html", {"form": form, "next": next_url})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: the cookie for every visitor, Client.language for a client.

    Django's set_language sets the cookie and goes back to a `next` inside this site; a language
    Moorage does not ship is refused outright rather than silently ignored.
    """
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    client = client_of(request.user)
    if client is not None:
        client_set_language(client=client, language=language, now=clock.now(), actor=acting_user(request))
    return django_set_language(request)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have been signed out."))
    return redirect("clientarea:login")


@require_POST
def stop_impersonation(request: HttpRequest) -> HttpResponse:
    """End "log in as client": sign the staff member back in and return to the staff area."""
    staff_id = request.session.get(IMPERSONATOR_KEY)
    staff = User.objects.filter(pk=staff_id, is_staff=True, is_active=True).first() if staff_id else None
    client = client_of(request.user)
    if staff is None:
        logout(request)
        return redirect("clientarea:login")
    login(request, staff, backend=AUTH_BACKEND)  # a different user: the session is flushed
    request.session.pop(IMPERSONATOR_KEY, None)
    target = "/admin/"
    with contextlib.suppress(NoReverseMatch):
        target = reverse("admin:customers_client_change", args=[client.pk]) if client else reverse("admin:index")
    return HttpResponseRedirect(target)


# --- dashboard, services -------------------------------------------------------------------------


@client_required
def dashboard(request: HttpRequest) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    services = list(client.services.filter(status__in=OPEN_SERVICE_STATUSES).select_related("product")[:10])
    unpaid = list(client.invoices.filter(status=Invoice.Status.UNPAID).order_by("due_date", "number")[:10])
    for invoice in unpaid:
        invoice.outstanding = invoice_outstanding(invoice)  # type: ignore[attr-defined]
    return render(
        request,
        "clientarea/dashboard.html",
        {
            "client": client,
            "services": services,
            "unpaid": unpaid,
            "service_count": client.services.filter(status__in=OPEN_SERVICE_STATUSES).count(),
            "credit": client_credit_balance(client),
            "amount_due": client_amount_due(client),
            "today": clock.today(),
        },
    )


@client_required
def service_list(request: HttpRequest) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    services = client.services.select_related("product").order_by("-id")
    return render(request, "clientarea/services.html", {"services": services})


@client_required
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    service = get_object_or_404(Service.objects.select_related("product"), pk=pk, client=client)
    enabled = functions.menu(service)
    fn = {item["code"] for item in enabled}
    # Cancellation off: a request made before is still shown, and can be withdrawn.
    cancellation_pending = pending_request(service) is not None
    invoices = (
        Invoice.objects.filter(client=client, lines__service=service).distinct().order_by("-number")
        if "related_invoices" in fn
        else Invoice.objects.none()
    )
    order_item = getattr(service, "order_item", None)
    control_panel = _control_panel(service)
    if control_panel and control_panel["login"] and "login_details" not in fn:
        # Login Details off: the password never reaches the page, not even hidden in it.
        control_panel["login"] = {k: v for k, v in control_panel["login"].items() if k != "password"}
    response = render(
        request,
        "clientarea/service_detail.html",
        {
            "service": service,
            "invoices": invoices,
            "order": order_item.order if order_item else None,
            "history": _own_history(service),
            "panel": control_panel,
            "fn": dict.fromkeys(fn, True),
            "menu": service_menu(service, enabled, control_panel, cancellation_pending=cancellation_pending),
            "layout": service.product.client_area_layout or Product.Layout.LEFT,
            "cancellation_pending": cancellation_pending,
        },
    )
    if control_panel and control_panel["login"] and "login_details" in fn:
        add_never_cache_headers(response)  # the page shows the panel password
    return response


# Functions whose part is on the service page itself: the menu entry jumps to it.
PAGE_ANCHORS = {
    "login_details": "login-details",
    "access_control_panel": "login-details",
    "related_invoices": "invoices",
    "cancellation": "cancellation",
}
# Functions whose page predates the naming rule `clientarea:service_<code>`.
PAGE_NAMES = {
    "metered_billing": "service_metered",
    "upgrades": "service_upgrade",
    "change_billing_cycle": "service_cycle",
}


def _has_contracts(service: Service) -> bool:
    from moorage.clientarea.fn_contracts import has_contracts  # it imports this module

    return has_contracts(service)


def service_menu(
    service: Service, enabled: list[dict], panel: dict | None, *, cancellation_pending: bool
) -> list[dict]:
    """The service page's action menu: of the product's enabled functions (`functions.menu`), those
    that have somewhere to go for this service (a part of the page or a page of their own), each with
    its link. A function whose page does not exist in this build (no `clientarea:service_<code>` URL)
    is left out."""
    has_login = bool(panel and panel["login"])
    open_change = service.status == Service.Status.ACTIVE and service.is_recurring
    relevant = {
        "login_details": has_login,
        "access_control_panel": has_login,
        "usage": has_login,
        "metered_billing": service.product.price_type == Product.PriceType.METERED,
        "upgrades": open_change and service.product.available_upgrades.exists(),
        "change_billing_cycle": open_change and service.product.prices.count() > 1,
        "cancellation": service.status in CANCELLABLE or cancellation_pending,
        "edit_forms": service.form_answers.exists(),
        "contracts": _has_contracts(service),
    }
    entries = []
    for item in enabled:
        code = item["code"]
        if not relevant.get(code, True):
            continue
        if code in PAGE_ANCHORS:
            url = f"#{PAGE_ANCHORS[code]}"
        elif code == "related_emails":
            url = reverse("clientarea:emails") + f"?service={service.pk}"
        else:
            try:
                url = reverse(f"clientarea:{PAGE_NAMES.get(code, f'service_{code}')}", args=[service.pk])
            except NoReverseMatch:
                continue
        entries.append({"code": code, "label": item["label"], "url": url})
    return entries


def _own_history(service: Service) -> list:
    """The status history since the service became the client's (not a previous owner's)."""
    changes = service.status_changes.order_by("-created_at", "-id")
    since = client_log_start(service)
    return list((changes.filter(created_at__gte=since) if since else changes)[:20])


# What the client is told about their panel account while it is not there yet. The panel's own
# error text is for staff (service page, job rows); clients never see it.
SETUP_MESSAGES = {
    "setting_up": _("Your account is being set up. This usually takes a minute or two."),
    "slow": _("Your account is being set up. This is taking a little longer than usual."),
    "delayed": _("Setup is delayed; our staff have been notified."),
}
SSO_MESSAGES = {
    "not_active": _("The control panel is not available while the service is {status}."),
    "no_account": _("Your control panel account is not ready yet. Please try again in a few minutes."),
    "panel_error": _("The control panel could not be reached just now. Please try again in a few minutes."),
}


def _control_panel(service: Service) -> dict | None:
    """The Login Details / Access Control Panel / Disk usage panel of the service page: a read of
    the panel account row and its create job, or None when the service has no panel account."""
    account = PanelAccount.objects.filter(service=service).first()
    if account is None:
        if service.status == Service.Status.PENDING and service.product.module and service.start_date:
            # Paid, but the account is not queued yet (created by cron or by staff).
            return _setup("setting_up")
        return None
    if account.exists_on_panel and service.status in OPEN_SERVICE_STATUSES:
        details = provisioning.login_details(service=service)
        disk = None
        if account.disk_used_mib is not None:
            limit = account.disk_limit_mib or None
            disk = {
                "used": account.disk_used_mib,
                "limit": limit,
                "percent": min(100, round(account.disk_used_mib * 100 / limit)) if limit else None,
                "as_of": account.synced_at,
            }
        return {
            "login": details,
            "can_open": service.status == Service.Status.ACTIVE,
            "disk": disk,
            "setup": "",
        }
    if service.status != Service.Status.PENDING:
        return None  # terminated or cancelled: nothing on a panel to show
    job = (
        ProvisioningJob.objects.filter(service=service, operation=ProvisioningJob.Operation.CREATE)
        .order_by("-created_at", "-id")
        .first()
    )
    if job is None or job.status == ProvisioningJob.Status.CANCELLED:
        return None
    J = ProvisioningJob.Status
    if job.status == J.FAILED:
        setup = "delayed"
    elif job.status in (J.ERRORED, J.UNKNOWN):
        setup = "slow"
    else:
        setup = "setting_up"
    return _setup(setup)


def _setup(setup: str) -> dict:
    return {
        "login": None,
        "can_open": False,
        "disk": None,
        "setup": setup,
        "setup_message": SETUP_MESSAGES[setup],
    }


@client_required
@require_POST
def service_control_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """Access Control Panel: send the browser to the panel with a one-time login key."""
    service = functions.function_service(request, pk, "access_control_panel")
    try:
        # During Login as Client the audit entry names the staff member, not the client.
        url = provisioning.sso_url(service=service, actor=acting_user(request), now=clock.now())
    except DomainError as exc:
        if exc.code == "panel_error":
            log.warning("Access Control Panel for service %s failed: %s", service.pk, exc.message)
        template = SSO_MESSAGES.get(exc.code or "", SSO_MESSAGES["panel_error"])
        messages.error(request, template.format(status=service.get_status_display().lower()))
        return redirect("clientarea:service", pk=service.pk)
    response = HttpResponseRedirect(url)
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- invoices ------------------------------------------------------------------------------------


def _own_invoice(request: HttpRequest, number: int) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("client__user"), number=number, client=request.client)  # type: ignore[attr-defined]


@client_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    status = request.GET.get("status", "")
    invoices = client.invoices.order_by("-number")
    if status in Invoice.Status.values:
        invoices = invoices.filter(status=status)
    return render(
        request,
        "clientarea/invoices.html",
        {
            "invoices": invoices,
            "status": status,
            "statuses": Invoice.Status.choices,
        },
    )


@client_required
def invoice_detail(request: HttpRequest, number: int) -> HttpResponse:
    invoice = _own_invoice(request, number)
    client: Client = request.client  # type: ignore[attr-defined]
    transactions = (
        LedgerEntry.objects.filter(
            invoice=invoice,
            account=LedgerEntry.Account.RECEIVABLE,
            kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.CREDIT_APPLIED],
        )
        .select_related("payment")
        .order_by("created_at", "id")
    )
    rows = []
    names: dict[str, gateways.Gateway] = {}
    for entry in transactions:
        code = entry.payment.gateway if entry.payment else "credit_balance"
        if code not in names:
            names[code] = gateways.info(code)
        gateway = names[code]
        rows.append(
            {
                "date": clock.local_date(entry.created_at),
                "method": gateway.name if gateway else "",
                "transaction_id": entry.payment.transaction_id if entry.payment else "",
                "amount": -entry.amount,
            }
        )
    credit = client_credit_balance(client)
    bank = gateways.bank_transfer()
    return render(
        request,
        "clientarea/invoice_detail.html",
        {
            "invoice": invoice,
            "client": client,
            "lines": invoice.lines.select_related("service__product"),
            "paid": invoice_paid_amount(invoice),
            "outstanding": invoice_outstanding(invoice),
            "credit": credit,
            "transactions": rows,
            "bank": bank,
            "bank_details": bank.bank_details,
            # Staff may switch bank transfer off (Payment gateways): then it is not offered.
            "bank_enabled": registry.is_enabled("bank_transfer"),
            "pay_options": pay_options(invoice),
            "can_pay_from_credit": invoice.status == Invoice.Status.UNPAID and credit > 0 and credit_payments_enabled(),
            "overdue": invoice.status == Invoice.Status.UNPAID and invoice.due_date < clock.today(),
        },
    )


@client_required
def invoice_pdf(request: HttpRequest, number: int) -> HttpResponse:
    invoice = _own_invoice(request, number)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.display_number}.pdf"'
    return response


@client_required
@require_POST
def invoice_pay_credit(request: HttpRequest, number: int) -> HttpResponse:
    invoice = _own_invoice(request, number)
    if not credit_payments_enabled():
        messages.error(request, _("Paying from the credit balance is not available."))
        return redirect("clientarea:invoice", number=invoice.number)
    try:
        used = invoice_pay_from_credit(invoice_id=invoice.pk, now=clock.now(), actor=acting_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        invoice.refresh_from_db()
        if invoice.status == Invoice.Status.PAID:
            messages.success(
                request,
                _("Invoice %(number)s was paid from your credit balance (%(amount)s). Thank you!")
                % {"number": invoice.display_number, "amount": money(used, invoice.currency)},
            )
        else:
            messages.success(
                request,
                _("%(amount)s of your credit balance was applied to invoice %(number)s; the rest is still to pay.")
                % {"number": invoice.display_number, "amount": money(used, invoice.currency)},
            )
    return redirect("clientarea:invoice", number=invoice.number)


# --- account -------------------------------------------------------------------------------------


@client_required
def account(request: HttpRequest) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    form = AccountForm(request.POST if request.method == "POST" else None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            client_update(
                client=client,
                profile=form.profile(),
                email=form.cleaned_data["email"],
                now=clock.now(),
                actor=acting_user(request),
                language=form.cleaned_data.get("language") or None,
            )
        except DomainError as exc:
            client.refresh_from_db()
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Your details were saved."))
            return redirect("clientarea:account")
    return render(request, "clientarea/account.html", {"form": form, "client": client})


@client_required
def password_change(request: HttpRequest) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    form = PasswordChangeForm(request.POST if request.method == "POST" else None, user=client.user)
    if request.method == "POST" and form.is_valid():
        try:
            client_set_password(
                client=client,
                password=form.cleaned_data["password"],
                now=clock.now(),
                actor=acting_user(request),
            )
        except DomainError as exc:
            client.user.refresh_from_db()
            add_domain_error(form, exc)
        else:
            update_session_auth_hash(request, client.user)
            messages.success(request, _("Your password was changed."))
            return redirect("clientarea:account")
    return render(request, "clientarea/password.html", {"form": form})
