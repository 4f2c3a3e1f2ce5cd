"""Settings for the alliance site.

One file for every environment. The defaults suit a developer's machine (debug
on, SQLite under var/, local-memory cache); production changes come from
environment variables only, read through django-environ. A `.env` file in the
project root is read when present. Every variable is listed in README.md.
"""

from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from js_asset import Script

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# A development key is fine while debugging; a real deployment must bring its
# own, so turning debug off without one is an error rather than a silent risk.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it comes before it.
    "modeltranslation",
    # The admin, with a site that asks for a second factor where required.
    "alliance.kernel.admin_apps.AllianceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "corsheaders",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_countries",
    # Versions of members, articles, scenarios, events, initiatives and
    # pages: a table per model, diffs and "revert" in the admin.
    "simple_history",
    # The rich-text editor of bodies and descriptions (ProseMirror; its
    # assets ship in the package).
    "django_prose_editor",
    # Background work through Django's tasks API (django.tasks from Django 6).
    "django_tasks",
    "django_tasks_db",
    # The kernel every app stands on, the apps of content, and the project
    # (its management commands). See docs/architecture.md.
    "alliance.kernel",
    "members",
    "news",
    "alliance.content",
    # Representatives of members and the changes they propose; its admin
    # adds the representatives to the member's page, so it comes after members.
    "portal",
    "registrations",
    "webhooks",
    "alliance.project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Compresses text answers on the way out. Above the response cache, so
    # the cache keeps one uncompressed body and every client gets what its
    # Accept-Encoding allows; above conditional GET, whose ETag is then of
    # the uncompressed body (made weak when compressed, and still matched).
    # Against BREACH, Django pads each compressed body with random bytes and
    # masks CSRF tokens per response.
    "django.middleware.gzip.GZipMiddleware",
    "alliance.kernel.middleware.PermissionsPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # ETag from the content and 304 answers to conditional requests (GET
    # and HEAD), for cached and freshly rendered answers alike.
    "alliance.kernel.http.HeadAwareConditionalGetMiddleware",
    # Lets anonymous reads below use a read replica, when there are any.
    "alliance.kernel.db_router.ReplicaReadsMiddleware",
    # Every anonymous API request counts against its client's allowance
    # (429 past it), answered from the cache or not: so it comes first.
    "alliance.kernel.api.allowance.AnonymousAllowanceMiddleware",
    # Anonymous pages and API answers from the cache: everything below is
    # skipped on a hit, so it comes as early as it can. It also marks them
    # for the caching proxy in front, when there is one.
    "alliance.kernel.response_cache.ResponseCacheMiddleware",
    # What the answer shows, for the proxy's purges: kept with it in the cache.
    "alliance.kernel.proxy_cache.SurrogateKeysMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "alliance.kernel.language_notice.LanguageNoticeMiddleware",
    "alliance.kernel.middleware.AdminLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 405 with Allow (and OPTIONS) before the CSRF check could answer 403.
    "alliance.kernel.http.AllowedMethodsMiddleware",
    # After it: a NUL in the query is a 400, unless the method is a 405.
    "alliance.kernel.middleware.RejectNullBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Tells the versions of content who changed it (admin saves, imports).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "alliance.kernel.middleware.DatabaseUnavailableMiddleware",
    # Last, so that it sees every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alliance.project.urls"
WSGI_APPLICATION = "alliance.project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alliance.kernel.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

# Unset, the site runs on an SQLite file so that trying it needs no server.
# Production and CI set a PostgreSQL URL.
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    # An empty DATABASE_URL counts as unset.
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A new PostgreSQL backend per request costs several milliseconds of CPU:
    # keep connections, and check them so a restarted server is survived.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Or a pool of connections in each process (psycopg_pool), "MIN,MAX"
    # connections: a request borrows one and gives it back at its end. It
    # replaces kept connections (CONN_MAX_AGE must then be 0); bench/run.py
    # --pool compares the two (docs/performance.md).
    DATABASE_POOL = env.list("DATABASE_POOL", cast=int, default=[])
    if DATABASE_POOL:
        if len(DATABASE_POOL) != 2 or not 0 <= DATABASE_POOL[0] <= DATABASE_POOL[1]:
            raise ImproperlyConfigured("DATABASE_POOL is MIN,MAX, e.g. 2,4.")
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "pool": {
                "min_size": DATABASE_POOL[0],
                "max_size": DATABASE_POOL[1],
                # Seconds a request waits for a free connection before failing.
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),
            },
        }
    # Behind pgbouncer in transaction mode, a server-side cursor (iterator())
    # could outlive the transaction its server connection was lent for.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DATABASE_PGBOUNCER", default=False
    )

# Read replicas (PostgreSQL streaming replicas of DATABASE_URL), as a list of
# URLs. Anonymous visitors' pages and API answers read from them; everything
# else uses the primary (alliance/kernel/db_router.py). Each is configured like the
# primary, pool included.
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
for number, url in enumerate(DATABASE_REPLICA_URLS, 1):
    replica = env.db_url_config(url)
    DATABASES[f"replica{number}"] = {
        **replica,
        **{
            name: DATABASES["default"][name]
            for name in (
                "CONN_MAX_AGE",
                "CONN_HEALTH_CHECKS",
                "DISABLE_SERVER_SIDE_CURSORS",
            )
            if name in DATABASES["default"]
        },
        "OPTIONS": {
            **DATABASES["default"].get("OPTIONS", {}),
            # A replica that does not answer is given up quickly (seconds),
            # and skipped for a while (see alliance/kernel/db_router.py).
            "connect_timeout": 2,
            **replica.get("OPTIONS", {}),
        },
        # Tests run against the one test database.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = (
    ["alliance.kernel.db_router.ReplicaRouter"] if DATABASE_REPLICA_URLS else []
)
# After a visitor writes (a form, the admin), their reads stay on the primary
# this long, longer than the replicas ever lag.
DATABASE_PIN_SECONDS = env.int("DATABASE_PIN_SECONDS", default=5)
DATABASE_PIN_COOKIE = "pin_primary"
# A replica that failed is left alone this long before it is tried again.
DATABASE_REPLICA_RETRY_SECONDS = env.int("DATABASE_REPLICA_RETRY_SECONDS", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------

# Redis, when configured, is shared by every worker (cache, throttles). It is a
# helper, never a single point of failure (alliance/kernel/shared_cache.py): calls
# give up quickly, a circuit breaker stops calling it for a while after
# repeated failures, and the site then serves from the database and counts
# rate limits per worker. Sign-in lockouts never depend on it (see AXES_*).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "alliance.kernel.shared_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="alliance"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Seconds. Redis on the local network answers in well under a
                # millisecond; a call that takes longer is one to give up on.
                "SOCKET_CONNECT_TIMEOUT": env.float(
                    "REDIS_CONNECT_TIMEOUT", default=0.1
                ),
                "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.25),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How many worker processes serve the site (gunicorn reads the same
# variable). Without a shared cache each one counts rate limits on its own,
# which `check --deploy` points out (alliance.W001).
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=1)

# Anonymous pages and API answers are kept this long at most, and dropped as
# soon as any public content changes (alliance/kernel/response_cache.py). The
# invalidation reaches every worker only through a shared cache, so without
# Redis, or while debugging, it is off unless asked for.
RESPONSE_CACHE_SECONDS = env.int(
    "RESPONSE_CACHE_SECONDS", default=600 if REDIS_URL and not DEBUG else 0
)
# The most asked-for of those answers are also kept in each worker's memory,
# so that serving them again needs no round trip to Redis: how many, at most
# (each up to 256 KiB; 0 keeps them in the shared cache alone).
RESPONSE_CACHE_MEMORY_ENTRIES = env.int("RESPONSE_CACHE_MEMORY_ENTRIES", default=128)
# The query parameters that pages read: only these make a stored variant of
# a page. A page asked for with any other (bar tracking parameters such as
# utm_*, which are left out of the key) is served but not stored, so made-up
# addresses cannot fill the cache.
RESPONSE_CACHE_PAGE_PARAMETERS = frozenset(
    {"page", "q", "tag", "member", "sector", "country", "tier", "field", "status", "p"}
)
# A caching proxy in front (Varnish, see deploy/varnish/site.vcl): the URLs
# the site sends its purges to, one per proxy (e.g. http://10.0.0.5:6081).
# Set, the answers the response cache may keep are marked for it too
# (s-maxage, stale-while-revalidate, and surrogate keys in `xkey`), and
# every public change purges what it touched (alliance/kernel/proxy_cache.py).
PROXY_PURGE_URLS = env.list("PROXY_PURGE_URLS", default=[])
# How long the proxy may keep an answer at most; a purge ends it sooner.
PROXY_CACHE_SECONDS = env.int("PROXY_CACHE_SECONDS", default=3600)
# The same for figures and fragments that many pages share (counts over whole
# tables, the footer), which also serve pages the response cache does not.
FRAGMENT_CACHE_SECONDS = env.int(
    "FRAGMENT_CACHE_SECONDS", default=600 if REDIS_URL and not DEBUG else 0
)

# --- Background tasks -------------------------------------------------------

# Emails, webhook deliveries and other slow work run outside the request
# (alliance/kernel/tasks.py). TASKS_BACKEND chooses where they wait:
# - "database" (the default): a table in the site's database, run by
#   `manage.py worker` on any machine that reaches it. Nothing more to run.
# - "rq": a Redis queue (django-tasks-rq), for several web and worker
#   machines; TASKS_REDIS_URL (by default REDIS_URL) says which Redis.
# - "immediate": run inside the request that asks, once its transaction
#   commits; for a quick look without a worker.
TASKS_BACKEND = env.str("TASKS_BACKEND", default="database")
TASKS_REDIS_URL = env.str("TASKS_REDIS_URL", default="") or REDIS_URL
TASK_QUEUES = ["default", "webhooks"]

# A task a worker has run for this long without ending is taken as lost with
# its worker (killed outright: out of memory, a deploy, a restart), unless
# the task states a limit of its own (`max_run_time`, alliance/kernel/tasks.py).
# A running `manage.py worker` looks for such runs when it starts and every
# TASK_RECOVERY_SECONDS: a task safe to run twice is queued again, any other
# (a mail may have gone out just before the kill) is failed with the error
# WorkerLost, listed in the admin's task results to run again. Keep it well
# above the longest normal run: a slow worker is not a dead one.
TASK_MAX_RUN_MINUTES = env.int("TASK_MAX_RUN_MINUTES", default=30)
TASK_RECOVERY_SECONDS = env.int("TASK_RECOVERY_SECONDS", default=60)

# A member import a worker has run for this long without ending is taken as
# interrupted (its worker was killed: out of memory, a deploy, a restart).
# An import reports nothing until it ends (it is one transaction, all or
# nothing), so the time since it started is the time without word from it;
# keep this well above the longest import (50,000 rows take about
# 10 minutes). The admin then shows it interrupted and offers to run it
# again.
MEMBER_IMPORT_ABANDONED_MINUTES = env.int("MEMBER_IMPORT_ABANDONED_MINUTES", default=60)

if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    # RQ stops a job that runs longer than its queue's timeout (180 seconds
    # unless told): the longest run the queue's tasks may take (the member
    # import is in the default queue).
    RQ_QUEUES = {
        name: {
            "URL": TASKS_REDIS_URL or "redis://127.0.0.1:6379/0",
            "DEFAULT_TIMEOUT": 60
            * max(TASK_MAX_RUN_MINUTES, MEMBER_IMPORT_ABANDONED_MINUTES),
        }
        for name in TASK_QUEUES
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
elif TASKS_BACKEND == "immediate":
    TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": TASK_QUEUES,
        }
    }
elif TASKS_BACKEND == "database":
    TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}
    }
else:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be database, rq or immediate, not {TASKS_BACKEND!r}."
    )

# --- Webhooks ---------------------------------------------------------------

# Partners' endpoints must be https, and may not resolve to loopback,
# private, link-local or metadata addresses (webhooks/outbound.py). A
# developer's receiver on this machine is allowed while debugging.
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=DEBUG)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)
# Seconds to wait before each retry of a failed delivery; empty: Standard
# Webhooks' schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 27 h).
WEBHOOKS_RETRY_DELAYS = env.list("WEBHOOKS_RETRY_DELAYS", cast=float, default=[])

# --- Authentication ---------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First: refuses logins while an address or user is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lock a user name from an address out after repeated failures. The failures
# are counted in the database, which every worker shares and which the
# sign-in needs anyway: a lockout holds whether Redis is there or not, and
# sign-ins are too rare for the writes to matter. The address is read as the
# rate limits read it, TRUSTED_PROXIES hops from the end of X-Forwarded-For,
# so behind a proxy one visitor cannot lock out everyone else.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "alliance.kernel.api.backends.client_address"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The member portal shares the lockout, and says so in its own pages.
AXES_LOCKOUT_CALLABLE = "alliance.kernel.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# A second factor (TOTP) for the admin: required of every staff user when on;
# superusers who have a device must use it in any case.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = env.str("SITE_SHORT_NAME", default="AIIA")

# --- Languages --------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True

# A text missing in one language is shown in the other one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en", "zh-hans")}
# The admin's language tabs (django-modeltranslation) need jQuery UI: serve it
# from this site, not from the CDN the package would otherwise use.
JQUERY_UI_URL = "vendor/jquery-ui-1.13.3/jquery-ui.min.js"

# --- Static and media files -------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

# Uploads stay on the local disk (MEDIA_ROOT) unless a bucket is named: then
# they go to S3 or any S3-compatible service (MinIO, Ceph, Aliyun OSS,
# Tencent COS...) through django-storages, where every web process sees
# them, and pages link to the bucket or to AWS_S3_CUSTOM_DOMAIN (a CDN).
# Keys left unset are found by boto3 as usual (an instance role, ~/.aws).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Where pages load media from besides this site (CSP sources: an origin, or
# an origin and path), for the image policy below.
MEDIA_SOURCES = []
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="")
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="")
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="")
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "region_name": AWS_S3_REGION_NAME or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "custom_domain": AWS_S3_CUSTOM_DOMAIN or None,
            "location": env.str("AWS_LOCATION", default=""),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            # Signature version 4: the one every region and service accepts.
            "signature_version": "s3v4",
            # Logos and pictures are public: plain addresses, which pages
            # and caches can keep, unless signed ones are asked for.
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "default_acl": env.str("AWS_DEFAULT_ACL", default="") or None,
            # As on disk, an upload never replaces a file of the same name
            # (a new logo's renditions are made because its name is new).
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=86400"},
        },
    }
    if AWS_S3_CUSTOM_DOMAIN:
        MEDIA_SOURCES = [f"https://{AWS_S3_CUSTOM_DOMAIN.strip('/')}/"]
    else:
        # The bucket's address: the bucket in the host name or in the path,
        # whichever the service (or AWS_S3_ADDRESSING_STYLE) uses.
        scheme, _sep, host = (
            AWS_S3_ENDPOINT_URL or "https://s3.amazonaws.com"
        ).partition("://")
        hosts = [host.split("/")[0]]
        if not AWS_S3_ENDPOINT_URL and AWS_S3_REGION_NAME:
            china = ".cn" if AWS_S3_REGION_NAME.startswith("cn-") else ""
            hosts.append(f"s3.{AWS_S3_REGION_NAME}.amazonaws.com{china}")
        MEDIA_SOURCES = [
            source
            for host in hosts
            for source in (
                f"{scheme}://{AWS_STORAGE_BUCKET_NAME}.{host}",
                f"{scheme}://{host}/{AWS_STORAGE_BUCKET_NAME}/",
            )
        ]

# Private files (alliance/kernel/private_files.py): uploads that are never
# served, such as a member import waiting for the worker. On disk outside
# the media folder; the web processes and the workers must see the same
# folder (one machine, or a shared mount). With a bucket: a bucket of their
# own (PRIVATE_STORAGE_BUCKET_NAME) or the media bucket under `private/`,
# written private and read with short-lived signed addresses.
PRIVATE_ROOT = env.path("PRIVATE_ROOT", default=VAR_DIR / "private")
PRIVATE_STORAGE = {"BACKEND": "alliance.kernel.private_files.PrivateFileSystemStorage"}
if AWS_STORAGE_BUCKET_NAME:
    PRIVATE_STORAGE_BUCKET_NAME = env.str("PRIVATE_STORAGE_BUCKET_NAME", default="")
    PRIVATE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **MEDIA_STORAGE["OPTIONS"],
            "bucket_name": PRIVATE_STORAGE_BUCKET_NAME or AWS_STORAGE_BUCKET_NAME,
            "location": "" if PRIVATE_STORAGE_BUCKET_NAME else "private",
            "custom_domain": None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "object_parameters": {},
        },
    }

# Hashed, compressed names let browsers cache assets for a year; they need
# `collectstatic`, which the production instructions run. Development and
# tests serve the files as they are.
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": MEDIA_STORAGE,
    "private": PRIVATE_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads larger than this are refused before they reach a form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security ---------------------------------------------------------------

# The proxy in front terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Health checks are called over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int(
    "DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
# A reader's choice of language (see alliance/kernel/language_notice.py) lasts a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
X_FRAME_OPTIONS = "DENY"

# A strict Content-Security-Policy: everything from this site only, no inline
# script or style. Where a page of a library needs an inline script (the API
# docs), it carries the request's nonce. JSON-LD blocks are data, which the
# policy does not govern. The embeddable
# logo wall widens frame-ancestors for itself with `csp_replace`.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *MEDIA_SOURCES],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The admin's rich-text editor (alliance/kernel/rich_text.py): django-prose-editor's
# modules, started by our own script, which keeps Tiptap from adding a
# <style> element that the policy above refuses.
DJANGO_PROSE_EDITOR_PRESETS = {
    "alliance": [
        Script("django_prose_editor/editor.js", type="module"),
        Script("js/rich-text-editor.js", type="module"),
    ],
}

# --- Site identity ----------------------------------------------------------

# Nothing in the code names a particular alliance: these come from the
# environment, with neutral defaults.
SITE_NAME = env.str(
    "SITE_NAME",
    default="International Ecological Alliance for the Aerospace Information Industry",
)
SITE_SHORT_NAME = env.str("SITE_SHORT_NAME", default="AIIA")
SITE_TAGLINE = env.str(
    "SITE_TAGLINE",
    default="Members, news and application scenarios of the aerospace information industry.",
)
# The name and tagline in Chinese, shown on the Chinese pages.
SITE_NAME_ZH_HANS = env.str("SITE_NAME_ZH_HANS", default="航天信息产业国际生态联盟")
SITE_TAGLINE_ZH_HANS = env.str(
    "SITE_TAGLINE_ZH_HANS", default="航天信息产业的成员、新闻与应用场景。"
)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="secretariat@example.org")
ICP_FILING_NUMBER = env.str("ICP_FILING_NUMBER", default="")

# --- Email ------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=CONTACT_EMAIL)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Event registration: submissions of the form a client address may make an hour.
REGISTRATION_RATE_LIMIT = env.int("REGISTRATION_RATE_LIMIT", default=20)
# The font of name badges: one that has Chinese and Latin letters (Debian's
# fonts-noto-cjk; in a .ttc collection, the Simplified Chinese face).
BADGE_FONT = env.str(
    "BADGE_FONT", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)
# Who hears about new membership applications.
MEMBERSHIP_NOTIFY_EMAILS = env.list("MEMBERSHIP_NOTIFY_EMAILS", default=[CONTACT_EMAIL])

# --- API --------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "alliance.kernel.api.backends.PartnerKeyAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "alliance.kernel.api.backends.UpdatedSinceFilter",
        "django_filters.rest_framework.DjangoFilterBackend",
        "alliance.kernel.api.backends.SearchFilter",
        "alliance.kernel.api.backends.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "alliance.kernel.api.pagination.StablePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "alliance.kernel.api.schema.AutoSchema",
    # Anonymous requests are counted before the response cache, by
    # alliance.kernel.api.allowance.AnonymousAllowanceMiddleware ("anon").
    "DEFAULT_THROTTLE_CLASSES": ["alliance.kernel.api.backends.PartnerThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="120/min"),
        "partner": env.str("API_PARTNER_RATE", default="1200/min"),
    },
    # How many proxies in front append to X-Forwarded-For: the client's
    # address is read that far from the end. With none, the header is ignored,
    # so a client cannot pick its own address to escape a rate limit.
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=0),
    "EXCEPTION_HANDLER": "alliance.kernel.api.common.exception_handler",
    "NON_FIELD_ERRORS_KEY": "detail",
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Read-only open data: members, news, application scenarios and events.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operations are named after their resource (members_list), not the version.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The types of the parameters every operation has, named once, so that a
    # generated client has one Language type rather than one per operation.
    "APPEND_COMPONENTS": {
        "schemas": {
            "Language": {
                "type": "string",
                "enum": [code for code, _name in LANGUAGES],
                "description": "A language of the content.",
            },
            "Format": {"type": "string", "enum": ["json"]},
        }
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Partners' sites call the API from browsers: allow reads from anywhere, on
# the API only.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
# Partners send their key in X-Api-Key; a browser asks first (preflight).
CORS_ALLOW_HEADERS = (*default_headers, "x-api-key")
CORS_ALLOW_CREDENTIALS = False

# --- Logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # 4xx answers to bad input are expected; keep them out of the error log.
        "django.request": {"level": "ERROR"},
    },
}
