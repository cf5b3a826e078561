"""SessionLedger settings, read from the environment (12-factor).

Every difference between a laptop and production comes from a variable:
DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, TIME_ZONE. Without any of them the app
runs locally on a SQLite file and a generated key, both kept in the ignored ``var/`` folder.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()


def _local_secret_key() -> str:
    """A key generated once per checkout, so local sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "simple_history",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "billing",
    "practice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their long cache; everything else is no-store.
    "practice.middleware.NoStoreMiddleware",
    "practice.middleware.PolicyMiddleware",  # django-csp's, with an admin exception
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "practice.middleware.RefuseMalformedMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "practice.mfa.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lock-out flagged during the view into our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "practice.urls"
WSGI_APPLICATION = "practice.wsgi.application"
ASGI_APPLICATION = "practice.asgi.application"

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
                "practice.context_processors.user_roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sessionledger.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one request writes. Every request runs in a transaction
    # (ATOMIC_REQUESTS); SQLite's default DEFERRED transaction starts as a reader, and a
    # reader that later wants to write while another connection writes fails at once with
    # "database is locked" (no busy wait applies to that upgrade). IMMEDIATE takes the
    # write lock when the transaction begins, so concurrent writers queue for up to
    # `timeout` seconds instead of failing. https://www.sqlite.org/lang_transaction.html
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A few indexes carry extra columns for PostgreSQL's index-only scans (INCLUDE); SQLite
    # builds them on their key columns alone, all it needs at a practice's size, so its
    # warning that it leaves the rest out (models.W040) is not for `make run` to print.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: our statements run in well under a second, and correlated
    # subqueries per row push their estimated cost past jit_above_cost, so PostgreSQL
    # spent 0.2–0.3 s compiling each (the claim summary's month at the large demo: totals
    # 360 → 170 ms, the CSV's rows 1.5 → 1.0 s; the reports no slower).
    # https://www.postgresql.org/docs/current/jit-decision.html
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in protection (django-axes): every authenticate() call, the admin login included,
# goes through its backend. Repeated failures lock out the username (from any address)
# and, separately, the address (for any username) until the cool-off has passed since the
# last failure, or until an owner unlocks them on the Sign-ins page.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure, for the Sign-ins page
AXES_LOCKOUT_CALLABLE = "practice.signin.lockout_response"
AXES_VERBOSE = False
# Behind a proxy every request comes from the proxy's address: say how many proxies
# append to X-Forwarded-For, and the client's address is read from there instead.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "practice.signin.client_address"

# Two-step sign-in (django-otp, TOTP + recovery codes). Owners, billers and anyone with
# admin access must use it when this is on; clinicians may opt in. Off by default only
# when DEBUG is on, so the demo logins of `make run` keep working on a laptop.
SL_REQUIRE_MFA = env.bool("SL_REQUIRE_MFA", default=not DEBUG)
OTP_TOTP_ISSUER = "SessionLedger"
# The admin must not show anyone's TOTP secret or QR code: a second factor the owner can
# read is not the user's alone. (django-otp's config pages then answer 403.)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# HIPAA §164.312(a)(2)(iii): automatic log-off after inactivity.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# HIPAA §164.312(b) audit controls: views and exports of client information are recorded
# (practice/audit.py) and kept this long; `manage.py prune_audit` deletes older records.
# Six years (45 CFR 164.316(b)(2)(i)), leap days included.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=6 * 365 + 2)

LANGUAGE_CODE = "en-us"
# Dates people read: MM/DD/YYYY everywhere (practice/formats/en/formats.py).
FORMAT_MODULE_PATH = ["practice.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "practice.staticfiles.ManifestStaticFilesStorage"  # WhiteNoise's, URLs kept
        )
    },
}
# Without collectstatic (e.g. `DEBUG=0 manage.py runserver` locally) WhiteNoise serves
# straight from the finders.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# `manage.py backup` writes here; the files hold health information (keep off the web root).
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
# /favicon.ico is answered by WhiteNoise from here, before any login check.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# Content-Security-Policy (django-csp 4): nothing inline, nothing from elsewhere. Scripts
# and styles come from static files only, so an injected <script>, style="" or onclick=
# does nothing. img-src allows data: because Bootstrap draws its select arrows, check
# marks and menu icon as data: SVG images in its stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
