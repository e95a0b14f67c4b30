"""A cooperative's business units (pk: a kelurahan, a unit, a product or an entry)."""

from django.urls import path

from . import views

app_name = "usaha"

urlpatterns = [
    path("kelurahan/<int:pk>/", views.unit_list, name="unit_list"),
    path("kelurahan/<int:pk>/shu/", views.shu_year, name="shu_year"),
    path("kelurahan/<int:pk>/shu/slip/", views.shu_slips, name="shu_slips"),
    path("kelurahan/<int:pk>/pembiayaan/", views.dossier, name="dossier"),
    path("kelurahan/<int:pk>/pembiayaan.xlsx", views.dossier_xlsx, name="dossier_xlsx"),
    path("unit/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("unit/<int:pk>/ubah/", views.unit_edit, name="unit_edit"),
    path("unit/<int:pk>/produk/baru/", views.product_create, name="product_create"),
    path("produk/<int:pk>/ubah/", views.product_edit, name="product_edit"),
    path("unit/<int:pk>/jual/", views.sale, name="sale"),
    path("unit/<int:pk>/masuk/", views.delivery, name="delivery"),
    path("unit/<int:pk>/opname/", views.stock_count, name="stock_count"),
    path("nota/<int:pk>/", views.receipt, name="receipt"),
    path("nota/<int:pk>/koreksi/", views.correction, name="correction"),
    path("unit/<int:pk>/buku-harian/", views.daily_book, name="daily_book"),
    path("unit/<int:pk>/logbook/", views.logbook, name="logbook"),
    path("unit/<int:pk>/logbook.xlsx", views.logbook_xlsx, name="logbook_xlsx"),
    path("unit/<int:pk>/penjualan-anggota/", views.member_sales, name="member_sales"),
    path("unit/<int:pk>/penjualan-anggota.xlsx", views.member_sales_xlsx, name="member_sales_xlsx"),
]
