"""The panel's functions, one module per topic; importing this package registers them all."""

from . import control, databases, dbservers, dns, ftp, ips, mail, presets, session, sites, users

__all__ = ["control", "databases", "dbservers", "dns", "ftp", "ips", "mail", "presets", "session", "sites", "users"]
