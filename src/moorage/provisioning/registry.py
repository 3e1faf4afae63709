"""The module registry: modules found through the `moorage.modules` entry points, loaded once."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from moorage.core.errors import DomainError
from moorage.provisioning.interface import ProvisioningModule

GROUP = "moorage.modules"


@lru_cache(maxsize=1)
def available_modules() -> dict[str, ProvisioningModule]:
    """Every installed module, by name (loaded once per process)."""
    found: dict[str, ProvisioningModule] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        module = cls()
        found[module.name or ep.name] = module
    return dict(sorted(found.items()))


def get_module(name: str) -> ProvisioningModule:
    try:
        return available_modules()[name]
    except KeyError:
        raise DomainError(f"no provisioning module named {name!r} is installed", field="module") from None


def is_active(name: str) -> bool:
    from moorage.provisioning.models import ModuleState

    return ModuleState.objects.filter(name=name, active=True).exists()
