"""This component's part of checkout (see moorage.services.components)."""

from __future__ import annotations

from moorage.services.components import CartComponent

COMPONENT = CartComponent()
