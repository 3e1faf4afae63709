"""Hostname validation rules of a product (pure: no Django)."""

from __future__ import annotations

import re
from enum import StrEnum


class HostnameRule(StrEnum):
    NONE = "none"
    DNS = "dns"
    DOMAIN = "domain"
    FQDN = "fqdn"


RULE_LABELS = {
    HostnameRule.NONE: "Do not validate provided hostname",
    HostnameRule.DNS: "Check if provided hostname is valid DNS name",
    HostnameRule.DOMAIN: "Check if provided hostname is valid domain name",
    HostnameRule.FQDN: "Check if provided hostname is valid FQDN",
}

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


class HostnameError(ValueError):
    """The hostname breaks the product's rule; the message says how."""


def normalize(hostname: str) -> str:
    """Lower-case, strip spaces and a trailing dot, and encode international names as punycode."""
    name = hostname.strip().lower()
    # One trailing dot is the DNS root; "example.com.." is not a name.
    name = name.removesuffix(".")
    if not name:
        return ""
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise HostnameError(f"'{hostname}' cannot be encoded as a DNS name") from exc


def validate(hostname: str, rule: HostnameRule | str) -> str:
    """Return the normalised hostname, or raise HostnameError naming what is wrong."""
    rule = HostnameRule(rule)
    if rule is HostnameRule.NONE:
        # Not validated, but it must still fit the service's hostname column.
        name = hostname.strip()
        if len(name) > 253:
            raise HostnameError("a hostname has at most 253 characters")
        return name
    name = normalize(hostname)
    if not name:
        raise HostnameError("the hostname is empty")
    if len(name) > 253:
        raise HostnameError("a hostname has at most 253 characters")
    labels = name.split(".")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise HostnameError(
                f"'{label}' is not a valid DNS label (letters, digits and inner hyphens, 1-63 characters)"
            )
    if rule is HostnameRule.DNS:
        return name
    if len(labels) < 2:
        raise HostnameError("a domain name needs at least two labels, such as example.com")
    if not _TLD.fullmatch(labels[-1]):
        raise HostnameError(f"'{labels[-1]}' is not a valid top-level domain")
    if rule is HostnameRule.FQDN and len(labels) < 3:
        raise HostnameError("a fully qualified hostname needs a host and a domain, such as www.example.com")
    return name
