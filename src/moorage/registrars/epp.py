"""The EPP registrar module (RFC 5730-5734 over TLS)."""

from __future__ import annotations
