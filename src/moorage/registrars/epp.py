"""The EPP registrar module (RFC 5730-5734 over TLS): the `epp` entry point of `moorage.registrars`.

Each call opens one session: TLS connection, greeting, <login> (with the object and extension URIs
the greeting offered), the commands, <logout>. Domains (RFC 5731) use host objects for name servers
(RFC 5732: hosts missing at the registry are created first) and one contact (RFC 5733) per client,
created when missing, as registrant and, by default, admin and tech contact.

Retries are safe: the domains app retries a TEMPORARY error, which may come after the registry did
the command but its answer was lost. So a create refused with 2302 (exists) counts as done when the
registry says the domain is ours with our registrant; a renewal refused because curExpDate no longer
matches counts as done when the expiry is already the one asked for; a transfer request refused as
already pending (2300) counts when the pending request is ours. Passwords and auth codes never reach
a log or an error message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import secrets
import ssl
import tempfile
import unicodedata
import xml.etree.ElementTree as ET  # noqa: S405 - building only
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from moorage.domains.registrar import (
    PERMANENT,
    TEMPORARY,
    Contact,
    DomainInfo,
    RegistrarError,
    RegistrarModule,
    SettingField,
)

from .epp_wire import (
    CONTACT,
    DOMAIN,
    EPP,
    HOST,
    Connection,
    Greeting,
    Response,
    document,
    error_kind,
    new_auth_code,
    parse_document,
    parse_greeting,
    parse_response,
    q,
    redact,
    sub,
    text_of,
)

logger = logging.getLogger("moorage.registrars.epp")

OBJECT_NAMES = {DOMAIN: "domain", CONTACT: "contact", HOST: "host"}
CHECK_BATCH = 10  # names per <check>: registries cap it (often at 10 to 50)
MAX_NAMESERVERS = 13
MAX_YEARS = 10  # RFC 5731: a period is 1 to 99, registries allow up to 10 years
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HANDLE = re.compile(r"^[A-Za-z0-9._-]{3,16}$")
_PHONE = re.compile(r"^\+[0-9]{1,3}\.[0-9]{1,14}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _config_error(message: str) -> RegistrarError:
    return RegistrarError(message, kind=PERMANENT, code="config")


def ace_name(name: str, *, what: str = "domain") -> str:
    """The name as the registry wants it: lower case, no trailing dot, IDNs in their xn-- form."""
    value = str(name).strip().rstrip(".").lower()
    if not value.isascii():
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError:
            raise RegistrarError(f"{name!r} is not a valid {what} name", kind=PERMANENT, code="name") from None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise RegistrarError(f"{name!r} is not a valid {what} name", kind=PERMANENT, code="name")
    return value


def _clean(value: str, limit: int = 255) -> str:
    """Contact text without control characters (which XML cannot carry), trimmed to the registry's limit."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", str(value or ""))).strip()[:limit]


def _years(years: int, *, allow_zero: bool = False) -> int:
    if isinstance(years, bool) or not isinstance(years, int) or not (0 if allow_zero else 1) <= years <= MAX_YEARS:
        raise RegistrarError(f"a period of {years!r} years is not allowed", kind=PERMANENT, code="period")
    return years


def _date(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


def _bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class DomainRecord:
    """What <domain:info> said, with the sponsor and registrant the module's retry checks need."""

    name: str
    sponsor: str
    registrant: str
    expires_on: dt.date | None
    statuses: tuple[str, ...]
    nameservers: tuple[str, ...]

    def as_info(self, *, login: str = "") -> DomainInfo:
        pending = any(s in ("pendingTransfer", "pendingCreate") for s in self.statuses)
        return DomainInfo(
            name=self.name,
            expires_on=self.expires_on,
            statuses=self.statuses,
            nameservers=self.nameservers,
            pending=pending,
            ours=(self.sponsor == login) if login else None,
        )


class Session:
    """One logged-in EPP session: every command gets its own clTRID; the answer's code decides."""

    def __init__(self, connection: Connection, greeting: Greeting, login: str, hidden: set[str]) -> None:
        self.connection = connection
        self.greeting = greeting
        self.login = login
        self.hidden = hidden  # the password and every auth code of this session: scrubbed from logs and errors
        self.logged_in = False

    # -- the exchange ---------------------------------------------------------------------------------
    def _exchange(self, name: str, element: ET.Element) -> ET.Element:
        data = document(element)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("EPP %s: %s", name, redact(data.decode("utf-8"), self.hidden))
        self.connection.send(data)
        answer = self.connection.read_frame()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("EPP answer: %s", redact(answer.decode("utf-8", "replace"), self.hidden))
        return parse_document(answer)

    def command(self, verb: str, obj: ET.Element | None = None, **attrs: str) -> Response:
        command = ET.Element(q(EPP, "command"))
        verb_element = sub(command, EPP, verb, **attrs)
        name = verb
        if obj is not None:
            verb_element.append(obj)
            name = f"{OBJECT_NAMES.get(obj.tag[1:].partition('}')[0], 'object')}:{verb}"
        return self.send_command(name, command)

    def send_command(self, name: str, command: ET.Element) -> Response:
        cltrid = f"MOO-{name.replace(':', '-')}-{secrets.token_hex(8)}"
        sub(command, EPP, "clTRID", cltrid)
        response = parse_response(self._exchange(name, command))
        if response.cltrid and response.cltrid != cltrid:
            self.connection.broken = True
            raise RegistrarError("the EPP server answered another command (clTRID mismatch)", code="protocol")
        logger.info(
            "EPP %s: %s %s (clTRID %s, svTRID %s)",
            name,
            response.code,
            redact(response.message, self.hidden),
            cltrid,
            response.svtrid,
        )
        if response.code >= 2500:  # the server closes the connection after these
            self.connection.broken = True
        return response

    def fail(self, response: Response, action: str) -> RegistrarError:
        detail = response.message or "error"
        if response.reason:
            detail += f": {response.reason}"
        message = redact(f"{action}: EPP {response.code} {detail}", self.hidden)
        return RegistrarError(message, kind=error_kind(response.code), code=str(response.code))

    def expect(self, response: Response, action: str) -> Response:
        if not response.ok:
            raise self.fail(response, action)
        return response

    # -- session ------------------------------------------------------------------------------------
    def hello(self) -> Greeting:
        return parse_greeting(self._exchange("hello", ET.Element(q(EPP, "hello"))))

    def log_in(self, password: str) -> None:
        greeting = self.greeting
        if DOMAIN not in greeting.obj_uris:
            raise _config_error("the EPP server does not offer the domain object (RFC 5731)")
        if greeting.versions and "1.0" not in greeting.versions:
            raise _config_error(f"the EPP server speaks versions {', '.join(greeting.versions)}, not 1.0")
        command = ET.Element(q(EPP, "command"))
        login = sub(command, EPP, "login")
        sub(login, EPP, "clID", self.login)
        sub(login, EPP, "pw", password)
        options = sub(login, EPP, "options")
        sub(options, EPP, "version", "1.0")
        sub(options, EPP, "lang", "en" if "en" in greeting.langs or not greeting.langs else greeting.langs[0])
        svcs = sub(login, EPP, "svcs")
        for uri in greeting.obj_uris:
            sub(svcs, EPP, "objURI", uri)
        if greeting.ext_uris:
            ext = sub(svcs, EPP, "svcExtension")
            for uri in greeting.ext_uris:
                sub(ext, EPP, "extURI", uri)
        self.expect(self.send_command("login", command), "login")
        self.logged_in = True

    def log_out(self) -> None:
        if not self.logged_in or self.connection.broken:
            return
        self.logged_in = False
        with contextlib.suppress(RegistrarError):
            self.command("logout")

    # -- domain -------------------------------------------------------------------------------------
    def check_domains(self, names: list[str]) -> dict[str, bool]:
        found: dict[str, bool] = {}
        for start in range(0, len(names), CHECK_BATCH):
            batch = names[start : start + CHECK_BATCH]
            obj = ET.Element(q(DOMAIN, "check"))
            for name in batch:
                sub(obj, DOMAIN, "name", name)
            response = self.expect(self.command("check", obj), "domain check")
            data = response.data(DOMAIN, "chkData")
            for cd in data.iter(q(DOMAIN, "cd")) if data is not None else ():
                element = cd.find(q(DOMAIN, "name"))
                if element is not None:
                    found[(element.text or "").strip().lower()] = element.get("avail") in ("1", "true")
            missing = [name for name in batch if name not in found]
            if missing:
                raise RegistrarError(f"the registry did not answer for {', '.join(missing)}", code="protocol")
        return found

    def domain_info(self, name: str) -> DomainRecord:
        obj = ET.Element(q(DOMAIN, "info"))
        sub(obj, DOMAIN, "name", name, hosts="all")
        response = self.expect(self.command("info", obj), f"domain info {name}")
        data = response.data(DOMAIN, "infData")
        if data is None:
            raise RegistrarError("the domain info answer has no data", code="protocol")
        nameservers: list[str] = []
        ns = data.find(q(DOMAIN, "ns"))
        if ns is not None:
            for element in ns:
                if element.tag == q(DOMAIN, "hostObj"):
                    nameservers.append((element.text or "").strip().lower())
                elif element.tag == q(DOMAIN, "hostAttr"):
                    nameservers.append(text_of(element, DOMAIN, "hostName").lower())
        return DomainRecord(
            name=text_of(data, DOMAIN, "name").lower() or name,
            sponsor=text_of(data, DOMAIN, "clID"),
            registrant=text_of(data, DOMAIN, "registrant"),
            expires_on=_date(text_of(data, DOMAIN, "exDate")),
            statuses=tuple(e.get("s", "") for e in data.findall(q(DOMAIN, "status")) if e.get("s")),
            nameservers=tuple(n for n in nameservers if n),
        )

    def ensure_hosts(self, hosts: tuple[str, ...], domain: str) -> None:
        """Create the host objects the registry lacks (RFC 5732), so hostObj references resolve."""
        if not hosts or HOST not in self.greeting.obj_uris:
            return
        obj = ET.Element(q(HOST, "check"))
        for host in hosts:
            sub(obj, HOST, "name", host)
        response = self.expect(self.command("check", obj), "host check")
        data = response.data(HOST, "chkData")
        missing = []
        for cd in data.iter(q(HOST, "cd")) if data is not None else ():
            element = cd.find(q(HOST, "name"))
            if element is not None and element.get("avail") in ("1", "true"):
                missing.append((element.text or "").strip().lower())
        for host in missing:
            if host.endswith("." + domain):
                raise RegistrarError(
                    f"the name server {host} lies inside {domain} and needs glue addresses, which this module "
                    "does not send; create the host at the registry first or use outside name servers",
                    kind=PERMANENT,
                    code="host",
                )
            create = ET.Element(q(HOST, "create"))
            sub(create, HOST, "name", host)
            response = self.command("create", create)
            if response.code != 2302:  # 2302: created meanwhile (by us on a retry, or by someone else)
                self.expect(response, f"host create {host}")

    # -- contact --------------------------------------------------------------------------------------
    def ensure_contact(self, handle: str, contact: Contact) -> None:
        if CONTACT not in self.greeting.obj_uris:
            raise _config_error("the EPP server does not offer the contact object (RFC 5733)")
        check = ET.Element(q(CONTACT, "check"))
        sub(check, CONTACT, "id", handle)
        response = self.expect(self.command("check", check), "contact check")
        data = response.data(CONTACT, "chkData")
        element = data.find(f"{q(CONTACT, 'cd')}/{q(CONTACT, 'id')}") if data is not None else None
        if element is None:
            raise RegistrarError("the contact check answer has no data", code="protocol")
        if element.get("avail") not in ("1", "true"):
            return  # it exists: made by an earlier order of the same client
        response = self.command("create", contact_create(handle, contact, self.hidden))
        if response.code != 2302:
            self.expect(response, f"contact create {handle}")


def contact_create(handle: str, contact: Contact, hidden: set[str]) -> ET.Element:
    name, email, city = _clean(contact.name), _clean(contact.email), _clean(contact.city)
    country = _clean(contact.country, 2).upper()
    missing = [
        label for label, value in (("name", name), ("email", email), ("city", city), ("country", country)) if not value
    ]
    if missing:
        raise RegistrarError(
            f"the registrant's {', '.join(missing)} must be filled in for the registry", kind=PERMANENT, code="contact"
        )
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise RegistrarError(f"{country!r} is not a two-letter country code", kind=PERMANENT, code="contact")
    organization, state, postal_code = _clean(contact.organization), _clean(contact.state), _clean(contact.postal_code)
    street_lines = [_clean(line) for line in str(contact.address or "").splitlines() if _clean(line)][:3]
    postal = [name, organization, city, state, postal_code, *street_lines]
    obj = ET.Element(q(CONTACT, "create"))
    sub(obj, CONTACT, "id", handle)
    # "int" must be 7-bit ASCII; anything else goes in the localized form.
    info = sub(obj, CONTACT, "postalInfo", type="int" if all(v.isascii() for v in postal) else "loc")
    sub(info, CONTACT, "name", name)
    if organization:
        sub(info, CONTACT, "org", organization)
    addr = sub(info, CONTACT, "addr")
    for line in street_lines:
        sub(addr, CONTACT, "street", line)
    sub(addr, CONTACT, "city", city)
    if state:
        sub(addr, CONTACT, "sp", state)
    if postal_code:
        sub(addr, CONTACT, "pc", _clean(postal_code, 16))
    sub(addr, CONTACT, "cc", country)
    phone = re.sub(r"[\s()-]", "", str(contact.phone or ""))
    if _PHONE.match(phone):
        sub(obj, CONTACT, "voice", phone)
    sub(obj, CONTACT, "email", email)
    auth = new_auth_code()
    hidden.add(auth)
    sub(sub(obj, CONTACT, "authInfo"), CONTACT, "pw", auth)
    return obj


class EppRegistrar(RegistrarModule):
    code = "epp"
    display_name = "EPP (RFC 5730-5734)"
    settings_fields = (
        SettingField("host", "EPP server host", help_text="e.g. epp.registry.example (OT&E first)"),
        SettingField("port", "Port", kind="int", default=700),
        SettingField("login", "Login (clID)"),
        SettingField("password", "Password", kind="password"),
        SettingField("verify_tls", "Verify the server's TLS certificate", kind="bool", required=False, default=True),
        SettingField(
            "ca_file",
            "CA certificate",
            kind="text",
            required=False,
            help_text="PEM text or a file path; when set, only this CA is trusted (registries' own CAs)",
        ),
        SettingField(
            "client_certificate",
            "Client certificate",
            kind="text",
            required=False,
            help_text="PEM text or a file path: the certificate the registry issued for your account",
        ),
        SettingField(
            "client_key",
            "Client certificate key",
            kind="text",
            required=False,
            help_text="PEM text or a file path (readable by Moorage only)",
        ),
        SettingField("client_key_password", "Client key passphrase", kind="password", required=False),
        SettingField("timeout", "Timeout (seconds)", kind="int", required=False, default=30),
        SettingField(
            "contact_prefix",
            "Contact handle prefix",
            required=False,
            help_text="put before each client's handle (contact ids are 3-16 characters, unique in the registry)",
        ),
        SettingField(
            "contact_roles",
            "Also use the registrant as",
            required=False,
            default="admin,tech",
            help_text="comma-separated contact types (admin, tech, billing); empty for the registrant only",
        ),
    )

    # -- settings -------------------------------------------------------------------------------------
    def _get(self, name: str) -> Any:
        value = self.settings.get(name)
        if value is None or value == "":
            for f in self.settings_fields:
                if f.name == name:
                    return f.default
        return value

    def _required(self, name: str) -> str:
        value = str(self._get(name) or "").strip()
        if not value:
            raise _config_error(f"the EPP setting {name!r} is empty")
        return value

    def _number(self, name: str, low: float, high: float) -> float:
        try:
            value = float(self._get(name))
        except (TypeError, ValueError):
            raise _config_error(f"the EPP setting {name!r} is not a number") from None
        if not low <= value <= high:
            raise _config_error(f"the EPP setting {name!r} must be between {low:g} and {high:g}")
        return value

    @property
    def login(self) -> str:
        return self._required("login")

    def contact_handle(self, contact: Contact) -> str:
        handle = f"{str(self._get('contact_prefix') or '').strip()}{contact.handle}"
        if not _HANDLE.match(handle):
            raise RegistrarError(
                f"the contact handle {handle!r} is not 3-16 letters, digits, dots, dashes or underscores",
                kind=PERMANENT,
                code="contact",
            )
        return handle

    def contact_roles(self) -> tuple[str, ...]:
        roles = [r.strip().lower() for r in str(self._get("contact_roles") or "").split(",") if r.strip()]
        unknown = [r for r in roles if r not in ("admin", "tech", "billing")]
        if unknown:
            raise _config_error(f"unknown contact types: {', '.join(unknown)}")
        return tuple(dict.fromkeys(roles))

    def ssl_context(self) -> ssl.SSLContext:
        ca = str(self._get("ca_file") or "").strip()
        try:
            if ca.startswith("-----BEGIN"):
                context = ssl.create_default_context(cadata=ca)
            elif ca:
                context = ssl.create_default_context(cafile=ca)
            else:
                context = ssl.create_default_context()
        except (ssl.SSLError, OSError) as error:
            raise _config_error(f"the EPP CA certificate cannot be loaded: {error}") from None
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if not _bool(self._get("verify_tls"), True):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        cert = str(self._get("client_certificate") or "").strip()
        key = str(self._get("client_key") or "").strip()
        if cert or key:
            self._load_client_certificate(context, cert, key, str(self._get("client_key_password") or "") or None)
        return context

    def _load_client_certificate(self, context: ssl.SSLContext, cert: str, key: str, passphrase: str | None) -> None:
        if not cert:
            raise _config_error("a client key is set without its certificate")
        with tempfile.TemporaryDirectory(prefix="moorage-epp-") as tmp:

            def as_file(value: str, filename: str) -> str:
                if not value.startswith("-----BEGIN"):
                    return value
                path = Path(tmp) / filename
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(value + "\n")
                return str(path)

            try:
                context.load_cert_chain(as_file(cert, "cert.pem"), as_file(key, "key.pem") if key else None, passphrase)
            except (ssl.SSLError, OSError) as error:
                raise _config_error(f"the EPP client certificate or key cannot be loaded: {error}") from None

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A logged-in session; logs out and closes whatever happens inside."""
        host = self._required("host")
        port = int(self._number("port", 1, 65535))
        timeout = self._number("timeout", 0.1, 600)
        login, password = self.login, self._required("password")
        connection = Connection(host, port, self.ssl_context(), timeout)
        session: Session | None = None
        try:
            greeting = parse_greeting(parse_document(connection.open()))
            session = Session(connection, greeting, login, {password})
            session.log_in(password)
            yield session
        finally:
            if session is not None:
                session.log_out()
            connection.close()

    # -- the interface ------------------------------------------------------------------------------
    def test_connection(self) -> str:
        with self.session() as session:
            greeting = session.hello()
        return f"logged in to {greeting.server_id or self._required('host')} as {self.login}"

    def check(self, names: list[str]) -> dict[str, bool]:
        ace = {name: ace_name(name) for name in names}
        if not ace:
            return {}
        with self.session() as session:
            found = session.check_domains(list(dict.fromkeys(ace.values())))
        return {name: found[value] for name, value in ace.items()}

    def register(self, name: str, *, years: int, contact: Contact, nameservers: tuple[str, ...]) -> DomainInfo:
        domain = ace_name(name)
        years = _years(years)
        hosts = self._nameservers(nameservers)
        handle = self.contact_handle(contact)
        roles = self.contact_roles()
        with self.session() as session:
            session.ensure_contact(handle, contact)
            session.ensure_hosts(hosts, domain)
            auth = new_auth_code()
            session.hidden.add(auth)
            obj = ET.Element(q(DOMAIN, "create"))
            sub(obj, DOMAIN, "name", domain)
            sub(obj, DOMAIN, "period", str(years), unit="y")
            if hosts:
                ns = sub(obj, DOMAIN, "ns")
                for host in hosts:
                    sub(ns, DOMAIN, "hostObj", host)
            sub(obj, DOMAIN, "registrant", handle)
            for role in roles:
                sub(obj, DOMAIN, "contact", handle, type=role)
            sub(sub(obj, DOMAIN, "authInfo"), DOMAIN, "pw", auth)
            response = session.command("create", obj)
            if response.code == 2302:
                # Ours already? A retry whose first answer was lost finds its own registration.
                record = session.domain_info(domain)
                if record.sponsor == session.login and record.registrant == handle:
                    return record.as_info()
            session.expect(response, f"domain create {domain}")
            data = response.data(DOMAIN, "creData")
            return DomainInfo(
                name=domain,
                expires_on=_date(text_of(data, DOMAIN, "exDate")),
                nameservers=hosts,
                pending=response.code == 1001,
                auth_code=auth,
            )

    def transfer(self, name: str, *, auth_code: str, years: int, contact: Contact) -> DomainInfo:
        domain = ace_name(name)
        years = _years(years, allow_zero=True)
        auth_code = str(auth_code or "")
        if not auth_code.strip() or len(auth_code) > 255 or _CONTROL.search(auth_code):
            raise RegistrarError("the transfer auth code is empty or not valid", kind=PERMANENT, code="2202")
        with self.session() as session:
            session.hidden.add(auth_code)
            response = session.command("transfer", self._transfer_obj(domain, auth_code, years), op="request")
            if response.code == 2300:  # pending: ours, when the first answer was lost
                query = session.command("transfer", self._transfer_obj(domain, auth_code, 0), op="query")
                data = query.data(DOMAIN, "trnData")
                if query.ok and text_of(data, DOMAIN, "reID") == session.login:
                    response = query
            elif response.code in (2002, 2106):  # not eligible: perhaps because it is ours already
                record = session.domain_info(domain)
                if record.sponsor == session.login:
                    return record.as_info()
            session.expect(response, f"domain transfer {domain}")
            data = response.data(DOMAIN, "trnData")
            status = text_of(data, DOMAIN, "trStatus")
            return DomainInfo(
                name=domain,
                expires_on=_date(text_of(data, DOMAIN, "exDate")),
                statuses=(f"transfer:{status}",) if status else (),
                pending=response.code == 1001 or status == "pending",
            )

    @staticmethod
    def _transfer_obj(domain: str, auth_code: str, years: int) -> ET.Element:
        obj = ET.Element(q(DOMAIN, "transfer"))
        sub(obj, DOMAIN, "name", domain)
        if years:
            sub(obj, DOMAIN, "period", str(years), unit="y")
        sub(sub(obj, DOMAIN, "authInfo"), DOMAIN, "pw", auth_code)
        return obj

    def renew(self, name: str, *, years: int, current_expiry: dt.date) -> DomainInfo:
        domain = ace_name(name)
        years = _years(years)
        if not isinstance(current_expiry, dt.date):
            raise RegistrarError("the current expiry date is missing", kind=PERMANENT, code="2003")
        if isinstance(current_expiry, dt.datetime):
            current_expiry = current_expiry.date()
        with self.session() as session:
            obj = ET.Element(q(DOMAIN, "renew"))
            sub(obj, DOMAIN, "name", domain)
            sub(obj, DOMAIN, "curExpDate", current_expiry.isoformat())
            sub(obj, DOMAIN, "period", str(years), unit="y")
            response = session.command("renew", obj)
            if response.code in (2004, 2105, 2306):
                # curExpDate no longer matches: done already if the expiry is the one this renewal makes.
                record = session.domain_info(domain)
                if record.sponsor == session.login and record.expires_on == current_expiry + relativedelta(years=years):
                    return record.as_info()
            session.expect(response, f"domain renew {domain}")
            data = response.data(DOMAIN, "renData")
            return DomainInfo(name=domain, expires_on=_date(text_of(data, DOMAIN, "exDate")))

    def set_nameservers(self, name: str, nameservers: tuple[str, ...]) -> None:
        domain = ace_name(name)
        wanted = self._nameservers(nameservers)
        with self.session() as session:
            current = session.domain_info(domain).nameservers
            add = tuple(h for h in wanted if h not in current)
            rem = tuple(h for h in current if h not in wanted)
            if not add and not rem:
                return
            session.ensure_hosts(add, domain)
            obj = ET.Element(q(DOMAIN, "update"))
            sub(obj, DOMAIN, "name", domain)
            for tag, hosts in (("add", add), ("rem", rem)):
                if hosts:
                    ns = sub(sub(obj, DOMAIN, tag), DOMAIN, "ns")
                    for host in hosts:
                        sub(ns, DOMAIN, "hostObj", host)
            session.expect(session.command("update", obj), f"domain update {domain}")

    def info(self, name: str) -> DomainInfo:
        domain = ace_name(name)
        with self.session() as session:
            return session.domain_info(domain).as_info(login=session.login)

    def _nameservers(self, nameservers: tuple[str, ...]) -> tuple[str, ...]:
        hosts = tuple(dict.fromkeys(ace_name(h, what="name server") for h in nameservers or ()))
        if len(hosts) > MAX_NAMESERVERS:
            raise RegistrarError(f"at most {MAX_NAMESERVERS} name servers", kind=PERMANENT, code="2306")
        return hosts


__all__ = ["TEMPORARY", "EppRegistrar", "Session", "ace_name"]
