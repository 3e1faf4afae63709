"""Choosing the server and the username of a new panel account (inner steps of a create)."""

from __future__ import annotations

import re
import secrets
import string

from django.db.models import Count, Q

from moorage.core.errors import DomainError
from moorage.provisioning.interface import Connection, ProvisioningModule
from moorage.provisioning.models import AppConnection, PanelAccount, ProductApp
from moorage.services.models import Service

LIVE = Q(accounts__service__status__in=[Service.Status.PENDING, Service.Status.ACTIVE, Service.Status.SUSPENDED])
_PLACEHOLDER = re.compile(r"\{(client_id|service_id|hostname|random)(?::(\d+))?\}")
_ALPHABET = string.ascii_lowercase + string.digits


def connection_info(conn: AppConnection, module: ProvisioningModule, *, lang: str = "") -> Connection:
    """The plain connection values a module needs (password decrypted); `lang`: the language of the
    client on whose behalf the calls are made (the panel answers in it)."""
    return Connection(
        url=conn.path or module.default_url(conn.ip_address, conn.api_port),
        username=conn.username,
        password=conn.password,
        ip_address=conn.ip_address,
        hostname=conn.hostname,
        verify_tls=conn.verify_tls,
        tls_fingerprint=conn.tls_fingerprint,
        timeout=float(conn.timeout),
        nameservers=tuple((ns.get("name", ""), ns.get("ip", "")) for ns in conn.nameservers if ns.get("name")),
        generation=conn.panel_generation,
        lang=lang,
    )


def choose_connection(app: ProductApp) -> AppConnection:
    """The connection for a new account: the product's own, or the least-loaded one of its group.

    Only active connections under their max accounts qualify; the chosen row stays locked until the
    transaction ends, so two checkouts cannot both take a server's last place.
    """
    if app.connection_id:
        candidates = AppConnection.objects.filter(pk=app.connection_id)
    elif app.group_id:
        candidates = AppConnection.objects.filter(group_id=app.group_id)
    else:
        raise DomainError(
            f"{app.product.name} has no app connection or server group (App tab)",
            field="connection",
            code="no_connection",
        )
    candidates = candidates.filter(active=True, module=app.product.module)
    locked = list(candidates.select_for_update().order_by("pk"))
    loads = dict(candidates.annotate(live=Count("accounts", filter=LIVE)).values_list("pk", "live"))
    for conn in sorted(locked, key=lambda c: (loads.get(c.pk, 0), c.pk)):
        if conn.max_accounts is None or loads.get(conn.pk, 0) < conn.max_accounts:
            return conn
    raise DomainError(
        f"every server for {app.product.name} is full or inactive", field="connection", code="servers_full"
    )


def _render(pattern: str, service: Service) -> str:
    host_label = re.sub(r"[^a-z0-9]", "", (service.hostname or "").split(".")[0].lower())

    def repl(m: re.Match[str]) -> str:
        name, size = m.group(1), m.group(2)
        if name == "client_id":
            return str(service.client_id)
        if name == "service_id":
            return str(service.pk)
        if name == "hostname":
            return host_label
        return "".join(secrets.choice(_ALPHABET) for _ in range(int(size or 4)))

    return _PLACEHOLDER.sub(repl, pattern).lower()


def _fit(name: str) -> str:
    name = re.sub(r"[^a-z0-9_-]", "", name.lower())
    name = name.lstrip("0123456789-_")
    if name.startswith("test"):
        name = "u" + name
    return name[:16]


def generate_username(
    *,
    pattern: str,
    service: Service,
    connection: AppConnection,
    module: ProvisioningModule,
    taken_on_panel: set[str] | None = None,
) -> str:
    """A username from the product's pattern, made valid and unique on the server.

    Uniqueness: not used by another account of this connection in billing, nor on the panel (when
    its list is given). A clash is resolved by adding digits, then random characters.
    """
    base = _fit(_render(pattern or "{hostname}", service))
    if len(base) < 3:
        base = _fit(f"u{service.client_id}{base}")
    taken = set(PanelAccount.objects.filter(connection=connection).values_list("username", flat=True))
    taken |= taken_on_panel or set()
    candidates = [base] + [f"{base[: 16 - len(str(n))]}{n}" for n in range(2, 100)]
    candidates += [f"{base[:11]}{''.join(secrets.choice(_ALPHABET) for _ in range(5))}" for _ in range(20)]
    for name in candidates:
        if name not in taken and module.validate_username(name) is None:
            return name
    raise DomainError(
        "cannot find a free username with the product's pattern", field="username_pattern", code="username_exhausted"
    )


def new_marker() -> str:
    """The ownership marker of a new panel account: 128 random bits no one else can write."""
    return secrets.token_hex(16)


def new_password(length: int = 16) -> str:
    """A panel password: letters and digits with at least one of each kind."""
    while True:
        pw = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw):
            return pw
