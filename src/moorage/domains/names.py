"""Domain names and generated hostnames (pure: no Django): split a name into label and TLD, check a
subdomain label, fill a hostname pattern."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable

from moorage.catalog.hostname import HostnameError, HostnameRule, validate

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PLACEHOLDERS = ("client_id", "service_id", "random", "product_code")
RANDOM_ALPHABET = string.ascii_lowercase + string.digits


class DomainNameError(ValueError):
    """The name is not one Moorage can sell; the message says why."""


def normalize_domain(name: str) -> str:
    """The name in its DNS form (lower case, punycode), checked as a domain; raises DomainNameError."""
    try:
        return validate(name, HostnameRule.DOMAIN)
    except HostnameError as exc:
        raise DomainNameError(str(exc)) from exc


def split(name: str, tlds: Iterable[str]) -> tuple[str, str]:
    """(label, tld) of a second-level name under the longest matching TLD; raises DomainNameError."""
    name = normalize_domain(name)
    matches = sorted((t for t in tlds if name.endswith("." + t)), key=len, reverse=True)
    if not matches:
        raise DomainNameError(f"we do not offer the TLD of {name}")
    tld = matches[0]
    label = name[: -len(tld) - 1]
    if "." in label or not _LABEL.fullmatch(label):
        raise DomainNameError(f"'{name}' is not a name directly under .{tld}")
    return label, tld


def subdomain(label: str, parent: str) -> str:
    """`label.parent` with the label checked (one DNS label); raises DomainNameError."""
    label = label.strip().lower()
    if not _LABEL.fullmatch(label):
        raise DomainNameError(f"'{label}' is not a valid subdomain label (letters, digits and inner hyphens)")
    return normalize_domain(f"{label}.{parent}")


def random_part(length: int = 8) -> str:
    return "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(length))


def render_pattern(pattern: str, *, client_id: int, service_id: int | None, product_code: str, random: str) -> str:
    """The hostname a pattern makes, checked as a DNS name; raises DomainNameError (unknown placeholder,
    braces, or a result that is no hostname)."""
    values = {
        "client_id": str(client_id),
        "service_id": "" if service_id is None else str(service_id),
        "random": random,
        "product_code": re.sub(r"[^a-z0-9-]", "-", product_code.lower()).strip("-"),
    }
    for found in re.findall(r"\{([^{}]*)\}", pattern):
        if found not in PLACEHOLDERS:
            raise DomainNameError(f"unknown placeholder {{{found}}}; known: {', '.join(PLACEHOLDERS)}")
    result = pattern
    for key, value in values.items():
        result = result.replace("{" + key + "}", value)
    if "{" in result or "}" in result:
        raise DomainNameError("unbalanced braces in the hostname pattern")
    try:
        return validate(result, HostnameRule.DNS)
    except HostnameError as exc:
        raise DomainNameError(f"the pattern makes '{result}', which is no hostname: {exc}") from exc
