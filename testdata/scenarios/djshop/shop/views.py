"""djshop views: four planted problems, each next to a healthy twin that does
the same work the right way. Planted lines are marked `# PLANTED <kind>`.

    route                view                      planted problem
    /orders/             order_list                n_plus_one (FK attribute read per order)
    /orders/joined/      order_list_joined         healthy (select_related)
    /account/            account                   cacheable_duplicate (settings row read per request)
    /account/cached/     account_cached            healthy (cache.get_or_set)
    /report/             customer_report           slow_query (filter on an unindexed column)
    /report/indexed/     customer_report_indexed   healthy (same filter on the indexed FK)
    /stock/              stock_level               no_connection_pool (alias with CONN_MAX_AGE = 0)
    /stock/pooled/       stock_level_pooled        healthy (persistent alias, CONN_MAX_AGE = 60)
"""
import logging

from django.core.cache import cache
from django.db.models import Count, Sum
from django.http import JsonResponse

from .models import Event, Order, Product, SiteSettings, Stock

log = logging.getLogger("shop.views")
PAGE = 25


def _int(request, name, default):
    return max(0, int(request.GET.get(name, default)))


# ------------------------------------------------------------- n_plus_one

def order_list(request):
    start = _int(request, "page", 0) * PAGE
    rows = []
    for o in Order.objects.order_by("id")[start:start + PAGE]:
        rows.append({"id": o.id, "total": str(o.total), "customer": o.customer.name})  # PLANTED n_plus_one
    return JsonResponse({"orders": rows})


def order_list_joined(request):
    start = _int(request, "page", 0) * PAGE
    rows = []
    for o in Order.objects.select_related("customer").order_by("id")[start:start + PAGE]:
        rows.append({"id": o.id, "total": str(o.total), "customer": o.customer.name})
    return JsonResponse({"orders": rows})


# ---------------------------------------------------- cacheable_duplicate

def site_settings():
    return SiteSettings.objects.get(pk=1)  # PLANTED cacheable_duplicate: the same row on every request


def _account(cid, settings):
    recent = list(Order.objects.filter(customer_id=cid).order_by("-placed_at").values_list("id", "total")[:5])
    return JsonResponse({"shop": settings.shop_name, "currency": settings.currency, "banner": settings.banner,
                         "recent": [[i, str(t)] for i, t in recent]})


def account(request):
    return _account(_int(request, "customer", 1), site_settings())


def account_cached(request):
    return _account(_int(request, "customer", 1), cache.get_or_set("site-settings", site_settings, 300))


# -------------------------------------------------------------- slow_query

def customer_report(request):
    cid = _int(request, "customer", 1)
    purchases = Event.objects.filter(customer_ref=cid, kind="purchase")  # customer_ref has no index
    agg = purchases.aggregate(n=Count("id"), total=Sum("amount"))  # PLANTED slow_query: a sequential scan per request
    return JsonResponse({"customer": cid, "purchases": agg["n"], "total": str(agg["total"] or 0)})


def customer_report_indexed(request):
    cid = _int(request, "customer", 1)
    agg = Event.objects.filter(customer_id=cid, kind="purchase").aggregate(n=Count("id"), total=Sum("amount"))
    return JsonResponse({"customer": cid, "purchases": agg["n"], "total": str(agg["total"] or 0)})


# ------------------------------------------------------ no_connection_pool

def _stock_json(sku, p, st):
    return JsonResponse({"sku": sku, "name": p.name, "price": str(p.price), "qty": st.qty, "warehouse": st.warehouse})


def stock_level(request):
    sku = request.GET.get("sku", "SKU-0001")
    p = Product.objects.using("inventory").get(sku=sku)  # PLANTED no_connection_pool: a new connection per request (CONN_MAX_AGE = 0)
    st = Stock.objects.using("inventory").get(product=p)
    return _stock_json(sku, p, st)


def stock_level_pooled(request):
    sku = request.GET.get("sku", "SKU-0001")
    p = Product.objects.get(sku=sku)
    st = Stock.objects.get(product=p)
    return _stock_json(sku, p, st)
