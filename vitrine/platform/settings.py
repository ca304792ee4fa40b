"""Django settings. Everything a deployment changes comes from the environment (see the README's table).

One module over 400 lines on purpose: Django reads one settings module, and each setting sits in its section
with the comment that explains it.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(environ.Env().str("VITRINE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# The default only lets management commands and tests run on a fresh clone: serving processes (the WSGI
# app, Celery workers) refuse to start with it unless DEBUG is on (vitrine.platform.checks).
DEVELOPMENT_SECRET_KEY = "insecure-dev-key-change-me-" + "x" * 32
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL of this service (webhook and OAuth callback addresses are built from it).
APP_URL = env.str("APP_URL", default="http://127.0.0.1:8000")
# Outgoing mail (invitations, password links): an e-mail URL such as smtp+tls://user:password@host:587;
# the default prints each message to the worker's log instead of sending it.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Vitrine <no-reply@localhost>")
# How long a password link stays valid (Django's PASSWORD_RESET_TIMEOUT): 3 days, an invitation's lifetime.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_LINK_SECONDS", default=3 * 24 * 3600)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "vitrine.platform",
    "vitrine.connectors",
    "vitrine.inference",
    "vitrine.review",
    "vitrine.templates",
    "vitrine.api",
    "vitrine.console",
    "vitrine.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: Shopify's locale, the user's choice, Accept-Language.
    "vitrine.console.middleware.ConsoleLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Outside the embedded-app middleware, which adds the shop's frame-ancestors and App Bridge to the policy.
    "csp.middleware.CSPMiddleware",
    # The embedded app's Shopify session tokens (a bearer token is not a cookie: no CSRF check for it).
    "vitrine.console.middleware.EmbeddedSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vitrine.platform.logging.RequestLogContextMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vitrine.platform.urls"
WSGI_APPLICATION = "vitrine.platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vitrine.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
# A kept connection is checked before reuse: after a database restart, web and workers reconnect instead of
# failing one request or task per stale connection.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite holds one writer at a time; wait for it instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASES["default"]["NAME"] not in ("", ":memory:") and "mode=memory" not in DATABASES["default"]["NAME"]:
        # SQLite cannot create the folder of its file: on a fresh clone var/ does not exist yet.
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- storage --------------------------------------------------------------------------------------
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATIC_URL = "static/"
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # S3-compatible object storage (AWS_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ... read by django-storages).
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_QUERYSTRING_AUTH = True
    _media_backend = "storages.backends.s3.S3Storage"
else:
    _media_backend = "django.core.files.storage.FileSystemStorage"
STORAGES = {
    "default": {"BACKEND": _media_backend},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Image intake limits (bytes and pixels); anything above is refused with a specific error.
IMAGE_MAX_BYTES = env.int("IMAGE_MAX_BYTES", default=25 * 1024 * 1024)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
IMAGE_MIN_SIDE = env.int("IMAGE_MIN_SIDE", default=32)
# How long a browser may reuse a downloaded blob (seconds, private cache only): the longest a user whose
# access was revoked can still see an image they opened before.
BLOB_CACHE_SECONDS = env.int("BLOB_CACHE_SECONDS", default=300)

# --- outbound downloads (vitrine.platform.fetcher) ---------------------------------------------------
# Image URLs are downloaded over https only; http is for a local stand-in store (development, tests).
FETCH_ALLOW_HTTP = env.bool("FETCH_ALLOW_HTTP", default=False)
# Host names allowed to resolve to loopback/private addresses (a local stand-in store); none in production.
FETCH_ALLOW_PRIVATE_HOSTS = env.list("FETCH_ALLOW_PRIVATE_HOSTS", default=[])
# Whole download, redirects included (seconds); connect and per-read limits within it.
FETCH_DEADLINE = env.float("FETCH_DEADLINE", default=60.0)
FETCH_CONNECT_TIMEOUT = env.float("FETCH_CONNECT_TIMEOUT", default=5.0)
FETCH_READ_TIMEOUT = env.float("FETCH_READ_TIMEOUT", default=20.0)
FETCH_MAX_REDIRECTS = env.int("FETCH_MAX_REDIRECTS", default=5)

# --- secrets --------------------------------------------------------------------------------------
# Fernet key (urlsafe base64, 32 bytes) for tokens at rest. Several keys, comma separated: the first
# encrypts, all decrypt (rotation). Development falls back to a key derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[])

# --- celery ---------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Without a broker the embedded default runs every task in-process, right away.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or env.str(
    "CELERY_BROKER_URL", default="")))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"vitrine.inference.tasks.*": {"queue": "gpu"}}
# Redis redelivers an unacked task after this many seconds: it must exceed the longest GPU job.
# max_retries: sending a task fails at once when the broker is down (instead of retrying for seconds): what
# could not be sent stays in the outbox for the relay, and a webhook is still answered within Shopify's 5 s.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200),
                                   "max_retries": env.int("CELERY_SEND_CONNECT_RETRIES", default=0)}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY = False
# The beat schedule is not set here: each app declares its periodic tasks on its AppConfig (``periodic_tasks``)
# and vitrine.platform.beat builds Celery's schedule from them. The intervals (seconds) are settings:
# the outbox relay,
EVENT_RELAY_INTERVAL = env.int("EVENT_RELAY_INTERVAL", default=30)
# variants waiting for a model resume once it is configured (also at every worker start),
RESUME_WAITING_INTERVAL = env.int("RESUME_WAITING_INTERVAL", default=300)
# the stuck-variant sweep (VARIANT_STUCK_AFTER, below).
VARIANT_SWEEP_INTERVAL = env.int("VARIANT_SWEEP_INTERVAL", default=300)
# An event not delivered this many seconds after commit is re-dispatched by the relay.
EVENT_RELAY_GRACE_SECONDS = env.int("EVENT_RELAY_GRACE_SECONDS", default=60)
EVENT_MAX_ATTEMPTS = env.int("EVENT_MAX_ATTEMPTS", default=20)
# The stuck-variant sweep: a variant in one of these states for longer (seconds) has its next step enqueued
# again. Each deadline is above the longest legitimate wait in that state (a GPU backlog, publish retries).
VARIANT_STUCK_AFTER = {
    "requested": env.int("VARIANT_STUCK_AFTER_REQUESTED", default=6 * 3600),
    "generating": env.int("VARIANT_STUCK_AFTER_GENERATING", default=env.int("INFERENCE_TASK_TIME_LIMIT",
                                                                           default=960) + 300),
    "generated": env.int("VARIANT_STUCK_AFTER_GENERATED", default=1800),
    "approved": env.int("VARIANT_STUCK_AFTER_APPROVED", default=1800),
    "publishing": env.int("VARIANT_STUCK_AFTER_PUBLISHING", default=2 * 3600),
}

# --- security (production-like when DEBUG is off) -----------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Login throttling (django-axes) for every login form (admin, console): after AXES_FAILURE_LIMIT failed
# attempts from one address for one username, that pair is locked out for AXES_COOLOFF_TIME hours.
AUTHENTICATION_BACKENDS = [
    "vitrine.platform.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_TIME", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Content-Security-Policy of our own pages (django-csp): scripts and styles only from our static files, no
# inline code. Blob responses carry their own, stricter policy (sandbox).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}

LANGUAGE_CODE = "en"
# The merchant app speaks these; its catalogue is vitrine/console/locale (checked by scripts/check_translations.py).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "vitrine.platform.pagination.NewestFirstPagination",
    "DEFAULT_SCHEMA_CLASS": "vitrine.api.schema.VitrineAutoSchema",
}
# API v1 (vitrine/api): requests per personal token (or console user), and the OpenAPI document.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
# Idempotency keys are kept this many days, then purged daily.
API_IDEMPOTENCY_DAYS = env.int("API_IDEMPOTENCY_DAYS", default=7)
SPECTACULAR_SETTINGS = {
    "TITLE": "Vitrine API",
    "DESCRIPTION": "Localized, SKU-faithful product image variants: markets, templates, variants, review, "
                   "publishing. Errors are application/problem+json (RFC 9457).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["vitrine.api.schema.only_api_v1"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {},
}

# --- logging and errors ---------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # "json" in production
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "vitrine.platform.logging.ContextFilter"}},
    "formatters": {
        "json": {"()": "vitrine.platform.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(log_context)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )

# --- inference ------------------------------------------------------------------------------------
# Where diffusion runs: "auto" (CUDA, then MPS, then CPU), or a torch device such as "cuda:1".
INFERENCE_DEVICE = env.str("INFERENCE_DEVICE", default="auto")
# Model registry id used when a template names no model; empty = no diffusion (classical edits only).
INFERENCE_DEFAULT_MODEL = env.str("INFERENCE_DEFAULT_MODEL", default="")
# JSON file adding models to the registry or pointing built-in ones at local folders.
INFERENCE_MODEL_REGISTRY_FILE = env.str("INFERENCE_MODEL_REGISTRY_FILE", default="")
# Models whose licence forbids commercial use are refused unless this is on.
INFERENCE_ALLOW_NONCOMMERCIAL_MODELS = env.bool("INFERENCE_ALLOW_NONCOMMERCIAL_MODELS", default=False)
# Resident pipelines past this size (GiB of weights) are evicted, least recently used first.
INFERENCE_PIPELINE_MEMORY_BUDGET_GB = env.float("INFERENCE_PIPELINE_MEMORY_BUDGET_GB", default=40.0)
INFERENCE_TORCH_COMPILE = env.bool("INFERENCE_TORCH_COMPILE", default=False)
# Most images one diffusers call generates (variants sharing a template and model).
INFERENCE_BATCH_SIZE = env.int("INFERENCE_BATCH_SIZE", default=4)
# Local folder or hub id of a semantic segmentation model (garment / face / hair / skin); needed by model_swap.
INFERENCE_SEGMENTATION_MODEL = env.str("INFERENCE_SEGMENTATION_MODEL", default="")
INFERENCE_BOX_SEGMENTATION_MODEL = env.str("INFERENCE_BOX_SEGMENTATION_MODEL", default="")
# Translation models per language pair, JSON: {"zh-en": "/models/opus-mt-zh-en", "*-de": "..."}.
INFERENCE_TRANSLATION_MODELS = env.json("INFERENCE_TRANSLATION_MODELS", default={})
# Font files tried first for re-rendered text (then Noto CJK, WenQuanYi, DejaVu from the system).
INFERENCE_FONT_PATHS = env.list("INFERENCE_FONT_PATHS", default=[])
# Classical product masks less certain than this are refused instead of used.
INFERENCE_MIN_MASK_CONFIDENCE = env.float("INFERENCE_MIN_MASK_CONFIDENCE", default=0.6)
# Threads for CPU work (OCR, classical compositing); 0 = the libraries' defaults.
INFERENCE_CPU_THREADS = env.int("INFERENCE_CPU_THREADS", default=0)
# A TorchScript super-resolution model that enlarges products too small for a marketplace image (else Lanczos).
INFERENCE_UPSCALE_MODEL = env.str("INFERENCE_UPSCALE_MODEL", default="")
# Render task limits (seconds): the soft limit fails the variant cleanly, the hard one kills the task.
INFERENCE_TASK_SOFT_TIME_LIMIT = env.int("INFERENCE_TASK_SOFT_TIME_LIMIT", default=900)
INFERENCE_TASK_TIME_LIMIT = env.int("INFERENCE_TASK_TIME_LIMIT", default=960)
INFERENCE_TASK_MAX_RETRIES = env.int("INFERENCE_TASK_MAX_RETRIES", default=3)

# --- fidelity -------------------------------------------------------------------------------------
# Deployment overrides of the SKU-fidelity thresholds (calibrated defaults per edit kind live in
# vitrine.fidelity.thresholds; docs/fidelity.md lists them): {"*" or kind: {name: value}}, e.g.
# FIDELITY_THRESHOLDS='{"model_swap": {"mask_erosion_px": 8}}'. A template's own overrides apply on top.
FIDELITY_THRESHOLDS: dict[str, dict[str, float]] = env.json("FIDELITY_THRESHOLDS", default={})
# Read printed text on the product by OCR (names changed letters). Text detection runs once per source
# image, its lines are kept in the "fidelity" cache below; each variant then costs a few ms of recognition.
FIDELITY_OCR = env.bool("FIDELITY_OCR", default=True)
# Where the original's text lines are kept between reports (by content hash): Redis when REDIS_URL is set,
# so every worker process shares them; otherwise this process only.
FIDELITY_TEXT_CACHE_URL = env.str("FIDELITY_TEXT_CACHE_URL", default=REDIS_URL)
FIDELITY_TEXT_CACHE_SECONDS = env.int("FIDELITY_TEXT_CACHE_SECONDS", default=30 * 24 * 3600)
# The default cache holds the API's per-caller throttle counters: in Redis when CACHE_URL (default: REDIS_URL) is
# set, so every web process counts against the one budget; in each process's memory otherwise.
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "vitrine"}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    "fidelity": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": FIDELITY_TEXT_CACHE_URL,
         "KEY_PREFIX": "vitrine", "TIMEOUT": FIDELITY_TEXT_CACHE_SECONDS}
        if FIDELITY_TEXT_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fidelity-text",
              "TIMEOUT": FIDELITY_TEXT_CACHE_SECONDS}
    ),
}

# --- review ---------------------------------------------------------------------------------------
# A reviewer's claim on an item lapses after this many seconds (checked in the queue query itself).
REVIEW_CLAIM_SECONDS = env.int("REVIEW_CLAIM_SECONDS", default=15 * 60)
# A new review item is due this many hours after it opens.
REVIEW_DUE_HOURS = env.int("REVIEW_DUE_HOURS", default=24)
# The lowest fidelity score bulk approval offers by default (the reviewer sees and can change it).
REVIEW_BULK_APPROVE_MIN_SCORE = env.float("REVIEW_BULK_APPROVE_MIN_SCORE", default=0.9)

# --- connectors -----------------------------------------------------------------------------------
# Largest product CSV imported (bytes; Shopify itself imports at most 15 MB); read as a stream, never whole.
CSV_MAX_BYTES = env.int("CSV_MAX_BYTES", default=50 * 1024 * 1024)
# Taobao / Tmall through the Taobao Open Platform (TOP). The sandbox gateway is
# https://gw.api.tbsandbox.com/router/rest. TAOBAO_SIGN_METHOD: md5, hmac or hmac-sha256.
TAOBAO_APP_KEY = env.str("TAOBAO_APP_KEY", default="")
TAOBAO_APP_SECRET = env.str("TAOBAO_APP_SECRET", default="")
TAOBAO_GATEWAY_URL = env.str("TAOBAO_GATEWAY_URL", default="https://gw.api.taobao.com/router/rest")
TAOBAO_OAUTH_URL = env.str("TAOBAO_OAUTH_URL", default="https://oauth.taobao.com")
TAOBAO_SIGN_METHOD = env.str("TAOBAO_SIGN_METHOD", default="hmac-sha256")
TAOBAO_CONNECT_TIMEOUT = env.float("TAOBAO_CONNECT_TIMEOUT", default=5.0)
TAOBAO_READ_TIMEOUT = env.float("TAOBAO_READ_TIMEOUT", default=30.0)
TAOBAO_UPLOAD_TIMEOUT = env.float("TAOBAO_UPLOAD_TIMEOUT", default=120.0)
TAOBAO_MAX_ATTEMPTS = env.int("TAOBAO_MAX_ATTEMPTS", default=5)
# Longest wait for a call-limit ban (code 7) to lift before a call gives up as rate limited (seconds).
TAOBAO_CALL_LIMIT_MAX_WAIT = env.float("TAOBAO_CALL_LIMIT_MAX_WAIT", default=60.0)
# Access tokens are refreshed this many seconds before they expire.
TAOBAO_TOKEN_REFRESH_MARGIN = env.int("TAOBAO_TOKEN_REFRESH_MARGIN", default=3600)
TAOBAO_PAGE_SIZE = env.int("TAOBAO_PAGE_SIZE", default=200)
# A modified-time window holding more on-sale items than this is split in two (deep pages fail).
TAOBAO_WINDOW_MAX_ITEMS = env.int("TAOBAO_WINDOW_MAX_ITEMS", default=2000)
# Incremental syncs start this many seconds before the last watermark (clock skew, late writes).
TAOBAO_SYNC_OVERLAP = env.int("TAOBAO_SYNC_OVERLAP", default=300)
TAOBAO_SYNC_INTERVAL = env.int("TAOBAO_SYNC_INTERVAL", default=6 * 3600)
TAOBAO_PICTURE_MAX_BYTES = env.int("TAOBAO_PICTURE_MAX_BYTES", default=3 * 1024 * 1024)
# Hosts item images are downloaded from ("*.x" matches any name below x).
TAOBAO_IMAGE_HOSTS = env.list("TAOBAO_IMAGE_HOSTS", default=["*.alicdn.com", "*.taobaocdn.com", "*.tbcdn.cn"])
TAOBAO_PICTURE_CATEGORY_ID = env.int("TAOBAO_PICTURE_CATEGORY_ID", default=0)
# Item category names (taobao.itemcats.get) are cached in the database for this long.
TAOBAO_CATEGORY_TTL = env.int("TAOBAO_CATEGORY_TTL", default=7 * 86400)
TAOBAO_TMC_GROUP = env.str("TAOBAO_TMC_GROUP", default="")
TAOBAO_TMC_BATCH = env.int("TAOBAO_TMC_BATCH", default=200)
TAOBAO_TMC_MAX_BATCHES = env.int("TAOBAO_TMC_MAX_BATCHES", default=20)
TAOBAO_TMC_POLL_INTERVAL = env.int("TAOBAO_TMC_POLL_INTERVAL", default=15)
# Shopify app credentials (client id and secret from the app's configuration). After a secret rotation
# the previous secret still verifies webhooks, session tokens and OAuth callbacks for
# SHOPIFY_SECRET_ROTATION_GRACE seconds counted from SHOPIFY_API_SECRET_ROTATED_AT (ISO 8601).
SHOPIFY_API_KEY = env.str("SHOPIFY_API_KEY", default="")
SHOPIFY_API_SECRET = env.str("SHOPIFY_API_SECRET", default="")
SHOPIFY_API_SECRET_PREVIOUS = env.str("SHOPIFY_API_SECRET_PREVIOUS", default="")
# App Bridge, loaded by the embedded app from Shopify's CDN (Shopify requires this address).
SHOPIFY_APP_BRIDGE_URL = env.str("SHOPIFY_APP_BRIDGE_URL", default="https://cdn.shopify.com/shopifycloud/app-bridge.js")
SHOPIFY_API_SECRET_ROTATED_AT = env.str("SHOPIFY_API_SECRET_ROTATED_AT", default="")
SHOPIFY_SECRET_ROTATION_GRACE = env.int("SHOPIFY_SECRET_ROTATION_GRACE", default=3600)
SHOPIFY_API_VERSION = env.str("SHOPIFY_API_VERSION", default="2026-07")
SHOPIFY_SCOPES = env.list("SHOPIFY_SCOPES", default=["read_products", "write_products", "read_files",
                                                     "write_files"])
# An OAuth callback whose signed timestamp is older than this (seconds) is refused as a replay.
SHOPIFY_OAUTH_CALLBACK_MAX_AGE = env.int("SHOPIFY_OAUTH_CALLBACK_MAX_AGE", default=600)
# A webhook triggered longer ago than this (seconds) is refused as a replay; Shopify retries a failed delivery
# for up to 4 hours.
SHOPIFY_WEBHOOK_MAX_AGE = env.int("SHOPIFY_WEBHOOK_MAX_AGE", default=6 * 3600)
# Largest webhook body accepted (bytes). Only the webhook endpoint reads past DATA_UPLOAD_MAX_MEMORY_SIZE.
SHOPIFY_WEBHOOK_MAX_BYTES = env.int("SHOPIFY_WEBHOOK_MAX_BYTES", default=20 * 1024 * 1024)
# Base address of a shop's Admin API and OAuth endpoints; "{shop}" becomes the shop domain.
SHOPIFY_SHOP_URL = env.str("SHOPIFY_SHOP_URL", default="https://{shop}")
SHOPIFY_CONNECT_TIMEOUT = env.float("SHOPIFY_CONNECT_TIMEOUT", default=5.0)
SHOPIFY_READ_TIMEOUT = env.float("SHOPIFY_READ_TIMEOUT", default=30.0)
SHOPIFY_MAX_ATTEMPTS = env.int("SHOPIFY_MAX_ATTEMPTS", default=5)
# Longest wait for the shared cost bucket before a call gives up as rate limited (seconds).
SHOPIFY_THROTTLE_MAX_WAIT = env.float("SHOPIFY_THROTTLE_MAX_WAIT", default=60.0)
SHOPIFY_RATE_LIMIT_KEY_PREFIX = env.str("SHOPIFY_RATE_LIMIT_KEY_PREFIX", default="vitrine:shopify:bucket:")
# Catalogues with more products than this are read with a bulk operation instead of paging.
SHOPIFY_BULK_THRESHOLD = env.int("SHOPIFY_BULK_THRESHOLD", default=2000)
SHOPIFY_PAGE_SIZE = env.int("SHOPIFY_PAGE_SIZE", default=50)
SHOPIFY_BULK_POLL_INTERVAL = env.float("SHOPIFY_BULK_POLL_INTERVAL", default=2.0)
SHOPIFY_BULK_TIMEOUT = env.float("SHOPIFY_BULK_TIMEOUT", default=3600.0)
SHOPIFY_MEDIA_READY_TIMEOUT = env.float("SHOPIFY_MEDIA_READY_TIMEOUT", default=120.0)
# Hosts product images are downloaded from ("*.x" matches any name below x).
SHOPIFY_IMAGE_HOSTS = env.list("SHOPIFY_IMAGE_HOSTS", default=["cdn.shopify.com", "*.myshopify.com"])
SHOPIFY_MEDIA_POLL_INTERVAL = env.float("SHOPIFY_MEDIA_POLL_INTERVAL", default=1.0)
# A worker holds a publish this long before another may take it over (a worker that died mid-publish).
SHOPIFY_PUBLISH_LEASE_SECONDS = env.int("SHOPIFY_PUBLISH_LEASE_SECONDS", default=15 * 60)
SHOPIFY_RECONCILE_INTERVAL = env.int("SHOPIFY_RECONCILE_INTERVAL", default=6 * 3600)
# Shopify sends shop/redact 48 h after an uninstall; should it never arrive, the reconcile sweep purges a
# shop this many seconds after its uninstall (unless it was reinstalled).
SHOPIFY_PURGE_AFTER_UNINSTALL = env.int("SHOPIFY_PURGE_AFTER_UNINSTALL", default=72 * 3600)
# C2PA signing of published images: PEM certificate chain and private key files. Unset: no manifest
# (the IPTC digital-source-type XMP disclosure is always written).
C2PA_SIGN_CERT_FILE = env.str("C2PA_SIGN_CERT_FILE", default="")
C2PA_SIGN_KEY_FILE = env.str("C2PA_SIGN_KEY_FILE", default="")
C2PA_SIGN_ALGORITHM = env.str("C2PA_SIGN_ALGORITHM", default="es256")
C2PA_TIMESTAMP_URL = env.str("C2PA_TIMESTAMP_URL", default="")
