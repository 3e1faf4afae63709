"""Comparing one panel with billing: read the panel through the module interface (outside any
transaction) and list the mismatches, as plain values the run then records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moorage.provisioning.accounts import connection_info
from moorage.provisioning.interface import OURS, AccountState
from moorage.provisioning.models import AppConnection, PanelAccount, ProductApp, ProvisioningJob
from moorage.provisioning.registry import get_module
from moorage.services.models import Service
from moorage.services.queries import limit_additions

S = Service.Status
# Services whose account billing expects to be on the panel in the state of the service.
STATEFUL = (S.ACTIVE, S.SUSPENDED)

UNKNOWN_PANEL_USER = "unknown_panel_user"
MISSING_ACCOUNT = "missing_account"
STATE_MISMATCH = "state_mismatch"
PACKAGE_MISMATCH = "package_mismatch"


@dataclass
class Mismatch:
    """One mismatch seen now; `fix` is the remedy offered (empty: staff act by hand)."""

    kind: str
    username: str
    service_id: int | None
    fix: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Comparison:
    panel_users: int = 0
    accounts: int = 0
    packages_checked: bool = False
    mismatches: list[Mismatch] = field(default_factory=list)


def _panel_states(module: Any, conn: Any, markers: dict[str, str]) -> dict[str, AccountState]:
    """Every account on the panel, with `ours` said for the names in `markers`.

    The module's usage reading gives it in 2 + N calls (no per-account usage is asked); a module
    without it is read name by name.
    """
    states = module.usage(conn, usernames=(), markers=markers)
    if states:
        return states
    states = {}
    for name in module.list_usernames(conn):
        if name in markers:
            state = module.account_state(conn, name)
            if not state.exists:
                continue
            state.ours = module.ownership(conn, name, markers[name]) == OURS
        else:
            state = AccountState(username=name, exists=True)
        states[name] = state
    return states


def compare_connection(connection: AppConnection) -> Comparison:
    """Read the panel of `connection` and compare it with billing's accounts on it.

    Raises ModuleError when the panel cannot be read (the caller records it as the run's error).
    """
    module = get_module(connection.module)
    conn = connection_info(connection, module)
    accounts = list(
        PanelAccount.objects.filter(connection=connection).select_related("service", "service__product").order_by("pk")
    )
    expected = [a for a in accounts if a.exists_on_panel]
    creating = set(
        ProvisioningJob.objects.filter(
            service__panel_account__connection=connection,
            operation=ProvisioningJob.Operation.CREATE,
            status__in=ProvisioningJob.OPEN,
        ).values_list("service__panel_account__username", flat=True)
    )
    by_name = {a.username: a for a in accounts}
    markers = {a.username: a.panel_marker for a in expected}

    states = _panel_states(module, conn, markers)
    result = Comparison(panel_users=len(states), accounts=len(expected))

    for name in sorted(states):
        account = by_name.get(name)
        if account is not None and (account.exists_on_panel or name in creating):
            continue
        details: dict[str, Any] = {"panel": "suspended" if states[name].suspended else "active"}
        if account is not None:
            # Billing once had an account by this name (its service ended, or its create never finished).
            details["former_service"] = account.service_id
            details["former_status"] = account.service.status
        result.mismatches.append(Mismatch(UNKNOWN_PANEL_USER, name, None, "adopt", details))

    wanted: dict[str, dict[str, Any]] = {}
    for account in expected:
        service = account.service
        state = states.get(account.username)
        billing = {"billing": service.status}
        if state is None:
            fix = "recreate" if service.status in STATEFUL else ""
            result.mismatches.append(
                Mismatch(MISSING_ACCOUNT, account.username, service.pk, fix, {**billing, "reason": "absent"})
            )
            continue
        if state.ours is False:
            # A namesake holds the name: billing's account is gone; never touch the stranger's.
            fix = "recreate" if service.status in STATEFUL else ""
            result.mismatches.append(
                Mismatch(MISSING_ACCOUNT, account.username, service.pk, fix, {**billing, "reason": "not_ours"})
            )
            continue
        panel = "suspended" if state.suspended else "active"
        if service.status == S.ACTIVE and state.suspended:
            fix = "resume"
        elif service.status == S.SUSPENDED and not state.suspended:
            fix = "suspend"
        elif service.status not in STATEFUL:
            fix = ""  # an ended service whose account is still there: staff decide
        else:
            fix = None
        if fix is not None:
            result.mismatches.append(
                Mismatch(STATE_MISMATCH, account.username, service.pk, fix, {**billing, "panel": panel})
            )
        if service.status in STATEFUL:
            app = ProductApp.objects.filter(product_id=service.product_id).first()
            options = dict(app.options) if app else {}
            additions = limit_additions(service)
            if additions:
                options["limit_additions"] = additions
            wanted[account.username] = options

    differences = module.package_differences(conn, wanted) if wanted else {}
    result.packages_checked = differences is not None
    for name, diffs in sorted((differences or {}).items()):
        if diffs and name in by_name:
            result.mismatches.append(
                Mismatch(
                    PACKAGE_MISMATCH,
                    name,
                    by_name[name].service_id,
                    "reapply",
                    {"differences": {k: list(v) for k, v in sorted(diffs.items())}},
                )
            )
    return result
