"""A small EPP server (RFC 5730-5734 over TLS) for tests and the demo; imports nothing from Moorage."""

from .registry import FOREIGN_DOMAINS, OTHER_REGISTRAR, Registry
from .server import FAULTS, EppStandin

__all__ = ["FAULTS", "FOREIGN_DOMAINS", "OTHER_REGISTRAR", "EppStandin", "Registry"]
