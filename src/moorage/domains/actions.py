"""Domain actions: a domain ordered alone, what a paid invoice starts, the client's switches (auto-renew,
name servers), and the checks every face shares (which TLD, which years, is the name free with us)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.billing.actions import LineSpec, apply_credit, issue_invoice
from moorage.billing.dates import first_invoice_due
from moorage.billing.models import Invoice, InvoiceLine
from moorage.catalog.models import BillingDefaults
from moorage.core.actions import audit
from moorage.core.clock import local_date
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.customers.models import Client
from moorage.domains import names
from moorage.domains.jobs import default_nameservers, lock_domain, queue_job
from moorage.domains.models import Domain, DomainInvoice, DomainJob, Tld
from moorage.notifications.actions import notify
from moorage.services.models import Service

ORDER_ACTIONS = ("register", "transfer")
MAX_AUTH_CODE = 64
MAX_NAMESERVERS = 13


def find_tld(name: str, *, field: str, offered: list[Tld] | None = None) -> tuple[str, Tld]:
    """The normalised name and its TLD (visible, and among `offered` when given); DomainError else."""
    tlds = {t.name: t for t in (offered if offered is not None else Tld.objects.filter(visible=True))}
    try:
        _label, tld = names.split(name, tlds)
    except names.DomainNameError as exc:
        raise DomainError(_("Domain: %(error)s") % {"error": exc}, field=field, code="invalid_domain") from exc
    return names.normalize_domain(name), tlds[tld]


def check_years(tld: Tld, raw: object, *, field: str) -> int:
    try:
        years = int(str(raw).strip())
    except ValueError:
        years = 0
    if not tld.min_years <= years <= tld.max_years:
        raise DomainError(
            _("%(tld)s is registered for %(min)s to %(max)s years")
            % {"tld": tld, "min": tld.min_years, "max": tld.max_years},
            field=field,
            code="invalid_years",
        )
    return years


def stale_pending() -> Q:
    """Pending domains that will never be registered: their order was cancelled (the hosting service
    cancelled, or the invoice of a domain ordered alone cancelled). They no longer hold their name."""
    dead_service = Q(service__status__in=[Service.Status.CANCELLED, Service.Status.TERMINATED])
    dead_invoice = Q(
        invoices__kind__in=[DomainInvoice.Kind.REGISTER, DomainInvoice.Kind.TRANSFER],
        invoices__invoice__status=Invoice.Status.CANCELLED,
    )
    return Q(status=Domain.Status.PENDING) & (dead_service | dead_invoice)


def release_stale(name: str) -> None:
    """Inner step: let go the stale pending rows of `name` so it can be ordered again."""
    stale = Domain.objects.filter(stale_pending(), name=name).values_list("pk", flat=True)
    Domain.objects.filter(pk__in=list(stale)).update(status=Domain.Status.CANCELLED)


def check_free_with_us(name: str, *, field: str) -> None:
    """Refuse a name that is a live domain of Moorage already (anyone's)."""
    if Domain.objects.filter(name=name, status__in=Domain.LIVE).exclude(stale_pending()).exists():
        raise DomainError(
            _("%(name)s is already registered with us") % {"name": name}, field=field, code="domain_taken"
        )


def check_auth_code(action: str, raw: str, *, field: str) -> str:
    code = (raw or "").strip()
    if action != "transfer":
        return ""
    if not code:
        raise DomainError(_("A transfer needs the domain's auth code"), field=field, code="required")
    if len(code) > MAX_AUTH_CODE or not code.isprintable():
        raise DomainError(_("The auth code is not valid"), field=field, code="invalid_auth_code")
    return code


def domain_line(action: str, name: str, years: int, amount: Decimal) -> str:
    labels = {
        "register": _("Domain registration: %(name)s (%(years)s yr)"),
        "transfer": _("Domain transfer: %(name)s (%(years)s yr)"),
        "renew": _("Domain renewal: %(name)s (%(years)s yr)"),
    }
    return str(labels[action] % {"name": name, "years": years})


def create_pending(
    *,
    client: Client,
    name: str,
    tld: Tld,
    action: str,
    years: int,
    auth_code: str,
    now: dt.datetime,
    service_id: int | None = None,
    field: str = "name",
) -> Domain:
    """Inner step: the pending domain row; the live-name unique key refuses a name taken meanwhile."""
    release_stale(name)
    try:
        with transaction.atomic():
            return Domain.objects.create(
                client=client,
                name=name,
                tld=tld,
                origin=action,
                years=years,
                auth_code=auth_code,
                service_id=service_id,
                created_at=now,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("%(name)s is already registered with us") % {"name": name}, field=field, code="domain_taken"
        ) from exc


@transaction.atomic(durable=True)
def domain_order(
    *,
    client: Client,
    action: str,
    name: str,
    years: object,
    auth_code: str = "",
    now: dt.datetime,
    actor: User | None = None,
) -> Domain:
    """A domain ordered alone (the domain order page): the pending domain and its invoice; the
    registration or transfer is queued when the invoice is paid. Prices come from the TLD only."""
    if action not in ORDER_ACTIONS:
        raise DomainError(_("Choose register or transfer"), field="action", code="invalid_action")
    client = Client.objects.select_for_update().get(pk=client.pk)  # one order per client at a time
    if client.status != Client.Status.ACTIVE:
        raise DomainError(_("This client account cannot place orders"), field="client", code="client_not_active")
    name, tld = find_tld(name, field="name")
    years = check_years(tld, years, field="years")
    auth_code = check_auth_code(action, auth_code, field="auth_code")
    check_free_with_us(name, field="name")
    domain = create_pending(client=client, name=name, tld=tld, action=action, years=years, auth_code=auth_code, now=now)
    amount = tld.price(action) * years
    today = local_date(now)
    invoice = issue_invoice(
        client=client,
        kind=Invoice.Kind.ORDER,
        lines=[
            LineSpec(kind=InvoiceLine.Kind.DOMAIN, description=domain_line(action, name, years, amount), amount=amount)
        ],
        issue_date=today,
        due_date=first_invoice_due(today, BillingDefaults.load().first_invoice_due_days),
        now=now,
        actor=actor,
    )
    DomainInvoice.objects.create(domain=domain, invoice=invoice, kind=action, years=years, created_at=now)
    audit(actor=actor, action="domain_order", obj=domain, now=now, data={"invoice": invoice.number, "action": action})
    notify(
        template="invoice_created",
        client=client,
        dedupe_key=f"invoice_created:{invoice.pk}",
        now=now,
        context={"invoice": invoice},
        invoice_id=invoice.pk,
    )
    if invoice.total == 0:
        invoice.status, invoice.paid_date = Invoice.Status.PAID, today
        invoice.save(update_fields=["status", "paid_date"])
    elif BillingDefaults.load().apply_credit_automatically:
        apply_credit(invoice=invoice, now=now, paid_on=today, actor=actor)
    if invoice.status == Invoice.Status.PAID:
        invoice_paid(invoice, now=now, actor=actor)
    return domain


def start_order_job(domain: Domain, *, now: dt.datetime, actor: User | None) -> DomainJob | None:
    """Inner step: queue the registration or transfer of a pending domain (its invoice is paid)."""
    if domain.status != Domain.Status.PENDING:
        return None
    params: dict = {"years": domain.years}
    if domain.origin == Domain.Origin.REGISTER:
        params["nameservers"] = list(default_nameservers(domain))
    return queue_job(domain, domain.origin, key="order", now=now, params=params, actor=actor)


def invoice_paid(invoice: Invoice, *, now: dt.datetime, actor: User | None) -> None:
    """Inner step of the payment-received flow: a paid domain invoice queues its registrar job (the
    registration or transfer of a domain ordered alone, or one renewal)."""
    for link in DomainInvoice.objects.filter(invoice=invoice).select_related("domain__tld").order_by("pk"):
        domain = lock_domain(link.domain_id)
        if link.kind == DomainInvoice.Kind.RENEW:
            if domain.status in (Domain.Status.ACTIVE, Domain.Status.EXPIRED):
                queue_job(
                    domain,
                    DomainJob.Operation.RENEW,
                    key=f"renew:{link.period_key}",
                    now=now,
                    params={"years": link.years, "from": link.period_key},
                    actor=actor,
                )
        else:
            start_order_job(domain, now=now, actor=actor)


def client_domain(client: Client, domain_id: int) -> Domain:
    """The client's own domain, locked; NotFound for anyone else's (the faces answer 404)."""
    domain = Domain.objects.select_for_update().filter(pk=domain_id, client=client).first()
    if domain is None:
        raise NotFound(_("no such domain"), field="domain")
    return domain


@transaction.atomic(durable=True)
def domain_set_auto_renew(*, client: Client, domain_id: int, auto_renew: bool, now: dt.datetime) -> Domain:
    """The client's auto-renew switch: off means no renewal invoice is issued; the domain expires."""
    domain = client_domain(client, domain_id)
    if domain.auto_renew != auto_renew:
        domain.auto_renew = auto_renew
        domain.save(update_fields=["auto_renew"])
        audit(actor=client.user, action="domain_auto_renew", obj=domain, now=now, data={"auto_renew": auto_renew})
    return domain


def clean_nameservers(raw: str | list[str], *, field: str = "nameservers") -> list[str]:
    items = raw.replace(",", " ").split() if isinstance(raw, str) else [str(r) for r in raw]
    refusal = DomainError(
        _("Give between 2 and %(max)s name servers") % {"max": MAX_NAMESERVERS}, field=field, code="invalid_ns"
    )
    if not 2 <= len(items) <= MAX_NAMESERVERS:
        raise refusal
    result = []
    for item in items:
        try:
            host = names.normalize_domain(item)
        except names.DomainNameError as exc:
            raise DomainError(
                _("Name server %(ns)s: %(error)s") % {"ns": item[:100], "error": exc}, field=field, code="invalid_ns"
            ) from exc
        if host not in result:
            result.append(host)
    if len(result) < 2:  # the same server twice (any case) is one name server
        raise refusal
    return result


@transaction.atomic(durable=True)
def domain_set_nameservers(
    *, client: Client, domain_id: int, nameservers: str | list[str], now: dt.datetime
) -> DomainJob:
    """The client's name servers: a set_ns job; the domain row changes when the registry took them."""
    domain = client_domain(client, domain_id)
    if domain.status != Domain.Status.ACTIVE:
        raise DomainError(
            _("Name servers can be changed only on an active domain"), field="domain", code="domain_not_active"
        )
    servers = clean_nameservers(nameservers)
    if DomainJob.objects.filter(
        domain=domain, operation=DomainJob.Operation.SET_NS, status__in=DomainJob.OPEN
    ).exists():
        raise DomainError(_("A name server change is already under way"), field="nameservers", code="job_in_progress")
    key = f"ns:{now.isoformat()}"
    job = queue_job(domain, DomainJob.Operation.SET_NS, key=key, now=now, params={"nameservers": servers})
    if job is None:
        raise DomainError(_("A name server change is already under way"), field="nameservers", code="job_in_progress")
    audit(actor=client.user, action="domain_set_ns", obj=domain, now=now, data={"nameservers": servers})
    return job
