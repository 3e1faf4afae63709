"""The cart components checkout consults (types in `moorage.services.components`)."""

from __future__ import annotations

from moorage.services.components import CartComponent


def components() -> list[CartComponent]:
    """Every cart component, in the order their lines appear under an item."""
    from moorage.addons.checkout import COMPONENT as addons
    from moorage.domains.checkout import COMPONENT as domains
    from moorage.orderforms.checkout import COMPONENT as orderforms

    return [orderforms, addons, domains]
