"""A stand-alone Django program (sqlite, in memory) that logs
django.db.backends debug lines: an N+1 loop and a repeated read."""
import logging
import sys

import django
from django.conf import settings

settings.configure(
    DEBUG=True,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    LOGGING={
        "version": 1,
        "handlers": {"console": {"class": "logging.StreamHandler", "stream": sys.stdout,
                                 "formatter": "plain"}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "loggers": {"django.db.backends": {"level": "DEBUG", "handlers": ["console"]}},
    },
)
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)
for i in range(6):
    g = Group.objects.create(name="group%d" % i)
    u = User.objects.create(username="user%d" % i)
    u.groups.add(g)
for u in User.objects.all():  # N+1
    list(u.groups.all())
for _ in range(4):  # cacheable duplicate
    User.objects.filter(username="user1").first()
logging.shutdown()
