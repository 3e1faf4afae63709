"""Shared pieces of the provisioning staff pages: module choices, permissions, safe redirects."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from moorage.provisioning.models import ModuleState, ProvisioningJob
from moorage.provisioning.registry import available_modules

Op = ProvisioningJob.Operation
RETRYABLE = (
    ProvisioningJob.Status.FAILED,
    ProvisioningJob.Status.ERRORED,
    ProvisioningJob.Status.UNKNOWN,
)
# Who may do what beyond reading: run remote actions, retry jobs, see panel secrets (password, SSO).
PERM_RUN = "provisioning.add_provisioningjob"
PERM_RETRY = "provisioning.change_provisioningjob"
PERM_SECRETS = "provisioning.view_panelaccount"


def module_choices() -> list[tuple[str, str]]:
    active = set(ModuleState.objects.filter(active=True).values_list("name", flat=True))
    return [
        (name, (m.display_name or name) + ("" if name in active else " (inactive)"))
        for name, m in available_modules().items()
    ]


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default
