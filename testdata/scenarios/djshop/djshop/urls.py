from django.urls import path

from shop import views

urlpatterns = [
    path("orders/", views.order_list),
    path("orders/joined/", views.order_list_joined),
    path("account/", views.account),
    path("account/cached/", views.account_cached),
    path("report/", views.customer_report),
    path("report/indexed/", views.customer_report_indexed),
    path("stock/", views.stock_level),
    path("stock/pooled/", views.stock_level_pooled),
]
