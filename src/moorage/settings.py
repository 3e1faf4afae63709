"""One settings module, configured from environment variables with safe embedded defaults."""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from moorage.core.keys import DEMO_SECRET_KEY, fernet_key_problem, production_key_problems

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("MOORAGE_DATA_DIR", str(Path.cwd() / "var")))
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("MOORAGE_DEBUG", False)
# Production is declared, not guessed: MOORAGE_ENV=production. It turns on the secure defaults
# below (each still settable) and refuses to start with the public demo keys.
MOORAGE_ENV = env("MOORAGE_ENV", "development").strip().lower()
if MOORAGE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"MOORAGE_ENV must be 'development' or 'production', not {MOORAGE_ENV!r}")
PRODUCTION = MOORAGE_ENV == "production"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("MOORAGE_DEBUG must be off when MOORAGE_ENV=production")
# The embedded default key is only for the demo; `moorage check --deploy` flags it.
SECRET_KEY = env("MOORAGE_SECRET_KEY", DEMO_SECRET_KEY)
ALLOWED_HOSTS = [h.strip() for h in env("MOORAGE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("MOORAGE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "moorage.core.staff_admin.StaffAdminConfig",  # django.contrib.admin with two-factor sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "captcha",  # django-simple-captcha: Image Verification (MOORAGE_CAPTCHA)
    "moorage.core",
    "moorage.customers",
    "moorage.push",
    "moorage.notifications",
    "moorage.catalog",
    "moorage.services",
    "moorage.provisioning",
    "moorage.metering",
    "moorage.billing",
    "moorage.contracts",
    "moorage.orderforms",
    "moorage.addons",
    "moorage.domains",
    "moorage.promotions",
    "moorage.orders",
    "moorage.upgrades",
    "moorage.cancellations",
    "moorage.reconciliation",
    "moorage.payments",
    "moorage.servicefunctions",
    "moorage.automation",
    "moorage.clientarea",
    "moorage.api",
    "moorage.operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The visitor's language (cookie, then Accept-Language); a signed-in client's own language
    # replaces it below, and the REST API always answers in English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "moorage.clientarea.middleware.ClientLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout no view handled into a 429 page
]

ROOT_URLCONF = "moorage.urls"
WSGI_APPLICATION = "moorage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "moorage.core.context_processors.moorage",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'moorage.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web server read while the other writes; IMMEDIATE makes a
    # write transaction take its lock at BEGIN, so two writers queue instead of deadlocking.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file, not shared-cache memory: threads in concurrency tests then wait for each
    # other's locks (busy_timeout) instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "clientarea:login"
LOGIN_REDIRECT_URL = "clientarea:dashboard"

# --- Sign-in security: login throttling, client password reset, staff two-factor ---------------
# django-axes counts failed sign-ins (client area and staff area) per account and per IP address:
# either one reaching the limit blocks further attempts until the cool-off has passed (each blocked
# attempt starts it again). `moorage axes_reset` / `axes_reset_username EMAIL` or the staff area's
# "Access attempts" unlock early. A successful sign-in clears the account's own count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("MOORAGE_LOGIN_THROTTLING", True)
AXES_FAILURE_LIMIT = int(env("MOORAGE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(env("MOORAGE_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "moorage.core.logins.attempted_username"
AXES_CLIENT_IP_CALLABLE = "moorage.core.logins.client_ip"
AXES_LOCKOUT_CALLABLE = "moorage.core.logins.lockout_response"
AXES_RESET_ON_SUCCESS = False  # resetting would also clear the IP's count; see core/logins.py
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "new_password1", "new_password2", "csrfmiddlewaretoken"]
# Behind a reverse proxy the client's address is the right-most X-Forwarded-For entry (the one the
# proxy added); without one the header is the client's own claim and is ignored.
MOORAGE_TRUST_X_FORWARDED_FOR = env_bool("MOORAGE_BEHIND_PROXY")
# Password reset links (client area only) expire after this many seconds and work once.
PASSWORD_RESET_TIMEOUT = int(env("MOORAGE_PASSWORD_RESET_TIMEOUT", str(60 * 60)))
# Reset requests per hour, per IP address and per email address (beyond: no more emails).
MOORAGE_PASSWORD_RESET_LIMIT = int(env("MOORAGE_PASSWORD_RESET_LIMIT", "5"))
# Links in emails use this address (https://billing.example.com) rather than the request's host.
MOORAGE_SITE_URL = env("MOORAGE_SITE_URL").rstrip("/")
# Staff two-factor (django-otp, TOTP apps plus single-use recovery codes). When required, staff
# without a device are sent to enrol before they reach the staff area. Staff who enrolled always
# give a code, whatever this setting says.
# Required by default in production; the embedded run (demo, development) leaves it to each staff
# member, and `moorage check --deploy` warns in production when it is off.
MOORAGE_STAFF_2FA_REQUIRED = env_bool("MOORAGE_STAFF_2FA_REQUIRED", PRODUCTION)
OTP_TOTP_ISSUER = env("MOORAGE_COMPANY_NAME", "Moorage Hosting")
# Image Verification (django-simple-captcha) on the client registration form and on a new client's
# first checkout. Off by default (the embedded demo); turn it on for a public site.
MOORAGE_CAPTCHA = env_bool("MOORAGE_CAPTCHA", False)
CAPTCHA_TIMEOUT = 10  # minutes a picture stays valid
# --- end of sign-in security -----------------------------------------------------------------

LANGUAGE_CODE = "en"
# The languages Moorage ships complete catalogs for; each client picks one (Client.language).
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The business time zone: calendar dates of due dates and automation runs are taken in it.
TIME_ZONE = env("MOORAGE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Downloads (Client Functions): files staff attach to products, stored under DATA_DIR/media/downloads
# and served only through the client area's permission check; the largest file accepted, in MB.
MOORAGE_DOWNLOAD_MAX_MB = int(env("MOORAGE_DOWNLOAD_MAX_MB", "100"))
# Payment gateway webhooks (POST /payments/webhooks/<code>/): the largest body accepted, in bytes.
MOORAGE_WEBHOOK_MAX_BYTES = int(env("MOORAGE_WEBHOOK_MAX_BYTES", str(256 * 1024)))

# Background work: jobs are rows in the same database (django-tasks-db).
TASKS = {
    "default": {
        "BACKEND": env("MOORAGE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Django's cache holds the counters behind throttling (wrong API tokens, password-reset requests).
# The embedded run keeps them inside its one process; a production install with several web processes
# shares them through Redis: MOORAGE_CACHE_URL=redis://127.0.0.1:6379/0 (`moorage check --deploy` warns
# in production without it).
MOORAGE_CACHE_URL = env("MOORAGE_CACHE_URL").strip()
if MOORAGE_CACHE_URL:
    if not MOORAGE_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("MOORAGE_CACHE_URL must be a redis://, rediss:// or unix:// URL")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": MOORAGE_CACHE_URL,
            "KEY_PREFIX": env("MOORAGE_CACHE_PREFIX", "moorage"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = env("MOORAGE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("MOORAGE_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("MOORAGE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("MOORAGE_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("MOORAGE_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("MOORAGE_EMAIL_USE_TLS", False)
# Seconds an SMTP conversation may stall before the attempt counts as failed (and is retried); a
# worker must never hang on a silent server with the row claimed.
EMAIL_TIMEOUT = int(env("MOORAGE_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = env("MOORAGE_EMAIL_FROM", "billing@moorage.localhost")

# Mobile notifications (Web Push). The VAPID key pair signs every push request; production sets it
# (`moorage vapid-keys --generate` prints one); the embedded run generates one into the data directory.
# The public key is derived from the private one when left empty. The subject is a mailto: or https:
# contact for the push services.
MOORAGE_VAPID_PRIVATE_KEY = env("MOORAGE_VAPID_PRIVATE_KEY").strip()
MOORAGE_VAPID_PUBLIC_KEY = env("MOORAGE_VAPID_PUBLIC_KEY").strip()
MOORAGE_VAPID_SUBJECT = env("MOORAGE_VAPID_SUBJECT").strip()
# The push services a device's subscription may point at (Moorage posts to it): origins, "*." for
# any subdomain. The defaults are the browsers' own (Chrome/Android, Firefox, Safari, Edge).
MOORAGE_PUSH_SERVICES = [
    s.strip()
    for s in env(
        "MOORAGE_PUSH_SERVICES",
        "https://fcm.googleapis.com,https://updates.push.services.mozilla.com,https://web.push.apple.com,"
        "https://*.push.apple.com,https://*.notify.windows.com",
    ).split(",")
    if s.strip()
]

# Moorage's own settings.
MOORAGE_COMPANY_NAME = env("MOORAGE_COMPANY_NAME", "Moorage Hosting")
MOORAGE_CURRENCY = env("MOORAGE_CURRENCY", "USD")
# Seller details printed on invoices and credit notes, and the bank account clients pay to.
MOORAGE_COMPANY_ADDRESS = env("MOORAGE_COMPANY_ADDRESS")
MOORAGE_COMPANY_TAX_ID = env("MOORAGE_COMPANY_TAX_ID")
MOORAGE_BANK_DETAILS = env("MOORAGE_BANK_DETAILS")
# Fixes "now" for the whole process (test clock); empty means the real time.
MOORAGE_CLOCK_DATE = env("MOORAGE_CLOCK_DATE")
# Change Ownership: on, a client's request moves the service at once when the email names an active
# client; off (default), staff approve each request in the staff area.
MOORAGE_SERVICE_TRANSFER_DIRECT = env_bool("MOORAGE_SERVICE_TRANSFER_DIRECT", False)
# Database connections `moorage cron` uses at once for independent items (PostgreSQL only).
MOORAGE_CRON_WORKERS = int(env("MOORAGE_CRON_WORKERS", "3"))
# Fernet keys (comma separated, newest first) that encrypt panel passwords at rest; when unset a
# key is derived from SECRET_KEY so the embedded run works, and `moorage check --deploy` warns.
MOORAGE_FERNET_KEYS = [k.strip() for k in env("MOORAGE_FERNET_KEYS").split(",") if k.strip()]
# REST API: who sees /api/v1/docs and /api/v1/openapi.json: "staff" (a staff session or a valid
# token), "public" or "off". Wrong bearer tokens: after MOORAGE_API_TOKEN_MAX_FAILURES from one
# address within MOORAGE_API_TOKEN_BLOCK_SECONDS, that address gets 429 until the window ends
# (counted in Django's cache: configure a shared cache when running several processes).
MOORAGE_API_DOCS = env("MOORAGE_API_DOCS", "staff").strip().lower()
MOORAGE_API_TOKEN_MAX_FAILURES = int(env("MOORAGE_API_TOKEN_MAX_FAILURES", "10"))
MOORAGE_API_TOKEN_BLOCK_SECONDS = int(env("MOORAGE_API_TOKEN_BLOCK_SECONDS", "900"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("MOORAGE_LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# ---- Security: production mode, cookies, HTTPS, sessions, keys (docs/security.md) ----
# MOORAGE_ENV and PRODUCTION are read at the top of this file (the sign-in block uses them too).


def env_int(name: str, default: int) -> int:
    value = env(name).strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ImproperlyConfigured(f"{name} must be zero or more")
    return number


# Older secret keys still accepted for sessions, password-reset links and signed values after a
# change of MOORAGE_SECRET_KEY (comma separated); drop them once the sessions have expired.
SECRET_KEY_FALLBACKS = [k.strip() for k in env("MOORAGE_SECRET_KEY_FALLBACKS").split(",") if k.strip()]
for _i, _key in enumerate(MOORAGE_FERNET_KEYS):
    if _problem := fernet_key_problem(_key):
        raise ImproperlyConfigured(f"MOORAGE_FERNET_KEYS[{_i}] {_problem}")
if PRODUCTION and (_problems := production_key_problems(secret_key=SECRET_KEY, fernet_keys=MOORAGE_FERNET_KEYS)):
    raise ImproperlyConfigured("refusing to start with MOORAGE_ENV=production: " + "; ".join(_problems))

SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("MOORAGE_SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Seconds a client's session lasts without a new login (two weeks), and the shorter one of staff.
SESSION_COOKIE_AGE = env_int("MOORAGE_SESSION_AGE", 14 * 24 * 3600)
MOORAGE_STAFF_SESSION_AGE = env_int("MOORAGE_STAFF_SESSION_AGE", 8 * 3600)
SECURE_HSTS_SECONDS = env_int("MOORAGE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MOORAGE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("MOORAGE_HSTS_PRELOAD", PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("MOORAGE_SSL_REDIRECT", PRODUCTION)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("MOORAGE_BEHIND_PROXY") else None
# Request bodies of ordinary pages (the API has its own limit): a larger one is answered 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MOORAGE_MAX_BODY_BYTES", 2_621_440)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"), "moorage.core.middleware.HostileInputMiddleware"
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "moorage.core.middleware.StaffSessionMiddleware",
)
# ---- end of the security block ----

# ---- Domains (docs/domains.md) and reconciliation (docs/reconciliation.md) ----
# The renewal invoice is issued this many days before a domain expires; reminders go out these many
# days before; an expired domain may still be renewed this long.
MOORAGE_DOMAIN_RENEW_DAYS = env_int("MOORAGE_DOMAIN_RENEW_DAYS", 30)
MOORAGE_DOMAIN_REMINDER_DAYS = tuple(
    sorted({int(d) for d in env("MOORAGE_DOMAIN_REMINDER_DAYS", "30,7,1").split(",") if d.strip().isdigit()})
)
MOORAGE_DOMAIN_GRACE_DAYS = env_int("MOORAGE_DOMAIN_GRACE_DAYS", 30)
# The automation run compares every panel with billing once a day and tells staff of new findings.
MOORAGE_RECONCILE_DAILY = env_bool("MOORAGE_RECONCILE_DAILY", True)
