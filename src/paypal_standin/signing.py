"""PayPal's webhook signature scheme: RSA-SHA256 over `transmission_id|transmission_time|webhook_id|crc32(body)`,
checked with the public key of an X.509 certificate published at `PAYPAL-CERT-URL`."""

from __future__ import annotations

import base64
import datetime
import zlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

AUTH_ALGO = "SHA256withRSA"


def signed_message(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    """The exact bytes PayPal signs: the CRC32 of the raw body is written as an unsigned decimal."""
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


class Signer:
    """A fresh RSA key and a self-signed certificate for it, made when the stand-in starts."""

    def __init__(self, common_name: str = "messageverificationcerts.standin.paypal.invalid") -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM)

    def sign(self, transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> str:
        message = signed_message(transmission_id, transmission_time, webhook_id, body)
        signature = self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def verify(
        self, signature_b64: str, transmission_id: str, transmission_time: str, webhook_id: str, body: bytes
    ) -> bool:
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            self._key.public_key().verify(
                signature,
                signed_message(transmission_id, transmission_time, webhook_id, body),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True
