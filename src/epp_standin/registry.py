"""The stand-in's registry: domains, contacts and hosts in memory, and one EPP session's commands.

Result codes follow RFC 5730 section 3; the object rules follow RFC 5731 (domain), 5732 (host) and
5733 (contact) as far as a test needs: a name taken is 2302, an unknown object 2303, another
registrar's object 2201, a wrong transfer auth code 2202, a wrong curExpDate 2004, and so on.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import secrets
import threading
import xml.etree.ElementTree as ET  # noqa: S405 - building only
from collections.abc import Callable
from dataclasses import dataclass, field

from .protocol import CONTACT, DOMAIN, EPP, HOST, SECDNS, q, serialize

OTHER_REGISTRAR = "other-registrar"
# Names another registrar holds when the stand-in starts, with the auth codes their owners know.
FOREIGN_DOMAINS = {
    "taken.test": "Xfer-Taken-1",
    "moving.test": "Xfer-Moving-2",
    "locked.test": "Xfer-Locked-3",  # clientTransferProhibited: a transfer request is refused (2304)
}
FOREIGN_HOSTS = ("ns1.other-dns.test", "ns2.other-dns.test")
DEFAULT_TLDS = ("test", "example", "com", "net", "org")
OBJECTS = {DOMAIN: "domain", CONTACT: "contact", HOST: "host"}

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CONTACT_ID = re.compile(r"^[A-Za-z0-9._-]{3,16}$")


class EppError(Exception):
    def __init__(self, code: int, msg: str, reason: str = "") -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.reason = reason


MESSAGES = {
    1000: "Command completed successfully",
    1001: "Command completed successfully; action pending",
    1500: "Command completed successfully; ending session",
}


def add_years(day: dt.datetime, years: int) -> dt.datetime:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class Contact:
    id: str
    roid: str
    sponsor: str
    name: str
    email: str
    auth: str
    created: dt.datetime
    postal: dict[str, str] = field(default_factory=dict)


@dataclass
class Host:
    name: str
    sponsor: str
    created: dt.datetime


@dataclass
class Transfer:
    requester: str
    requested: dt.datetime
    status: str
    years: int


@dataclass
class Domain:
    name: str
    roid: str
    sponsor: str
    registrant: str
    auth: str
    created: dt.datetime
    expires: dt.datetime
    hosts: list[str] = field(default_factory=list)
    contacts: list[tuple[str, str]] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    transfer: Transfer | None = None

    def status_list(self) -> list[str]:
        found = set(self.statuses)
        if self.transfer is not None and self.transfer.status == "pending":
            found.add("pendingTransfer")
        return sorted(found) or ["ok"]


def fmt(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.0Z")


class Registry:
    """Shared by every session of one stand-in; one lock around every command."""

    def __init__(
        self,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        tlds: tuple[str, ...] = DEFAULT_TLDS,
        transfer_mode: str = "approve",
        server_id: str = "EPP stand-in",
        offer: tuple[str, ...] = (DOMAIN, CONTACT, HOST),
    ) -> None:
        if transfer_mode not in ("approve", "pending"):
            raise ValueError("transfer_mode is 'approve' (completes at once) or 'pending'")
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.tlds = tuple(t.lower() for t in tlds)
        self.transfer_mode = transfer_mode
        self.server_id = server_id
        self.offer = offer  # the object URIs the greeting lists and login accepts
        self.lock = threading.RLock()
        self.domains: dict[str, Domain] = {}
        self.contacts: dict[str, Contact] = {}
        self.hosts: dict[str, Host] = {}
        self.commands: list[tuple[str, str]] = []  # (clID, command) of every command, for tests
        self._roids = itertools.count(1)
        self._svtrids = itertools.count(1)
        self.seed()

    def roid(self, suffix: str) -> str:
        return f"{next(self._roids)}_{suffix}-STANDIN"

    def svtrid(self) -> str:
        return f"SV-{next(self._svtrids):08d}"

    def seed(self) -> None:
        now = self.clock()
        self.contacts["OTHER-1"] = Contact(
            "OTHER-1", self.roid("CONTACT"), OTHER_REGISTRAR, "Someone Else", "else@other.test", "c0ntact", now
        )
        for name in FOREIGN_HOSTS:
            self.hosts[name] = Host(name, OTHER_REGISTRAR, now)
        for name, auth in FOREIGN_DOMAINS.items():
            domain = Domain(
                name=name,
                roid=self.roid("DOMAIN"),
                sponsor=OTHER_REGISTRAR,
                registrant="OTHER-1",
                auth=auth,
                created=add_years(now, -1),
                expires=add_years(now, 1),
                hosts=list(FOREIGN_HOSTS),
            )
            if name == "locked.test":
                domain.statuses.add("clientTransferProhibited")
            self.domains[name] = domain

    # -- transfers decided by the losing registrar (the "pending" mode) ----------------------------------
    def approve_transfer(self, name: str) -> None:
        with self.lock:
            domain = self.domains[name]
            if domain.transfer is None or domain.transfer.status != "pending":
                raise ValueError(f"{name} has no pending transfer")
            self._complete_transfer(domain, "clientApproved")

    def reject_transfer(self, name: str) -> None:
        with self.lock:
            domain = self.domains[name]
            if domain.transfer is None or domain.transfer.status != "pending":
                raise ValueError(f"{name} has no pending transfer")
            domain.transfer.status = "clientRejected"

    def _complete_transfer(self, domain: Domain, status: str) -> None:
        assert domain.transfer is not None
        domain.transfer.status = status
        domain.sponsor = domain.transfer.requester
        domain.expires = add_years(domain.expires, domain.transfer.years)
        domain.auth = secrets.token_urlsafe(9)


def _text(parent: ET.Element, ns: str, tag: str, default: str = "") -> str:
    child = parent.find(q(ns, tag))
    if child is None or child.text is None:
        return default
    return child.text.strip()


def _sub(parent: ET.Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, q(ns, tag), attrs)
    if text is not None:
        child.text = text
    return child


def greeting(registry: Registry, now: dt.datetime) -> bytes:
    root = ET.Element(q(EPP, "epp"))
    greet = _sub(root, EPP, "greeting")
    _sub(greet, EPP, "svID", registry.server_id)
    _sub(greet, EPP, "svDate", fmt(now))
    menu = _sub(greet, EPP, "svcMenu")
    _sub(menu, EPP, "version", "1.0")
    _sub(menu, EPP, "lang", "en")
    for uri in registry.offer:
        _sub(menu, EPP, "objURI", uri)
    ext = _sub(menu, EPP, "svcExtension")
    _sub(ext, EPP, "extURI", SECDNS)
    dcp = _sub(greet, EPP, "dcp")
    _sub(_sub(dcp, EPP, "access"), EPP, "all")
    statement = _sub(dcp, EPP, "statement")
    _sub(_sub(statement, EPP, "purpose"), EPP, "admin")
    _sub(_sub(statement, EPP, "recipient"), EPP, "ours")
    _sub(_sub(statement, EPP, "retention"), EPP, "stated")
    return serialize(root)


def command_name(root: ET.Element) -> str:
    """ "hello", "login", "logout", or the object and the command: "domain:create", "contact:check"…"""
    if not len(root):
        return ""
    element = root[0]
    if element.tag == q(EPP, "hello"):
        return "hello"
    if not len(element):
        return ""
    verb = element[0]
    name = verb.tag.rsplit("}", 1)[-1]
    if len(verb) and verb[0].tag.startswith("{"):
        kind = OBJECTS.get(verb[0].tag[1:].partition("}")[0])
        if kind:
            return f"{kind}:{name}"
    return name


class Session:
    """One connection: before login only hello and login; then object commands until logout."""

    MAX_LOGIN_FAILURES = 3

    def __init__(self, registry: Registry, *, login: str, password: str) -> None:
        self.registry = registry
        self.login = login
        self.password = password
        self.client: str | None = None
        self.login_failures = 0
        self.closing = False

    # -- the frame in, the frame out --------------------------------------------------------------
    def handle(self, root: ET.Element) -> bytes:
        if root.tag != q(EPP, "epp") or len(root) != 1:
            return self._result(2001, "Command syntax error", "")
        element = root[0]
        if element.tag == q(EPP, "hello"):
            return greeting(self.registry, self.registry.clock())
        if element.tag != q(EPP, "command") or len(element) == 0:
            return self._result(2001, "Command syntax error", "")
        cltrid = _text(element, EPP, "clTRID")
        verb = element[0]
        name = verb.tag.rsplit("}", 1)[-1]
        with self.registry.lock:
            self.registry.commands.append((self.client or "", command_name(root)))
            try:
                code, res_data = self._dispatch(name, verb, element)
            except EppError as error:
                if error.code in (2500, 2501, 2502):
                    self.closing = True
                return self._result(error.code, error.msg, cltrid, reason=error.reason)
        if code == 1500:
            self.closing = True
        return self._result(code, MESSAGES[code], cltrid, res_data)

    def error_reply(self, root: ET.Element, code: int) -> bytes:
        """An error answer to this command without doing it (the stand-in's faults)."""
        command = root[0] if len(root) else root
        messages = {2400: "Command failed", 2502: "Session limit exceeded; server closing connection"}
        return self._result(code, messages.get(code, "Command failed"), _text(command, EPP, "clTRID"))

    def _result(
        self, code: int, msg: str, cltrid: str, res_data: ET.Element | None = None, *, reason: str = ""
    ) -> bytes:
        root = ET.Element(q(EPP, "epp"))
        response = _sub(root, EPP, "response")
        result = _sub(response, EPP, "result", code=str(code))
        _sub(result, EPP, "msg", msg)
        if reason:
            ext_value = _sub(result, EPP, "extValue")
            _sub(_sub(ext_value, EPP, "value"), EPP, "undef")
            _sub(ext_value, EPP, "reason", reason)
        if res_data is not None:
            _sub(response, EPP, "resData").append(res_data)
        tr = _sub(response, EPP, "trID")
        if cltrid:
            _sub(tr, EPP, "clTRID", cltrid)
        _sub(tr, EPP, "svTRID", self.registry.svtrid())
        return serialize(root)

    def _dispatch(self, name: str, verb: ET.Element, command: ET.Element) -> tuple[int, ET.Element | None]:
        if name == "login":
            return self._login(verb), None
        if self.client is None:
            raise EppError(2002, "Command use error", "log in first")
        if name == "logout":
            return 1500, None
        if len(verb) != 1:
            raise EppError(2001, "Command syntax error", "one object per command")
        obj = verb[0]
        ns = obj.tag[1:].partition("}")[0]
        kind = OBJECTS.get(ns, "unknown")
        handler = getattr(self, f"_{kind}_{name}", None)
        if handler is None:
            raise EppError(2101, "Unimplemented command")
        if name == "transfer":
            return handler(obj, verb.get("op", ""))  # type: ignore[no-any-return]
        return handler(obj)  # type: ignore[no-any-return]

    def _login(self, verb: ET.Element) -> int:
        if self.client is not None:
            raise EppError(2002, "Command use error", "already logged in")
        if _text(verb, EPP, "clID") != self.login or _text(verb, EPP, "pw") != self.password:
            self.login_failures += 1
            if self.login_failures >= self.MAX_LOGIN_FAILURES:
                raise EppError(2501, "Authentication error; server closing connection")
            raise EppError(2200, "Authentication error")
        options = verb.find(q(EPP, "options"))
        if options is None or _text(options, EPP, "version") != "1.0":
            raise EppError(2100, "Unimplemented protocol version")
        svcs = verb.find(q(EPP, "svcs"))
        offered = set(self.registry.offer)
        asked = {e.text for e in svcs.iter(q(EPP, "objURI"))} if svcs is not None else set()
        if not asked or not asked <= offered:
            raise EppError(2307, "Unimplemented object service")
        self.client = self.login
        return 1000

    # -- helpers ---------------------------------------------------------------------------------------
    def _domain_name(self, obj: ET.Element) -> str:
        name = _text(obj, DOMAIN, "name").lower()
        self._check_name(name)
        return name

    def _check_name(self, name: str) -> None:
        labels = name.split(".")
        if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
            raise EppError(2005, "Parameter value syntax error", f"{name!r} is not a domain name")

    def _served(self, name: str) -> bool:
        return name.rsplit(".", 1)[-1] in self.registry.tlds

    def _own_domain(self, name: str) -> Domain:
        domain = self.registry.domains.get(name)
        if domain is None:
            raise EppError(2303, "Object does not exist")
        if domain.sponsor != self.client:
            raise EppError(2201, "Authorization error")
        return domain

    def _period(self, obj: ET.Element, default: int = 1) -> int:
        element = obj.find(q(DOMAIN, "period"))
        if element is None:
            return default
        try:
            value = int((element.text or "").strip())
        except ValueError:
            raise EppError(2005, "Parameter value syntax error", "period") from None
        unit = element.get("unit", "")
        if unit == "m" and value % 12 == 0:
            value //= 12
        elif unit != "y":
            raise EppError(2004, "Parameter value range error", "period unit")
        if not 1 <= value <= 10:
            raise EppError(2004, "Parameter value range error", "period 1-10 years")
        return value

    def _host_objs(self, parent: ET.Element | None) -> list[str]:
        if parent is None:
            return []
        ns = parent.find(q(DOMAIN, "ns"))
        if ns is None:
            return []
        if ns.find(q(DOMAIN, "hostAttr")) is not None:
            raise EppError(2306, "Parameter value policy error", "this registry takes hostObj only")
        names = [(e.text or "").strip().lower() for e in ns.findall(q(DOMAIN, "hostObj"))]
        for host in names:
            self._check_name(host)
            if host not in self.registry.hosts:
                raise EppError(2303, "Object does not exist", f"host {host}")
        return names

    def _domain_data(self, tag: str, domain: Domain, *exdate: bool) -> ET.Element:
        data = ET.Element(q(DOMAIN, tag))
        _sub(data, DOMAIN, "name", domain.name)
        if exdate:
            _sub(data, DOMAIN, "exDate", fmt(domain.expires))
        return data

    # -- domain ------------------------------------------------------------------------------------
    def _domain_check(self, obj: ET.Element) -> tuple[int, ET.Element]:
        names = [(e.text or "").strip().lower() for e in obj.findall(q(DOMAIN, "name"))]
        if not names:
            raise EppError(2003, "Required parameter missing", "name")
        if len(names) > 20:
            raise EppError(2306, "Parameter value policy error", "at most 20 names per check")
        data = ET.Element(q(DOMAIN, "chkData"))
        for name in names:
            self._check_name(name)
            cd = _sub(data, DOMAIN, "cd")
            if not self._served(name):
                _sub(cd, DOMAIN, "name", name, avail="0")
                _sub(cd, DOMAIN, "reason", "TLD not served")
            elif name in self.registry.domains:
                _sub(cd, DOMAIN, "name", name, avail="0")
                _sub(cd, DOMAIN, "reason", "In use")
            else:
                _sub(cd, DOMAIN, "name", name, avail="1")
        return 1000, data

    def _domain_create(self, obj: ET.Element) -> tuple[int, ET.Element]:
        name = self._domain_name(obj)
        if not self._served(name):
            raise EppError(2306, "Parameter value policy error", "TLD not served")
        if name in self.registry.domains:
            raise EppError(2302, "Object exists")
        years = self._period(obj)
        hosts = self._host_objs(obj)
        registrant = _text(obj, DOMAIN, "registrant")
        if not registrant:
            raise EppError(2003, "Required parameter missing", "registrant")
        contacts = [(e.get("type", ""), (e.text or "").strip()) for e in obj.findall(q(DOMAIN, "contact"))]
        for _role, handle in [("registrant", registrant), *contacts]:
            contact = self.registry.contacts.get(handle)
            if contact is None:
                raise EppError(2303, "Object does not exist", f"contact {handle}")
            if contact.sponsor != self.client:
                raise EppError(2201, "Authorization error", f"contact {handle}")
        auth = obj.find(q(DOMAIN, "authInfo"))
        pw = _text(auth, DOMAIN, "pw") if auth is not None else ""
        if not 6 <= len(pw) <= 32:
            raise EppError(2003, "Required parameter missing", "authInfo pw of 6-32 characters")
        now = self.registry.clock()
        domain = Domain(
            name=name,
            roid=self.registry.roid("DOMAIN"),
            sponsor=self.client or "",
            registrant=registrant,
            auth=pw,
            created=now,
            expires=add_years(now, years),
            hosts=hosts,
            contacts=contacts,
        )
        self.registry.domains[name] = domain
        data = self._domain_data("creData", domain)
        _sub(data, DOMAIN, "crDate", fmt(domain.created))
        _sub(data, DOMAIN, "exDate", fmt(domain.expires))
        return 1000, data

    def _domain_info(self, obj: ET.Element) -> tuple[int, ET.Element]:
        name = self._domain_name(obj)
        domain = self.registry.domains.get(name)
        if domain is None:
            raise EppError(2303, "Object does not exist")
        auth = obj.find(q(DOMAIN, "authInfo"))
        full = domain.sponsor == self.client or (auth is not None and _text(auth, DOMAIN, "pw") == domain.auth)
        data = ET.Element(q(DOMAIN, "infData"))
        _sub(data, DOMAIN, "name", domain.name)
        _sub(data, DOMAIN, "roid", domain.roid)
        for status in domain.status_list():
            _sub(data, DOMAIN, "status", s=status)
        if full:
            _sub(data, DOMAIN, "registrant", domain.registrant)
            for role, handle in domain.contacts:
                _sub(data, DOMAIN, "contact", handle, type=role)
            if domain.hosts:
                ns = _sub(data, DOMAIN, "ns")
                for host in domain.hosts:
                    _sub(ns, DOMAIN, "hostObj", host)
        _sub(data, DOMAIN, "clID", domain.sponsor)
        if full:
            _sub(data, DOMAIN, "crDate", fmt(domain.created))
        _sub(data, DOMAIN, "exDate", fmt(domain.expires))
        if full:
            _sub(_sub(data, DOMAIN, "authInfo"), DOMAIN, "pw", domain.auth)
        return 1000, data

    def _domain_renew(self, obj: ET.Element) -> tuple[int, ET.Element]:
        name = self._domain_name(obj)
        domain = self._own_domain(name)
        current = _text(obj, DOMAIN, "curExpDate")
        if not current:
            raise EppError(2003, "Required parameter missing", "curExpDate")
        if current != domain.expires.date().isoformat():
            raise EppError(2004, "Parameter value range error", "curExpDate does not match the expiry date")
        years = self._period(obj)
        new_expiry = add_years(domain.expires, years)
        if new_expiry > add_years(self.registry.clock(), 10):
            raise EppError(2004, "Parameter value range error", "no more than 10 years ahead")
        domain.expires = new_expiry
        return 1000, self._domain_data("renData", domain, True)

    def _domain_transfer(self, obj: ET.Element, op: str) -> tuple[int, ET.Element]:
        name = self._domain_name(obj)
        domain = self.registry.domains.get(name)
        if domain is None:
            raise EppError(2303, "Object does not exist")
        auth = obj.find(q(DOMAIN, "authInfo"))
        pw = _text(auth, DOMAIN, "pw") if auth is not None else ""
        if op == "query":
            if domain.transfer is None:
                raise EppError(2301, "Object not pending transfer")
            if self.client not in (domain.sponsor, domain.transfer.requester) and pw != domain.auth:
                raise EppError(2201, "Authorization error")
            return 1000, self._transfer_data(domain)
        if op != "request":
            raise EppError(2101, "Unimplemented option", f"transfer op {op!r}")
        if domain.sponsor == self.client:
            raise EppError(2106, "Object is not eligible for transfer", "already sponsored by you")
        if domain.transfer is not None and domain.transfer.status == "pending":
            raise EppError(2300, "Object pending transfer")
        if not pw:
            raise EppError(2003, "Required parameter missing", "authInfo")
        if pw != domain.auth:
            raise EppError(2202, "Invalid authorization information")
        if "clientTransferProhibited" in domain.statuses or "serverTransferProhibited" in domain.statuses:
            raise EppError(2304, "Object status prohibits operation", "transfer prohibited")
        years = self._period(obj)
        domain.transfer = Transfer(self.client or "", self.registry.clock(), "pending", years)
        if self.registry.transfer_mode == "approve":
            self.registry._complete_transfer(domain, "serverApproved")
            return 1000, self._transfer_data(domain)
        return 1001, self._transfer_data(domain)

    def _transfer_data(self, domain: Domain) -> ET.Element:
        assert domain.transfer is not None
        data = ET.Element(q(DOMAIN, "trnData"))
        _sub(data, DOMAIN, "name", domain.name)
        _sub(data, DOMAIN, "trStatus", domain.transfer.status)
        _sub(data, DOMAIN, "reID", domain.transfer.requester)
        _sub(data, DOMAIN, "reDate", fmt(domain.transfer.requested))
        losing = OTHER_REGISTRAR if domain.sponsor == domain.transfer.requester else domain.sponsor
        _sub(data, DOMAIN, "acID", losing)
        _sub(data, DOMAIN, "acDate", fmt(domain.transfer.requested + dt.timedelta(days=5)))
        if domain.transfer.status == "pending":
            _sub(data, DOMAIN, "exDate", fmt(add_years(domain.expires, domain.transfer.years)))
        else:
            _sub(data, DOMAIN, "exDate", fmt(domain.expires))
        return data

    def _domain_update(self, obj: ET.Element) -> tuple[int, None]:
        name = self._domain_name(obj)
        domain = self._own_domain(name)
        if "clientUpdateProhibited" in domain.statuses:
            raise EppError(2304, "Object status prohibits operation")
        add = self._host_objs(obj.find(q(DOMAIN, "add")))
        rem_parent = obj.find(q(DOMAIN, "rem"))
        rem: list[str] = []
        if rem_parent is not None and rem_parent.find(q(DOMAIN, "ns")) is not None:
            rem = [(e.text or "").strip().lower() for e in rem_parent.iter(q(DOMAIN, "hostObj"))]
        for host in rem:
            if host not in domain.hosts:
                raise EppError(2306, "Parameter value policy error", f"{host} is not a name server of {name}")
        for host in add:
            if host in domain.hosts and host not in rem:
                raise EppError(2306, "Parameter value policy error", f"{host} is already a name server")
        hosts = [h for h in domain.hosts if h not in rem] + add
        if len(hosts) > 13:
            raise EppError(2306, "Parameter value policy error", "at most 13 name servers")
        domain.hosts = list(dict.fromkeys(hosts))
        return 1000, None

    # -- contact ----------------------------------------------------------------------------------
    def _contact_check(self, obj: ET.Element) -> tuple[int, ET.Element]:
        ids = [(e.text or "").strip() for e in obj.findall(q(CONTACT, "id"))]
        if not ids:
            raise EppError(2003, "Required parameter missing", "id")
        data = ET.Element(q(CONTACT, "chkData"))
        for handle in ids:
            cd = _sub(data, CONTACT, "cd")
            _sub(cd, CONTACT, "id", handle, avail="0" if handle in self.registry.contacts else "1")
        return 1000, data

    def _contact_create(self, obj: ET.Element) -> tuple[int, ET.Element]:
        handle = _text(obj, CONTACT, "id")
        if not _CONTACT_ID.match(handle):
            raise EppError(2005, "Parameter value syntax error", "contact id")
        if handle in self.registry.contacts:
            raise EppError(2302, "Object exists")
        postal = obj.find(q(CONTACT, "postalInfo"))
        if postal is None or postal.get("type") not in ("int", "loc"):
            raise EppError(2003, "Required parameter missing", "postalInfo")
        addr = postal.find(q(CONTACT, "addr"))
        name = _text(postal, CONTACT, "name")
        email = _text(obj, CONTACT, "email")
        if not name or not email or addr is None or not _text(addr, CONTACT, "city") or not _text(addr, CONTACT, "cc"):
            raise EppError(2003, "Required parameter missing", "name, email, city and cc")
        if postal.get("type") == "int" and not name.isascii():
            raise EppError(2005, "Parameter value syntax error", "int postalInfo is ASCII")
        auth = obj.find(q(CONTACT, "authInfo"))
        pw = _text(auth, CONTACT, "pw") if auth is not None else ""
        if not pw:
            raise EppError(2003, "Required parameter missing", "authInfo")
        now = self.registry.clock()
        fields = {
            "org": _text(postal, CONTACT, "org"),
            "street": " / ".join((e.text or "") for e in addr.findall(q(CONTACT, "street"))),
            "city": _text(addr, CONTACT, "city"),
            "sp": _text(addr, CONTACT, "sp"),
            "pc": _text(addr, CONTACT, "pc"),
            "cc": _text(addr, CONTACT, "cc"),
            "voice": _text(obj, CONTACT, "voice"),
            "type": postal.get("type", ""),
        }
        contact = Contact(handle, self.registry.roid("CONTACT"), self.client or "", name, email, pw, now, fields)
        self.registry.contacts[handle] = contact
        data = ET.Element(q(CONTACT, "creData"))
        _sub(data, CONTACT, "id", handle)
        _sub(data, CONTACT, "crDate", fmt(now))
        return 1000, data

    # -- host -------------------------------------------------------------------------------------
    def _host_check(self, obj: ET.Element) -> tuple[int, ET.Element]:
        names = [(e.text or "").strip().lower() for e in obj.findall(q(HOST, "name"))]
        if not names:
            raise EppError(2003, "Required parameter missing", "name")
        data = ET.Element(q(HOST, "chkData"))
        for name in names:
            self._check_name(name)
            cd = _sub(data, HOST, "cd")
            _sub(cd, HOST, "name", name, avail="0" if name in self.registry.hosts else "1")
        return 1000, data

    def _host_create(self, obj: ET.Element) -> tuple[int, ET.Element]:
        name = _text(obj, HOST, "name").lower()
        self._check_name(name)
        if name in self.registry.hosts:
            raise EppError(2302, "Object exists")
        parent = name.split(".", 1)[1]
        subordinate = [d for d in self.registry.domains if name.endswith("." + d)]
        if subordinate and not obj.findall(q(HOST, "addr")):
            raise EppError(2003, "Required parameter missing", "a subordinate host needs an address")
        if subordinate and self.registry.domains[subordinate[0]].sponsor != self.client:
            raise EppError(2201, "Authorization error", f"{parent} is another registrar's")
        now = self.registry.clock()
        self.registry.hosts[name] = Host(name, self.client or "", now)
        data = ET.Element(q(HOST, "creData"))
        _sub(data, HOST, "name", name)
        _sub(data, HOST, "crDate", fmt(now))
        return 1000, data
