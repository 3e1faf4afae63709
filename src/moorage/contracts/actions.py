"""Contract actions: staff write versions and publish them; clients accept the terms when registering.

Checkout's acceptances are written by `contracts.checkout.record`, inside the order's transaction.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from moorage.contracts.models import Acceptance, ContractTemplate, ContractVersion
from moorage.core.actions import audit
from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.core.validators import text_problem
from moorage.customers.models import Client

MAX_TEXT = 200_000


def clean_ip(value: str | None) -> str | None:
    """An address fit for the acceptance record, or None (a proxy's junk never fails an order)."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("The contract text is empty"), field="text", code="required")
    if len(text) > MAX_TEXT:
        raise DomainError(
            _("The contract text has more than %(max)s characters") % {"max": MAX_TEXT}, field="text", code="too_long"
        )
    if problem := text_problem(text, multiline=True):
        raise DomainError(_("The text %(problem)s") % {"problem": problem}, field="text", code="invalid_text")
    return text


@transaction.atomic
def contract_version_add(
    *, template_id: int, text: str, publish: bool, now: dt.datetime, actor: User | None
) -> ContractVersion:
    """A new version of a template (number = the last one + 1), published now or kept as a draft."""
    text = clean_text(text)
    template = ContractTemplate.objects.select_for_update().get(pk=template_id)  # numbers given one at a time
    last = template.versions.aggregate(last=Max("number"))["last"] or 0
    version = ContractVersion.objects.create(
        template=template, number=last + 1, text=text, published_at=now if publish else None
    )
    audit(actor=actor, action="contract_version_add", obj=version, now=now, data={"published": publish})
    return version


@transaction.atomic
def contract_version_update(
    *, version_id: int, text: str, publish: bool, now: dt.datetime, actor: User | None
) -> ContractVersion:
    """Correct a version's text or publish it; refused once a client accepted it (a change is then a
    new version, so every acceptance keeps pointing at the exact text the client saw)."""
    text = clean_text(text)
    version = ContractVersion.objects.select_for_update().get(pk=version_id)
    if version.acceptances.exists():
        raise DomainError(
            _("Version %(number)s was accepted by clients and cannot change; add a new version")
            % {"number": version.number},
            field="text",
            code="version_accepted",
        )
    version.text = text
    if publish and version.published_at is None:
        version.published_at = now
    elif not publish:
        version.published_at = None
    version.save(update_fields=["text", "published_at"])
    audit(actor=actor, action="contract_version_update", obj=version, now=now, data={"published": publish})
    return version


def terms_required() -> list[ContractVersion]:
    """The current versions of the templates every new client accepts when registering."""
    versions = []
    for template in ContractTemplate.objects.filter(terms=True).order_by("name", "pk"):
        version = template.current_version()
        if version is not None:
            versions.append(version)
    return versions


def record_terms(
    *, client: Client, versions: list[ContractVersion], ip_address: str | None, now: dt.datetime
) -> list[Acceptance]:
    """Inner step: store the client's acceptance of these terms versions (each once per client)."""
    rows = []
    for version in versions:
        row, _created = Acceptance.objects.get_or_create(
            client=client,
            version=version,
            order_id=None,
            defaults={"kind": Acceptance.Kind.TERMS, "accepted_at": now, "ip_address": clean_ip(ip_address)},
        )
        rows.append(row)
    return rows


@transaction.atomic(durable=True)
def terms_accept(
    *, client_id: int, version_ids: list[int], ip_address: str | None, now: dt.datetime
) -> list[Acceptance]:
    """The client ticked "I have read and accepted the Terms of Service, Privacy Policy": store the
    acceptance of exactly the versions the page showed (published versions of terms templates)."""
    client = Client.objects.select_for_update().get(pk=client_id)
    versions = list(
        ContractVersion.objects.filter(
            pk__in=set(version_ids), template__terms=True, published_at__isnull=False
        ).select_related("template")
    )
    if len(versions) != len(set(version_ids)):
        raise DomainError(_("No such terms of service"), field="accept_terms", code="not_found")
    return record_terms(client=client, versions=versions, ip_address=ip_address, now=now)
