"""Contract templates (versioned terms), what a product requires, and the clients' acceptances."""

from __future__ import annotations
