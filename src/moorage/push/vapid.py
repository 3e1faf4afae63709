"""The VAPID key pair that signs Moorage's Web Push requests: from settings, or generated once for
the embedded run and kept in the data directory."""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

KEY_FILE = "vapid-keys.json"


@dataclass(frozen=True)
class VapidKeys:
    private_key: str  # the raw 32-byte P-256 private key, base64url without padding
    public_key: str  # the uncompressed public point (65 bytes), base64url: the browser's applicationServerKey
    subject: str  # mailto: or https: contact the push services may use


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate() -> tuple[str, str]:
    """A new key pair: (private, public), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(private), b64url(public)


def public_from_private(private: str) -> str:
    """The public key of a raw base64url private key; ValueError when it is not one."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}=?", private):
        raise ValueError("a VAPID private key is 32 bytes, base64url")
    value = int.from_bytes(b64url_decode(private), "big")
    key = ec.derive_private_key(value, ec.SECP256R1())
    return b64url(
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def configured() -> bool:
    """The keys come from the environment (what production needs: every machine signs with the same pair)."""
    return bool(getattr(settings, "MOORAGE_VAPID_PRIVATE_KEY", ""))


def _subject() -> str:
    subject = getattr(settings, "MOORAGE_VAPID_SUBJECT", "")
    return subject or f"mailto:{settings.DEFAULT_FROM_EMAIL}"


def key_file() -> Path:
    return Path(settings.DATA_DIR) / KEY_FILE


def _load_or_create_file() -> tuple[str, str]:
    path = key_file()
    if not path.exists():
        private, public = generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"private_key": private, "public_key": public}, fh)
        try:
            os.link(tmp, path)  # the first process to create it wins; the others read its pair
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    data = json.loads(path.read_text())
    return data["private_key"], data["public_key"]


def keys() -> VapidKeys:
    """The keys in use: MOORAGE_VAPID_PRIVATE_KEY (public key derived when not set), else the
    embedded run's generated pair."""
    if configured():
        private = settings.MOORAGE_VAPID_PRIVATE_KEY.strip()
        public = getattr(settings, "MOORAGE_VAPID_PUBLIC_KEY", "").strip() or public_from_private(private)
        return VapidKeys(private, public, _subject())
    private, public = _load_or_create_file()
    return VapidKeys(private, public, _subject())
