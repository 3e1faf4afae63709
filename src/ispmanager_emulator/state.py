"""Emulator state: plain dict records in named collections, optionally kept in SQLite.

Every collection is a ``dict`` mapping an element id to a JSON-able ``dict`` record:

======================  =====================  =======================================
collection              key                    record fields (main ones)
======================  =====================  =======================================
``users``               user name              name, passwd, fullname, email, owner,
                                               preset, comment, create_time, active,
                                               level, every limit_*, backup,
                                               php_enable, usage {quota_used, traff_used}
``presets``             preset name            name, level, every limit_*, backup ...
``webdomains``          domain                 id, name, owner, ipaddr, php_mode ...
``domains``             zone name              name, owner, ip, ns, records [...]
``emaildomains``        domain                 name, owner, active ...
``emails``              box@domain             name, domain, owner, passwd, maxsize,
                                               size_used ...
``dbs``                 ``name->server``       key, name, owner, server, size ...
``dbusers``             db user name           name, owner, db, password ...
``ftpusers``            FTP user name          name, owner, home, passwd, active
``ipaddrs``             address                name, family, iprole, owner
``settings``            section name           srvparam / dnsparam / counters
======================  =====================  =======================================

Mutations go through :meth:`State.put` / :meth:`State.remove` / :meth:`State.touch`,
which mark the record dirty for the SQLite file and drop its cached list row.
Sessions and single-sign-on keys live in memory only.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

COLLECTIONS = (
    "users",
    "presets",
    "webdomains",
    "domains",
    "emaildomains",
    "emails",
    "dbs",
    "dbusers",
    "ftpusers",
    "ipaddrs",
    "settings",
)

SHARED_IP = "192.0.2.1"

DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "srvparam": {
        "hostname": "panel.emulator.test",
        "timezone": "UTC",
        "ihttpd_port": "1500",
        "default_lang": "en",
    },
    "dnsparam": {
        "ns": "ns1.emulator.test. ns2.emulator.test.",
        "ttl": "3600",
        "email": "root@emulator.test",
        "dnssec": "off",
    },
    "counters": {"webdomain": 0},
    "dbservers": {
        "MySQL": {"type": "mysql", "host": "localhost:3306", "remote": "off"},
        "PostgreSQL": {"type": "postgresql", "host": "localhost:5432", "remote": "off"},
    },
}


class State:
    """All objects of the emulated panel. Thread safety: hold :attr:`lock`."""

    users: dict[str, dict[str, Any]]
    presets: dict[str, dict[str, Any]]
    webdomains: dict[str, dict[str, Any]]
    domains: dict[str, dict[str, Any]]
    emaildomains: dict[str, dict[str, Any]]
    emails: dict[str, dict[str, Any]]
    dbs: dict[str, dict[str, Any]]
    dbusers: dict[str, dict[str, Any]]
    ftpusers: dict[str, dict[str, Any]]
    ipaddrs: dict[str, dict[str, Any]]
    settings: dict[str, dict[str, Any]]

    def __init__(self, path: str | None = None) -> None:
        self.lock = threading.RLock()
        self.path = path
        for name in COLLECTIONS:
            setattr(self, name, {})
        self.sessions: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.time_offset = 0.0
        self.row_cache: dict[tuple[str, str], Any] = {}
        self.limit_blocks: dict[Any, Any] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._db: sqlite3.Connection | None = None
        if path:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS objects ("
                " coll TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,"
                " PRIMARY KEY (coll, key))"
            )
            for coll, key, data in self._db.execute("SELECT coll, key, data FROM objects"):
                if coll in COLLECTIONS:
                    getattr(self, coll)[key] = json.loads(data)
        self._seed_defaults()
        self.flush()

    # -- clock --------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.time_offset

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward (session / key expiry tests)."""
        with self.lock:
            self.time_offset += float(seconds)

    # -- mutation bookkeeping -------------------------------------------------
    def collection(self, name: str) -> dict[str, dict[str, Any]]:
        return getattr(self, name)  # type: ignore[no-any-return]

    def touch(self, coll: str, key: str) -> None:
        self._dirty.add((coll, key))
        self.row_cache.pop((coll, key), None)

    def put(self, coll: str, key: str, record: dict[str, Any]) -> None:
        getattr(self, coll)[key] = record
        self.touch(coll, key)

    def remove(self, coll: str, key: str) -> None:
        getattr(self, coll).pop(key, None)
        self.touch(coll, key)

    def next_id(self, counter: str) -> int:
        counters = self.settings["counters"]
        counters[counter] = int(counters.get(counter, 0)) + 1
        self.touch("settings", "counters")
        return int(counters[counter])

    def flush(self) -> None:
        """Write dirty records to the SQLite file (no-op for an in-memory state)."""
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        if self._db is None:
            return
        upserts = []
        deletes = []
        for coll, key in dirty:
            record = getattr(self, coll).get(key)
            if record is None:
                deletes.append((coll, key))
            else:
                upserts.append((coll, key, json.dumps(record, ensure_ascii=False)))
        db = self._db
        db.execute("BEGIN")
        try:
            if deletes:
                db.executemany("DELETE FROM objects WHERE coll = ? AND key = ?", deletes)
            if upserts:
                db.executemany("INSERT OR REPLACE INTO objects (coll, key, data) VALUES (?, ?, ?)", upserts)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _seed_defaults(self) -> None:
        for section, values in DEFAULT_SETTINGS.items():
            if section not in self.settings:
                self.put("settings", section, json.loads(json.dumps(values)))
        if SHARED_IP not in self.ipaddrs:
            self.put(
                "ipaddrs",
                SHARED_IP,
                {"name": SHARED_IP, "family": "ipv4", "iprole": "shared", "owner": ""},
            )

    def reset(self) -> None:
        """Forget every object, session and key (admins are configuration, not state)."""
        with self.lock:
            for name in COLLECTIONS:
                for key in list(getattr(self, name)):
                    self.remove(name, key)
            self.sessions.clear()
            self.keys.clear()
            self.row_cache.clear()
            self.limit_blocks.clear()
            self._seed_defaults()
            self.flush()

    def close(self) -> None:
        with self.lock:
            self.flush()
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- convenience for tests --------------------------------------------------
    def owned_by(self, coll: str, owner: str) -> list[dict[str, Any]]:
        return [rec for rec in getattr(self, coll).values() if rec.get("owner") == owner]

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """A deep copy of every collection (for assertions and debugging)."""
        with self.lock:
            data: dict[str, dict[str, Any]] = json.loads(
                json.dumps({name: getattr(self, name) for name in COLLECTIONS})
            )
            return data
