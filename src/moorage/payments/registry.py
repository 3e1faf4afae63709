"""The payment gateway registry: module classes from the `moorage.gateways` entry points, loaded once
per process, and each built with the staff settings stored in its `GatewayConfig`."""

from __future__ import annotations

import logging
import threading
from importlib.metadata import entry_points

from moorage.core.errors import NotFound
from moorage.payments.interface import GatewayModule
from moorage.payments.models import GatewayConfig

log = logging.getLogger(__name__)
GROUP = "moorage.gateways"

_lock = threading.Lock()
_loaded: dict[str, type[GatewayModule]] | None = None
_registered: dict[str, type[GatewayModule]] = {}  # test hook: modules added at run time


def _load() -> dict[str, type[GatewayModule]]:
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                found: dict[str, type[GatewayModule]] = {}
                for ep in entry_points(group=GROUP):
                    try:
                        cls = ep.load()
                    except Exception:  # noqa: BLE001  (one broken module must not take the others down)
                        log.exception("payment gateway module %s (%s) cannot be loaded", ep.name, ep.value)
                        continue
                    if not (isinstance(cls, type) and issubclass(cls, GatewayModule)):
                        log.error("entry point %s does not name a GatewayModule subclass", ep.value)
                        continue
                    found[cls.code or ep.name] = cls
                _loaded = found
    return _loaded


def module_classes() -> dict[str, type[GatewayModule]]:
    """Every gateway module this installation knows, by code."""
    return {**_load(), **_registered}


def register_module(cls: type[GatewayModule]) -> None:
    """Add a module class at run time (tests register a fake gateway; `unregister_module` removes it)."""
    if not cls.code:
        raise ValueError("a gateway module needs a code")
    _registered[cls.code] = cls


def unregister_module(code: str) -> None:
    _registered.pop(code, None)


def module_class(code: str) -> type[GatewayModule] | None:
    return module_classes().get(code)


def config_of(code: str) -> GatewayConfig | None:
    return GatewayConfig.objects.filter(code=code).first()


def is_enabled(code: str, config: GatewayConfig | None = None, *, cls: type[GatewayModule] | None = None) -> bool:
    cls = cls or module_class(code)
    if cls is None:
        return False
    config = config if config is not None else config_of(code)
    return config.enabled if config is not None else cls.enabled_by_default


def build(code: str, config: GatewayConfig | None = None) -> GatewayModule:
    """The module instance for `code`, built with its decrypted settings (NotFound if unknown)."""
    cls = module_class(code)
    if cls is None:
        raise NotFound(f"no payment gateway {code!r}", field="gateway")
    config = config if config is not None else config_of(code)
    return cls(config.get_settings() if config is not None else {})


def gateway(code: str) -> GatewayModule:
    """The module of an enabled gateway (NotFound if unknown or disabled)."""
    config = config_of(code)
    if not is_enabled(code, config):
        raise NotFound(f"payment gateway {code!r} is not enabled", field="gateway", code="gateway_disabled")
    return build(code, config)


def display_name(code: str, config: GatewayConfig | None = None) -> str:
    """What clients and staff call a gateway: the staff's display name, else the module's name."""
    config = config if config is not None else config_of(code)
    if config is not None and config.display_name:
        return config.display_name
    cls = module_class(code)
    return str(cls.name) if cls is not None and cls.name else code  # a lazy name, in the active language


def enabled_gateways(*, online: bool | None = None) -> list[tuple[GatewayConfig | None, GatewayModule]]:
    """The enabled gateways in the staff's order, each (config or None, module instance); `online`
    narrows to those that send the client to a provider (True) or not (False)."""
    configs = {c.code: c for c in GatewayConfig.objects.all()}
    found = []
    for code, cls in module_classes().items():
        config = configs.get(code)
        if not is_enabled(code, config, cls=cls):
            continue
        if online is not None and cls.online != online:
            continue
        found.append((config, cls(config.get_settings() if config is not None else {})))
    found.sort(key=lambda pair: (pair[0].sort_order if pair[0] else 0, pair[1].code))
    return found


def manual_gateways() -> list[str]:
    """The codes of gateways whose payments staff record by hand (bank transfer)."""
    return [code for code, cls in module_classes().items() if cls.manual]
