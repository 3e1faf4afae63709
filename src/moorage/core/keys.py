"""Which keys production may not run with, and the Fernet key derived from a secret key (pure: no Django)."""

from __future__ import annotations

import base64
import binascii
import hashlib

# The embedded secret key of the demo: public, so anything derived from it is public too.
DEMO_SECRET_KEY = "moorage-insecure-demo-key-change-me-in-production-0123456789"
DEMO_KEY_PREFIX = "moorage-insecure-demo-key"


def derived_fernet_key(secret_key: str) -> str:
    """The Fernet key used when MOORAGE_FERNET_KEYS is unset (the embedded run)."""
    digest = hashlib.sha256(("moorage-fernet:" + secret_key).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


DEMO_FERNET_KEY = derived_fernet_key(DEMO_SECRET_KEY)


def fernet_key_problem(key: str) -> str | None:
    """Why `key` is not a usable Fernet key (32 url-safe base64 bytes), or None when it is."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return "is not url-safe base64"
    if len(raw) != 32:
        return f"decodes to {len(raw)} bytes, a Fernet key has 32"
    return None


def production_key_problems(*, secret_key: str, fernet_keys: list[str]) -> list[str]:
    """What makes these keys unfit for production; an empty list when they are fit."""
    problems = []
    if secret_key.startswith(DEMO_KEY_PREFIX) or len(secret_key) < 32:
        problems.append("MOORAGE_SECRET_KEY is the public demo key or shorter than 32 characters")
    if not fernet_keys:
        problems.append("MOORAGE_FERNET_KEYS is unset (panel passwords would be encrypted with a derived key)")
    for i, key in enumerate(fernet_keys):
        if key == DEMO_FERNET_KEY or key == derived_fernet_key(secret_key):
            problems.append(f"MOORAGE_FERNET_KEYS[{i}] is derived from a secret key, not a key of its own")
    return problems
