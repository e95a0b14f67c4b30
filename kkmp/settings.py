"""Settings for KKMP Anggota, read from the environment with django-environ.

Every variable is listed in `.env.example`. Development needs none of them: the database
defaults to SQLite in the project folder and DEBUG is on.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="django-insecure-kkmp-development-only")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    try:
        SECRET_KEY = env("SECRET_KEY")
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "With DEBUG off, SECRET_KEY and ALLOWED_HOSTS must be set in the environment."
        ) from exc

INSTALLED_APPS = [
    "kkmp.apps.KKMPAdminConfig",  # django.contrib.admin with our site (kkmp/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "kelurahan",
    "members",
    "koperasi",
    "usaha",
    "dashboard",
    "imports",
    "audit",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "simple_history",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages gzipped for weak signals (static files come compressed from WhiteNoise, which answers
    # above this). BREACH: Django adds 0-99 random bytes to each gzip response and masks the
    # CSRF token per response; the session cookie is SameSite=Lax, so another site cannot make
    # a signed-in request whose size it could watch (docs/security.md).
    "django.middleware.gzip.GZipMiddleware",
    "kkmp.middleware.RequestIdMiddleware",
    "kkmp.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kkmp.middleware.SessionTimeoutMiddleware",
    "kkmp.middleware.TwoFactorMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",  # who changed a member or household
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "kkmp.urls"
WSGI_APPLICATION = "kkmp.wsgi.application"

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
                "django.template.context_processors.i18n",
                "kkmp.context_processors.language_links",
                "imports.context_processors.powers",
            ],
            # kkmp is not an installed app (its admin config is): its template library by name.
            "libraries": {"numbers": "kkmp.templatetags.numbers"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default (zero set-up); production sets DATABASE_URL=postgres://user:pass@host/db.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write to the same file: wait for the lock instead of
    # failing, and take it at the start of a transaction (no lock upgrade deadlocks).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The dashboard history's covering index (INCLUDE columns) is a PostgreSQL optimisation; SQLite
# builds it as a plain index, which is all the development database needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else []

# --- Authentication -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kkmp.passwords.ContextPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out user or address first
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after repeated failures (django-axes): AXES_FAILURE_LIMIT wrong passwords for one user
# name from one address block that user name from that address (not the user everywhere, so
# an attacker cannot lock an officer out), and KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT failures from
# one address, whatever the user names, block that address (trying many names; 0: no limit),
# both for AXES_COOLOFF_MINUTES. The address is `kkmp.middleware.client_ip` (see
# KKMP_TRUSTED_PROXY_HOPS), the same as in the audit trail.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT", default=30)
AXES_CLIENT_IP_CALLABLE = "kkmp.middleware.client_ip"
AXES_HANDLER = "kkmp.passwords.SignInLockoutHandler"
AXES_LOCKOUT_CALLABLE = "kkmp.views.locked_out"
AXES_RESET_ON_SUCCESS = True  # a success clears that user name + address only
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Sessions: signed out after SESSION_IDLE_MINUTES without a request, and after
# SESSION_COOKIE_AGE seconds in any case; closing the browser ends the session too.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Second factor (TOTP, django-otp). When KKMP_REQUIRE_2FA is on, admins, staff and DKUMKMP
# reviewers (who can read every kelurahan) must use it and cannot set it up with their password
# alone: an admin issues a one-time enrolment link (admin: TOTP devices, or
# `manage.py issue_2fa_enrolment USERNAME`), valid KKMP_2FA_ENROLMENT_HOURS. Everyone else may
# set it up themselves at /akun/2fa/.
KKMP_REQUIRE_2FA = env.bool("KKMP_REQUIRE_2FA", default=False)
KKMP_2FA_ENROLMENT_HOURS = env.int("KKMP_2FA_ENROLMENT_HOURS", default=48)
OTP_TOTP_ISSUER = "KKMP Anggota"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"  # an officer's cooperative, else the city dashboard
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Makassar"  # WITA, Balikpapan
USE_I18N = True
USE_TZ = True

# --- Static files (WhiteNoise; no CDN) ------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (production values apply when DEBUG is off) -----------------------------------
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies in front of the app that append the client's address to X-Forwarded-For (nginx,
# Caddy): 0 = none, the peer's address is the client's and X-Forwarded-For and X-Request-ID are
# ignored; 1 = one proxy: its right-most X-Forwarded-For entry is the client (entries to its
# left come from the client and are never used) and its X-Request-ID is logged beside ours.
KKMP_TRUSTED_PROXY_HOPS = env.int("KKMP_TRUSTED_PROXY_HOPS", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)

# --- Imports and exports --------------------------------------------------------------------
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Exports neutralise formulas with our own helper (kkmp.downloads.neutralise).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# Largest spreadsheet accepted by the import screens and commands, in megabytes: a city's
# per-person extract (Balikpapan: ~700,000 residents) is ~100 MB as CSV. Files are read as
# streams from disk, never held whole in memory.
KKMP_IMPORT_MAX_UPLOAD_MB = env.int("KKMP_IMPORT_MAX_UPLOAD_MB", default=200)
# An XLSX may not unpack to more than this (nor to 100 times its size: zip bombs). Its sheets are
# read as streams (a city's per-person sheet is ~900 MB of XML), so this bounds the time, not memory.
KKMP_IMPORT_MAX_UNCOMPRESSED_MB = env.int("KKMP_IMPORT_MAX_UNCOMPRESSED_MB", default=4096)
# 300,000 rows (a city's households: Balikpapan has ~200,000) keep an import's worker under
# +256 MiB (`make bench`); a larger area is imported in parts (e.g. one file per kecamatan).
KKMP_IMPORT_MAX_ROWS = env.int("KKMP_IMPORT_MAX_ROWS", default=300_000)
# The XLSX reader runs apart from the web/worker process with this much memory and time at
# most; a workbook that needs more is refused with a plain message (imports/files.py).
KKMP_IMPORT_READER_MEMORY_MB = env.int("KKMP_IMPORT_READER_MEMORY_MB", default=1024)
KKMP_IMPORT_READER_SECONDS = env.int("KKMP_IMPORT_READER_SECONDS", default=25)
# One time budget for everything a request reads of an import file (the checks, the reader, the
# error file), well under gunicorn's 30 s timeout; the task worker's and the commands' budget.
KKMP_IMPORT_REQUEST_SECONDS = env.int("KKMP_IMPORT_REQUEST_SECONDS", default=20)
KKMP_IMPORT_WORKER_SECONDS = env.int("KKMP_IMPORT_WORKER_SECONDS", default=1800)
# A sheet may not use more columns than this (a real household list has 7 to 40).
KKMP_IMPORT_MAX_COLUMNS = env.int("KKMP_IMPORT_MAX_COLUMNS", default=200)
# Uploads larger than this (bytes) are checked and written by the task worker, not the request.
KKMP_IMPORT_BACKGROUND_BYTES = env.int("KKMP_IMPORT_BACKGROUND_BYTES", default=1_000_000)
# A running import with no progress for this long lost its worker and is marked failed.
KKMP_IMPORT_STALL_MINUTES = env.int("KKMP_IMPORT_STALL_MINUTES", default=10)
# Uploaded files, error files and previews hold personal data: `purge_import_files` deletes
# them after this many days (the batch record and its undo data stay).
KKMP_IMPORT_RETENTION_DAYS = env.int("KKMP_IMPORT_RETENTION_DAYS", default=30)

# --- Background tasks (Django's Tasks API via django-tasks; run `manage.py db_worker`) -------
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"  # never served publicly: import files are downloaded through views
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Import progress, shared by the web server and the task worker (same machine).
    "imports": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env("KKMP_PROGRESS_DIR", default=str(BASE_DIR / "var" / "import-progress")),
    },
}

# --- The membership drive -------------------------------------------------------------------
# Share of households (KK) each kelurahan's cooperative must enrol, in percent (DKUMKMP, 2025).
KKMP_TARGET_PERCENT = env.int("KKMP_TARGET_PERCENT", default=10)
# Member numbers: {kode} is the kelurahan's Kemendagri code, {seq} the per-cooperative sequence.
KKMP_MEMBER_NUMBER_PATTERN = env("KKMP_MEMBER_NUMBER_PATTERN", default="{kode}-{seq:05d}")
# Registration refuses members younger than this who are not (and were never) married.
KKMP_MIN_AGE = env.int("KKMP_MIN_AGE", default=17)
# Reviewers (DKUMKMP) see NIK/KK numbers masked unless this is on.
KKMP_REVIEWERS_SEE_FULL_NUMBERS = env.bool("KKMP_REVIEWERS_SEE_FULL_NUMBERS", default=False)
# Readers of masked numbers may search by a whole NIK/KK number this often (each search is an
# audit event): a search that confirms a guess must cost as much as an audited view.
KKMP_NUMBER_SEARCHES_PER_HOUR = env.int("KKMP_NUMBER_SEARCHES_PER_HOUR", default=20)
KKMP_NUMBER_SEARCHES_PER_DAY = env.int("KKMP_NUMBER_SEARCHES_PER_DAY", default=60)

# --- Applications to join from the public join pages (docs/applications.md) ----------------
# Applications stored from one address (behind KKMP_TRUSTED_PROXY_HOPS, as the lockout): mobile
# networks put many phones behind one address, so these are per hour and per day, not lower.
KKMP_APPLICATIONS_PER_ADDRESS_PER_HOUR = env.int("KKMP_APPLICATIONS_PER_ADDRESS_PER_HOUR", default=10)
KKMP_APPLICATIONS_PER_ADDRESS_PER_DAY = env.int("KKMP_APPLICATIONS_PER_ADDRESS_PER_DAY", default=30)
# Applications one cooperative takes in a day, from everyone together.
KKMP_APPLICATIONS_PER_COOPERATIVE_PER_DAY = env.int("KKMP_APPLICATIONS_PER_COOPERATIVE_PER_DAY", default=300)
# Posts of the join form and status look-ups from one address in an hour, valid or not (cache).
KKMP_JOIN_ATTEMPTS_PER_HOUR = env.int("KKMP_JOIN_ATTEMPTS_PER_HOUR", default=60)
# `purge_applications` deletes an application not accepted within this many days, and a
# rejected one this many days after the decision.
KKMP_APPLICATION_RETENTION_DAYS = env.int("KKMP_APPLICATION_RETENTION_DAYS", default=90)
KKMP_REJECTED_APPLICATION_RETENTION_DAYS = env.int("KKMP_REJECTED_APPLICATION_RETENTION_DAYS", default=30)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kkmp.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {
            # masks NIK/KK numbers (16 digits, also written with dots, dashes or spaces),
            # tracebacks included; [our request id, then the trusted proxy's when there is one]
            "()": "kkmp.logging.MaskingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_ids)s] %(message)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes says INFO at every start and attempt; failed sign-ins are in the audit
        # trail, and its lockout warnings still reach the log.
        "axes": {"level": "WARNING"},
    },
}
