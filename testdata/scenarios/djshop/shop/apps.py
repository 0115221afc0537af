from django.apps import AppConfig
from django.db.backends.signals import connection_created


def log_sql(sender, connection, **kwargs):
    # SQL logging without DEBUG = True: django.db.backends writes every
    # statement with its duration when the connection uses the debug cursor.
    connection.force_debug_cursor = True


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        connection_created.connect(log_sql)
