"""manage.py seed: the shop's data, loaded the way a deploy script would:
bulk_create (multi-row INSERTs) for the catalogue, COPY for the analytics
events. Deterministic: the same rows on every run."""
import datetime
import decimal

from django.core.management.base import BaseCommand
from django.db import connection

from shop.models import Customer, Order, Product, SiteSettings, Stock

CUSTOMERS = 1000
ORDERS = 2000
PRODUCTS = 300
KINDS = ("view", "cart", "purchase", "refund")
BASE = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)


class EventRows:
    """A file-like object streaming the event rows to COPY in text format."""

    def __init__(self, n):
        self.n, self.i, self.buf = n, 0, ""

    def read(self, size=-1):
        while self.i < self.n and (size < 0 or len(self.buf) < size):
            lines = []
            for g in range(self.i, min(self.n, self.i + 5000)):
                c = 1 + (g * 7919) % CUSTOMERS
                ts = BASE + datetime.timedelta(seconds=g * 3)
                lines.append("%d\t%d\t%s\t%d.%02d\t%s\n" % (c, c, KINDS[g % 4], g % 500, g % 100, ts.isoformat()))
            self.i = min(self.n, self.i + 5000)
            self.buf += "".join(lines)
        if size < 0:
            size = len(self.buf)
        out, self.buf = self.buf[:size], self.buf[size:]
        return out



class Command(BaseCommand):
    help = "Load the shop's data (bulk_create for the catalogue, COPY for the events)."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1000000)

    def handle(self, *args, events, **options):
        Customer.objects.bulk_create(
            [Customer(name="Customer %d" % i, email="c%d@example.com" % i) for i in range(1, CUSTOMERS + 1)],
            batch_size=500)
        Order.objects.bulk_create(
            [Order(customer_id=1 + (i * 37) % CUSTOMERS, placed_at=BASE + datetime.timedelta(minutes=i),
                   status=("paid", "shipped", "open")[i % 3], total=decimal.Decimal(i % 400) + decimal.Decimal("0.99"))
             for i in range(ORDERS)], batch_size=500)
        SiteSettings.objects.create(shop_name="djshop", currency="EUR", support_email="help@example.com",
                                    banner="Spring sale: 10 % off everything", maintenance=False)
        products = Product.objects.bulk_create(
            [Product(sku="SKU-%04d" % i, name="Product %d" % i, price=decimal.Decimal(i % 90) + decimal.Decimal("0.50"))
             for i in range(1, PRODUCTS + 1)], batch_size=500)
        Stock.objects.bulk_create(
            [Stock(product=p, warehouse=("north", "south")[p.id % 2], qty=(p.id * 13) % 250) for p in products],
            batch_size=500)
        with connection.cursor() as cur:
            cur.copy_expert("COPY shop_event (customer_ref, customer_id, kind, amount, created) FROM STDIN",
                            EventRows(events))
            cur.execute("ANALYZE")
        self.stdout.write("seeded %d customers, %d orders, %d products, %d events" % (CUSTOMERS, ORDERS, PRODUCTS, events))
