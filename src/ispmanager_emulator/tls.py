"""Self-signed certificate for ``--tls`` (the real panel's ihttpd uses one too)."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import ssl
import tempfile


def fingerprint(der: bytes) -> str:
    """SHA-256 fingerprint in the usual ``AB:CD:..`` notation."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def generate_self_signed(hostnames: list[str]) -> tuple[bytes, bytes, bytes]:
    """Return (certificate PEM, private key PEM, certificate DER) for ``hostnames``."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("--tls needs the 'cryptography' package (or pass --cert/--key)") from exc

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0] if hostnames else "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert_pem, key_pem, cert.public_bytes(serialization.Encoding.DER)


def server_context(
    host: str, certfile: str | None = None, keyfile: str | None = None
) -> tuple[ssl.SSLContext, str, bytes]:
    """An SSL context for the server, the certificate fingerprint and its PEM."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
        with open(certfile, "rb") as fh:
            pem = fh.read()
        der = ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))
        return ctx, fingerprint(der), pem
    hostnames = ["localhost", "127.0.0.1", "::1"]
    if host and host not in hostnames and host not in ("0.0.0.0", "::"):  # noqa: S104
        hostnames.insert(0, host)
    cert_pem, key_pem, der = generate_self_signed(hostnames)
    with tempfile.TemporaryDirectory(prefix="ispmgr-emu-") as tmp:
        cert_path = os.path.join(tmp, "cert.pem")
        key_path = os.path.join(tmp, "key.pem")
        with open(cert_path, "wb") as fh:
            fh.write(cert_pem)
        with open(key_path, "wb") as fh:
            fh.write(key_pem)
        ctx.load_cert_chain(cert_path, key_path)
    return ctx, fingerprint(der), cert_pem
