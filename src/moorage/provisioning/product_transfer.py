"""The product file's `app` section (catalog.transfer): the product's App tab — its app connection or
server group, by name, and the module's product options (preset, limit overrides, username pattern…).
The module itself is the product's own `module` field.

A connection or group named in the file must exist on the importing installation with the product's
module: otherwise the import is refused naming it (a product silently left without a server would
fail at its first order instead). Options are checked against the module's declared product fields,
as the App settings page checks them."""

from __future__ import annotations

from typing import Any

from moorage.catalog.models import Product
from moorage.catalog.transfer import Section
from moorage.core.errors import DomainError
from moorage.provisioning.actions import _clean_option
from moorage.provisioning.models import AppConnection, ProductApp, ServerGroup
from moorage.provisioning.registry import available_modules

KEY = "app"
KEYS = ("connection", "group", "options")


def _fail(path: str, message: str) -> DomainError:
    return DomainError(f"{path}: {message}", field=path, code="invalid_import")


def export(product: Product) -> dict[str, Any] | None:
    app = ProductApp.objects.filter(product=product).select_related("connection", "group").first()
    if app is None:
        return None
    return {
        "connection": app.connection.name if app.connection else None,
        "group": app.group.name if app.group else None,
        "options": dict(sorted((app.options or {}).items())),
    }


def parse(value: Any, path: str) -> dict[str, Any]:
    """Check the shape and find the connection or group by name; the options are checked by `apply`,
    which knows the product's module."""
    if not isinstance(value, dict):
        raise _fail(path, "must be an object with connection, group and options")
    for key in value:
        if key not in KEYS:
            raise _fail(f"{path}.{key}", "unknown key")
    connection_name, group_name = value.get("connection"), value.get("group")
    options = value.get("options", {})
    for key, name in (("connection", connection_name), ("group", group_name)):
        if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 100):
            raise _fail(f"{path}.{key}", "must be a name (or null)")
    if connection_name is not None and group_name is not None:
        raise _fail(path, "names either an app connection or a server group, not both")
    if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
        raise _fail(f"{path}.options", "must be an object of option names and values")
    if len(options) > 200:
        raise _fail(f"{path}.options", "has more than 200 options")
    for name, raw in options.items():
        if raw is not None and not isinstance(raw, str | int | bool):
            raise _fail(f"{path}.options.{name}", "must be a string, a whole number or true/false")
    connection = group = None
    if connection_name is not None:
        connection = AppConnection.objects.filter(name=connection_name).first()
        if connection is None:
            raise _fail(f"{path}.connection", f"no app connection named {connection_name!r} on this installation")
    if group_name is not None:
        group = ServerGroup.objects.filter(name=group_name).first()
        if group is None:
            raise _fail(f"{path}.group", f"no server group named {group_name!r} on this installation")
    return {"connection": connection, "group": group, "options": options, "path": path}


def apply(product: Product, clean: dict[str, Any]) -> None:
    path = clean["path"]
    connection, group, options = clean["connection"], clean["group"], clean["options"]
    module_name = product.module
    if not module_name:
        if connection or group or options:
            raise _fail(path, "the product has no module (product.module) for an app connection or options")
        ProductApp.objects.create(product=product, options={})
        return
    module = available_modules().get(module_name)
    if module is None:
        raise _fail("product.module", f"no provisioning module named {module_name!r} is installed")
    for key, row in (("connection", connection), ("group", group)):
        if row is not None and row.module != module_name:
            raise _fail(f"{path}.{key}", f"{row.name} belongs to the {row.module} module, not {module_name}")
    fields = {f.name: f for f in module.product_fields}
    stored: dict[str, Any] = {}
    for name, raw in options.items():
        if name not in fields:
            raise _fail(f"{path}.options.{name}", f"unknown key: {module_name} has no such product field")
        if raw is None or raw == "":
            continue
        try:
            stored[name] = _clean_option(fields[name], raw)
        except DomainError as exc:
            raise _fail(f"{path}.options.{name}", exc.message) from exc
    ProductApp.objects.create(product=product, connection=connection, group=group, options=stored)


SECTION = Section(key=KEY, export=export, parse=parse, apply=apply)
