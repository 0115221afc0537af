from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=80)
    email = models.CharField(max_length=120)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    placed_at = models.DateTimeField()
    status = models.CharField(max_length=12)
    total = models.DecimalField(max_digits=10, decimal_places=2)


class SiteSettings(models.Model):
    """One row: shop-wide settings every page needs."""
    shop_name = models.CharField(max_length=80)
    currency = models.CharField(max_length=3)
    support_email = models.CharField(max_length=120)
    banner = models.TextField()
    maintenance = models.BooleanField(default=False)


class Product(models.Model):
    sku = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    price = models.DecimalField(max_digits=10, decimal_places=2)


class Stock(models.Model):
    product = models.OneToOneField(Product, on_delete=models.CASCADE)
    warehouse = models.CharField(max_length=20)
    qty = models.IntegerField()


class Event(models.Model):
    """Analytics events, bulk-loaded. customer_ref is the customer id as the
    tracking pipeline writes it: no index (the slow report filters on it);
    customer is the same id as an indexed foreign key."""
    customer_ref = models.IntegerField()
    customer = models.ForeignKey(Customer, on_delete=models.DO_NOTHING, db_constraint=False)
    kind = models.CharField(max_length=16)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created = models.DateTimeField()
