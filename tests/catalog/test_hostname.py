"""A product's hostname rule: none, DNS name, domain name or FQDN."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moorage.catalog.hostname import HostnameError, HostnameRule, normalize, validate

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
tld = st.from_regex(r"[a-z]{2,12}", fullmatch=True)


@pytest.mark.parametrize(
    ("given_name", "rule", "expected"),
    [
        ("example.com", "domain", "example.com"),
        ("  Example.COM  ", "domain", "example.com"),
        ("example.com.", "domain", "example.com"),
        ("www.example.com", "fqdn", "www.example.com"),
        ("a-b.c-d.example.co.uk", "fqdn", "a-b.c-d.example.co.uk"),
        ("localhost", "dns", "localhost"),
        ("web-1", "dns", "web-1"),
        ("123", "dns", "123"),
        ("bücher.de", "domain", "xn--bcher-kva.de"),
        ("www.münchen.de", "fqdn", "www.xn--mnchen-3ya.de"),
        ("пример.рф", "domain", "xn--e1afmkfd.xn--p1ai"),
        ("xn--bcher-kva.de", "domain", "xn--bcher-kva.de"),
        # IDNA 2008 / UTS 46 (non-transitional): ß and ς are letters of their own, not "ss" and "σ".
        ("ß.de", "domain", "xn--zca.de"),
        ("straße.de", "domain", "xn--strae-oqa.de"),
        ("Faß.DE", "domain", "xn--fa-hia.de"),
        ("ＥＸＡＭＰＬＥ．ｃｏｍ", "domain", "example.com"),
        ("xn--zca.de", "domain", "xn--zca.de"),
        ("anything goes_here!", "none", "anything goes_here!"),
        ("  padded  ", "none", "padded"),
    ],
)
def test_accepted_hostnames_are_normalised(given_name, rule, expected):
    assert validate(given_name, rule) == expected


@pytest.mark.parametrize(
    ("bad", "rule", "message"),
    [
        ("", "dns", "empty"),
        ("   ", "domain", "empty"),
        (".", "domain", "empty"),
        ("-web.example.com", "domain", "not a valid DNS label"),
        ("web-.example.com", "domain", "not a valid DNS label"),
        ("we_b.example.com", "domain", "not a valid DNS label"),
        ("exa mple.com", "domain", "not a valid DNS label"),
        ("example.com\n.", "domain", "not a valid DNS label"),
        ("example\n.com", "domain", "not a valid DNS label"),
        ("a..b.com", "domain", "cannot be encoded"),
        ("example.com..", "domain", "label is empty"),
        ("a" * 64 + ".com", "domain", "cannot be encoded"),
        (".".join(["a" * 63] * 4) + ".com", "domain", "at most 253"),
        ("example", "domain", "at least two labels"),
        ("example.c", "domain", "top-level domain"),
        ("example.123", "domain", "top-level domain"),
        ("example.com", "fqdn", "host and a domain"),
        ("x" * 254, "none", "at most 253"),
        ("bad\x00name", "none", "control characters"),
        ("bad\ud800name", "none", "control characters"),
        ("xn--abc.de", "domain", "not a valid international label"),
        ("☃.com", "domain", "not a valid international label"),
        ("ü" * 64 + ".de", "domain", "not a valid international label"),
        ("exam\x00ple.com", "domain", "cannot be encoded|not a valid"),
    ],
)
def test_refused_hostnames_say_why(bad, rule, message):
    with pytest.raises(HostnameError, match=message):
        validate(bad, rule)


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError):
        validate("example.com", "strict")


def test_normalize_encodes_international_names():
    assert normalize("Bücher.DE.") == "xn--bcher-kva.de"
    assert normalize("  ") == ""


@given(labels=st.lists(label, min_size=1, max_size=3), top=tld)
def test_well_formed_names_pass_every_rule_they_satisfy(labels, top):
    name = ".".join([*labels, top])
    assert validate(name, HostnameRule.DOMAIN) == name
    assert validate(name.upper(), HostnameRule.DNS) == name
    if len(labels) >= 2:
        assert validate(name, HostnameRule.FQDN) == name
    else:
        with pytest.raises(HostnameError):
            validate(name, HostnameRule.FQDN)


@given(
    text=st.text(max_size=80),
    rule=st.sampled_from([HostnameRule.DNS, HostnameRule.DOMAIN, HostnameRule.FQDN]),
)
def test_whatever_is_accepted_is_a_plain_ascii_dns_name(text, rule):
    try:
        name = validate(text, rule)
    except HostnameError:
        return
    assert name.isascii()
    assert name == name.lower()
    assert 0 < len(name) <= 253
    for part in name.split("."):
        assert 1 <= len(part) <= 63
        assert all(ch.isalnum() or ch == "-" for ch in part)
        assert not part.startswith("-") and not part.endswith("-")
    # Validating an accepted name again changes nothing.
    assert validate(name, rule) == name
