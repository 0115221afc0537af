"""A tiny Django app on PostgreSQL for the application-log recorder:
/users lists users with their groups (an N+1 loop), /user/N reads one user.
gunicorn serves it (gunicorn_conf.py); `djangoapp.py setup` migrates and
seeds the database."""
import os
import sys

from django.conf import settings

settings.configure(
    DEBUG=True,  # django.db.backends logs its SQL only in debug mode
    SECRET_KEY="applog-recorder",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    USE_TZ=True,
    LOGGING_CONFIG=None,  # the process's own logging set-up applies
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop", "USER": "postgres",
                           "HOST": "127.0.0.1", "PORT": os.environ.get("APPLOG_PGPORT", "5432")}},
)

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def users(request):
    out = []
    for u in User.objects.order_by("id"):  # N+1: one query per user for its groups
        out.append([u.username, [g.name for g in u.groups.all()]])
    return JsonResponse({"users": out})


def user(request, n):
    u = User.objects.filter(username="user%d" % n).first()
    return JsonResponse({"user": u.username if u else None})


urlpatterns = [path("users", users), path("user/<int:n>", user)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

if __name__ == "__main__" and sys.argv[1:] == ["setup"]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    for i in range(5):
        g = Group.objects.create(name="group%d" % i)
        User.objects.create(username="user%d" % i).groups.add(g)
