"""The ispmanager product settings: the App tab's resources and permissions with the panel's parameter
names, and how the product's overrides and add-ons become limits sent to the panel."""

from __future__ import annotations

from typing import Any

from moorage.provisioning.interface import Field

NA = "Not applicable to shared hosting on ispmanager"
# The App tab's resources and permissions, in the order of the product description, each mapped to
# the panel's real parameter. Rows the description marks "not applicable" are shown disabled.
RESOURCE_FIELDS: tuple[Field, ...] = (
    Field("create_mail_domain", "Create mail domain", "bool", not_applicable=True, help=NA, group="resources"),
    Field(
        "create_www_domain",
        "Create WWW domain",
        "bool",
        default=True,
        group="resources",
        help="Create a website for the order's hostname in the client's ispmanager account",
    ),
    Field("mail_domain_ip", "Mail domain IP", "text", not_applicable=True, help=NA, group="resources"),
    Field("mail_greylisting", "Mail domain Greylisting", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_spamassassin", "Mail domain SpamAssassin", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_virus_scan", "Mail domain virus scanning", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_dkim", "Mail domain DKIM", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_dmarc", "Mail domain DMARC", "bool", not_applicable=True, help=NA, group="resources"),
    Field("mail_secure", "Mail domain secure connection", "bool", not_applicable=True, help=NA, group="resources"),
    Field("www_directory", "WWW-domains directory", "text", not_applicable=True, help=NA, group="resources"),
    Field("limit_quota", "Disk quota", "int", unit="MiB", group="resources"),
    Field("limit_traff", "Traffic per month", "int", unit="MiB", group="resources"),
    Field("limit_ftp_users", "FTP limit", "int", group="resources"),
    Field("limit_emails", "Email limit", "int", group="resources"),
    Field("limit_emaildomains", "Mail domain limit", "int", group="resources"),
    Field("limit_email_quota", "Mailbox maximum size", "int", unit="MiB", group="resources"),
    Field("limit_mailrate", "Email limit per hour", "int", unit="mails/hour", group="resources"),
    Field("limit_domains", "Domain limit", "int", group="resources"),
    Field("limit_webdomains", "Web domain limit", "int", group="resources"),
    Field("limit_db", "Database limit", "int", group="resources"),
    Field("limit_db_users", "Database user limit", "int", group="resources"),
    Field("limit_dbsize", "Database size limit", "int", unit="MiB", group="resources"),
    Field("limit_maxclientsvhost", "Apache handlers", "int", unit="per WWW domain", group="resources"),
    Field("limit_mysql_query", "MySQL query limit", "int", unit="queries/hour", group="resources"),
    Field(
        "limit_mysql_maxuserconn",
        "MySQL query limit per user",
        "int",
        unit="simultaneous connections",
        group="resources",
    ),
    Field("limit_mysql_maxconn", "MySQL query limit per hour", "int", unit="connections/hour", group="resources"),
    Field("limit_mysql_update", "MySQL update query limit", "int", unit="updates/hour", group="resources"),
    Field("limit_nginxlimitconn", "Connection limit for the IP address", "int", unit="connections", group="resources"),
    Field("limit_scheduler", "Cron jobs limit", "int", group="resources"),
    Field("limit_cpu", "CPU time limit", "int", unit="seconds", group="resources"),
    Field("limit_memory", "RAM limit", "int", unit="MiB", group="resources"),
    Field("limit_process", "User processes limit", "int", group="resources"),
    Field("www_extra", "WWW-domains additional parameters", "text", not_applicable=True, help=NA, group="resources"),
    Field("php_enable", "PHP", "bool", group="permissions"),
    Field("limit_shell", "Shell", "bool", group="permissions"),
    Field("limit_ssl", "SSL", "bool", group="permissions"),
    Field("limit_cgi", "CGI", "bool", group="permissions"),
    Field("limit_php_mode_cgi", "PHP as CGI", "bool", group="permissions"),
    Field(
        "ssi",
        "SSI",
        "bool",
        not_applicable=True,
        group="permissions",
        help="ispmanager 5/6 have no user-level SSI permission; SSI is switched per website",
    ),
    Field("limit_php_mode_mod", "PHP as Apache module", "bool", group="permissions"),
    Field("php_safe_mode", "PHP in safe_mode", "bool", not_applicable=True, help=NA, group="permissions"),
    Field("limit_php_mode_fcgi_apache", "PHP FastCGI Apache", "bool", group="permissions"),
    Field("limit_php_mode_fcgi_nginxfpm", "PHP FastCGI Nginx", "bool", group="permissions"),
    Field("backup", "Regular backup", "bool", group="permissions"),
    Field("antivirus", "Automatic anti-virus scanning", "bool", not_applicable=True, help=NA, group="permissions"),
)
PANEL_PARAMS = tuple(f.name for f in RESOURCE_FIELDS if not f.not_applicable and f.name != "create_www_domain")
INT_PARAMS = {f.name for f in RESOURCE_FIELDS if f.kind == "int"}


def panel_overrides(options: dict[str, Any]) -> dict[str, str]:
    """The product's overrides as panel parameters: integers as strings, booleans as on/off.

    An empty value means "as the preset says" and is not sent.
    """
    out: dict[str, str] = {}
    for name in PANEL_PARAMS:
        raw = options.get(name)
        if raw is None or raw == "":
            continue
        if name in INT_PARAMS:
            out[name] = str(int(raw))
        else:
            out[name] = "on" if raw in (True, "on", "true", "1", 1) else "off"
    return out


def add_limits(params: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Raise the package's integer limits in `params` by `options["limit_additions"]` (add-ons, form
    answers): an addition lands on the preset's or override's value; a limit that is unlimited (absent
    or empty) stays unlimited. Unknown names are ignored, never sent."""
    for name, extra in (options.get("limit_additions") or {}).items():
        if name not in INT_PARAMS:
            continue
        current = params.get(name)
        if current is None or current == "":
            continue
        try:
            params[name] = str(int(current) + int(extra))
        except (TypeError, ValueError):
            continue
    return params


# Preset form fields that are not limits: never copied onto a user.
PRESET_OWN_FIELDS = {"name", "elid", "level", "func", "sok"}
LIMIT_FLAGS = ("backup", "php_enable")


def preset_limits(form: dict[str, str]) -> dict[str, str]:
    """The limits of a preset form to copy onto its user: every `limit_*`, including the empty
    ("unlimited") ones, so that moving to an unlimited preset lifts the old limit; the `backup` and
    `php_enable` switches when the form has them."""
    out = {k: v for k, v in form.items() if k.startswith("limit_") and k not in PRESET_OWN_FIELDS}
    out.update({k: form[k] for k in LIMIT_FLAGS if form.get(k)})
    return out


USER_LEVELS = {"", "16", "user"}


def is_user_preset(level: str) -> bool:
    """Whether a preset with this `level` is a template for users (16), not for resellers or admins.
    A panel that lists no level has user templates only."""
    return level.strip().lower() in USER_LEVELS
