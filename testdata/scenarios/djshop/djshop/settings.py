"""djshop settings. The database and the log directory come from the
environment (record.sh sets them); everything else is a plain Django 3.2
production-style configuration (DEBUG off)."""
import os

SECRET_KEY = "djshop-scenario-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "djshop.urls"
WSGI_APPLICATION = "djshop.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.postgres",
    "shop",
]
MIDDLEWARE = [
    "shop.middleware.RequestLogMiddleware",
    "django.middleware.common.CommonMiddleware",
]
TEMPLATES = []

_db = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ.get("DJSHOP_DB", "shop"),
    "USER": os.environ.get("DJSHOP_DB_USER", "shop"),
    "HOST": os.environ.get("DJSHOP_DB_HOST", "127.0.0.1"),
    "PORT": os.environ.get("DJSHOP_DB_PORT", "5432"),
    "OPTIONS": {"application_name": "djshop"},
}
DATABASES = {
    # persistent connections: one per gunicorn thread, kept for 60 s
    "default": dict(_db, CONN_MAX_AGE=60),
    # PLANTED no_connection_pool: Django's default CONN_MAX_AGE = 0, a new
    # PostgreSQL connection for every request that touches this alias
    "inventory": dict(_db, CONN_MAX_AGE=0),
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOG_DIR = os.environ.get("DJSHOP_LOG_DIR", ".")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s [%(threadName)s] %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "file": {"class": "logging.FileHandler", "filename": os.path.join(LOG_DIR, "django.log"),
                 "formatter": "plain"},
    },
    "root": {"handlers": ["file"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["file"], "level": "INFO", "propagate": False},
        "django.db.backends": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "shop": {"handlers": ["file"], "level": "INFO", "propagate": False},
    },
}
