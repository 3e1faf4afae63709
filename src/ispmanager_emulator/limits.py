"""The limit / permission parameters of ispmanager users and presets (spec §3.3).

Each entry: parameter name, kind, default value, English label, Russian label.

Kinds:
  ``count``  a number of objects; enforced when a new object is created
  ``size``   MiB
  ``num``    a plain number (rate, seconds, connections ...)
  ``flag``   ``on`` / ``off``
  ``str``    free text or an enum value

An empty string means "no limit" for ``count``, ``size`` and ``num`` limits.
"""

from __future__ import annotations

COUNT = "count"
SIZE = "size"
NUM = "num"
FLAG = "flag"
STR = "str"

# (name, kind, default, label en, label ru)
LIMITS: tuple[tuple[str, str, str, str, str], ...] = (
    ("limit_quota", SIZE, "", "Disk quota", "Дисковая квота"),
    ("limit_traff", SIZE, "", "Traffic", "Трафик"),
    ("limit_ftp_users", COUNT, "", "FTP users", "FTP-пользователи"),
    ("limit_emails", COUNT, "", "Mailboxes", "Почтовые ящики"),
    ("limit_emaildomains", COUNT, "", "Mail domains", "Почтовые домены"),
    ("limit_email_quota", SIZE, "", "Mailbox maximum size", "Максимальный размер почтового ящика"),
    ("limit_mailrate", NUM, "", "Email limit per hour", "Лимит писем в час"),
    ("limit_domains", COUNT, "", "Domain names", "Доменные имена"),
    ("limit_webdomains", COUNT, "", "WWW domains", "WWW-домены"),
    ("limit_db", COUNT, "", "Databases", "Базы данных"),
    ("limit_db_users", COUNT, "", "Database users", "Пользователи баз данных"),
    ("limit_dbsize", SIZE, "", "Database size", "Размер баз данных"),
    ("limit_maxclientsvhost", NUM, "", "Apache handlers per WWW-domain", "Обработчики Apache"),
    ("limit_mysql_query", NUM, "", "MySQL queries per hour", "Запросов MySQL в час"),
    ("limit_mysql_update", NUM, "", "MySQL updates per hour", "Обновлений MySQL в час"),
    (
        "limit_mysql_maxuserconn",
        NUM,
        "",
        "MySQL simultaneous connections",
        "Одновременных соединений MySQL",
    ),
    ("limit_mysql_maxconn", NUM, "", "MySQL connections per hour", "Соединений MySQL в час"),
    ("limit_nginxlimitconn", NUM, "", "Connections per IP address", "Соединений с одного IP"),
    ("limit_scheduler", COUNT, "", "Cron jobs", "Задания cron"),
    ("limit_cpu", NUM, "", "CPU time", "Время CPU"),
    ("limit_memory", SIZE, "", "RAM", "Оперативная память"),
    ("limit_process", NUM, "", "Processes", "Процессы"),
    ("limit_php_cgi_enable", FLAG, "on", "PHP allowed", "PHP разрешён"),
    ("limit_php_mode", STR, "php_mode_fcgi_nginxfpm", "Default PHP mode", "Режим PHP по умолчанию"),
    ("limit_php_mode_mod", FLAG, "on", "PHP as Apache module", "PHP как модуль Apache"),
    ("limit_php_mode_cgi", FLAG, "on", "PHP as CGI", "PHP как CGI"),
    ("limit_php_mode_fcgi_apache", FLAG, "on", "PHP FastCGI (Apache)", "PHP FastCGI (Apache)"),
    (
        "limit_php_mode_fcgi_nginxfpm",
        FLAG,
        "on",
        "PHP FastCGI (Nginx + PHP-FPM)",
        "PHP FastCGI (Nginx + PHP-FPM)",
    ),
    ("limit_php_mode_lsapi", FLAG, "off", "PHP LSAPI", "PHP LSAPI"),
    ("limit_php_cgi_version", STR, "native", "PHP CGI version", "Версия PHP CGI"),
    ("limit_php_fpm_version", STR, "native", "PHP-FPM version", "Версия PHP-FPM"),
    ("limit_php_apache_version", STR, "native", "PHP Apache version", "Версия PHP Apache"),
    ("limit_php_lsapi_version", STR, "native", "PHP LSAPI version", "Версия PHP LSAPI"),
    ("limit_shell", FLAG, "off", "Shell access", "Доступ к shell"),
    ("limit_ssl", FLAG, "on", "SSL", "SSL"),
    ("limit_cgi", FLAG, "off", "CGI", "CGI"),
    ("limit_charset", STR, "UTF-8", "Default charset", "Кодировка по умолчанию"),
    ("limit_dirindex", STR, "index.php index.html", "Index page", "Индексная страница"),
    ("limit_python", FLAG, "off", "Python", "Python"),
    ("limit_python_version", STR, "", "Python version", "Версия Python"),
    ("limit_nodejs", FLAG, "off", "Node.js", "Node.js"),
    ("limit_phpcomposer", FLAG, "off", "PHP Composer", "PHP Composer"),
    ("limit_techdomain", FLAG, "off", "Technical domain", "Технический домен"),
    ("limit_virusdie", FLAG, "off", "Virusdie", "Virusdie"),
    ("limit_virusdie_autorun", FLAG, "off", "Virusdie autorun", "Автозапуск Virusdie"),
    ("limit_cl_cpu", NUM, "", "CloudLinux CPU", "CloudLinux CPU"),
    ("limit_cl_nproc", NUM, "", "CloudLinux processes", "CloudLinux процессы"),
    ("limit_cl_pmem", SIZE, "", "CloudLinux physical memory", "CloudLinux память"),
    ("limit_cl_io", NUM, "", "CloudLinux I/O", "CloudLinux I/O"),
    (
        "limit_cl_maxentryprocs",
        NUM,
        "",
        "CloudLinux entry processes",
        "CloudLinux входные процессы",
    ),
    ("limit_cl_cagefs", FLAG, "off", "CloudLinux CageFS", "CloudLinux CageFS"),
    ("limit_cl_php", STR, "", "CloudLinux PHP version", "CloudLinux версия PHP"),
    ("limit_users", COUNT, "", "Users", "Пользователи"),
    ("limit_ipv4addrs", COUNT, "", "IPv4 addresses", "IPv4-адреса"),
    ("limit_ipv6addrs", COUNT, "", "IPv6 addresses", "IPv6-адреса"),
    (
        "limit_resellertechdomain",
        STR,
        "",
        "Reseller technical domain",
        "Технический домен реселлера",
    ),
    ("limit_brand_domain", STR, "", "Brand domain", "Домен бренда"),
)

LIMIT_NAMES: tuple[str, ...] = tuple(entry[0] for entry in LIMITS)
LIMIT_KIND: dict[str, str] = {entry[0]: entry[1] for entry in LIMITS}
LIMIT_DEFAULTS: dict[str, str] = {entry[0]: entry[2] for entry in LIMITS}
LIMIT_LABELS: dict[str, dict[str, str]] = {
    "en": {entry[0]: entry[3] for entry in LIMITS},
    "ru": {entry[0]: entry[4] for entry in LIMITS},
}

# Non limit_* fields that belong to the same "limits" block of users and presets.
EXTRA_LIMIT_FIELDS: dict[str, str] = {"backup": "on", "php_enable": "on"}

COUNTABLE: tuple[str, ...] = tuple(name for name, kind, *_ in LIMITS if kind == COUNT)

# Rows of `userstat` in display order: (limit, units).
USERSTAT_ROWS: tuple[tuple[str, str], ...] = (
    ("limit_quota", "MiB"),
    ("limit_traff", "MiB"),
    ("limit_webdomains", ""),
    ("limit_domains", ""),
    ("limit_emaildomains", ""),
    ("limit_emails", ""),
    ("limit_email_quota", "MiB"),
    ("limit_db", ""),
    ("limit_db_users", ""),
    ("limit_dbsize", "MiB"),
    ("limit_ftp_users", ""),
    ("limit_scheduler", ""),
)


def is_limit_param(name: str) -> bool:
    """True for every parameter stored in a user's or preset's limit block."""
    return name.startswith("limit_") or name in EXTRA_LIMIT_FIELDS


def default_limits() -> dict[str, str]:
    values = dict(LIMIT_DEFAULTS)
    values.update(EXTRA_LIMIT_FIELDS)
    return values


def parse_limit(value: str | None) -> int | None:
    """A countable/size limit as an int, or None when unlimited (empty / not a number)."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None
