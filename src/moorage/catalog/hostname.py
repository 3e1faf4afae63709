"""Hostname validation rules of a product (pure: no Django)."""

from __future__ import annotations

import re
from enum import StrEnum

import idna


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


def _fail_encoding(hostname: str, reason: str) -> HostnameError:
    return HostnameError(f"'{hostname}' cannot be encoded as a DNS name: {reason}")


def _a_label(label: str, hostname: str) -> str:
    """One label in its DNS form: plain ASCII as it is, anything else by IDNA 2008."""
    if not label or len(label) > 63 and label.isascii():
        raise _fail_encoding(hostname, "a label is empty or longer than 63 characters")
    if label.isascii() and not label.startswith("xn--"):
        return label  # an ASCII label needs no encoding; the label rule below checks its letters
    try:
        return idna.encode(label).decode("ascii")
    except idna.IDNAError as exc:
        raise _fail_encoding(hostname, f"'{label}' is not a valid international label ({exc})") from exc


def normalize(hostname: str) -> str:
    """Lower-case, strip spaces and a trailing dot, and encode international names as punycode.

    International names follow IDNA 2008 with the UTS 46 mapping (non-transitional), as browsers and
    registries do: `ß.de` is `xn--zca.de`, not the IDNA 2003 `ss.de`, a different domain.
    """
    name = hostname.strip()
    if not name.isascii():
        try:
            name = idna.uts46_remap(name, std3_rules=False, transitional=False)
        except idna.IDNAError as exc:
            raise _fail_encoding(hostname, str(exc)) from exc
    name = name.lower()
    # One trailing dot is the DNS root; "example.com.." is not a name.
    name = name.removesuffix(".")
    if not name:
        return ""
    return ".".join(_a_label(label, hostname) for label in name.split("."))


def _printable(text: str) -> bool:
    """No control character, no lone surrogate (neither can be shown or stored as text)."""
    return all(ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def validate(hostname: str, rule: HostnameRule | str) -> str:
    """Return the normalised hostname, or raise HostnameError naming what is wrong."""
    rule = HostnameRule(rule)
    if rule is HostnameRule.NONE:
        # Not validated, but it must still fit the service's hostname column.
        name = hostname.strip()
        if not _printable(name):
            raise HostnameError("a hostname cannot contain control characters")
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
