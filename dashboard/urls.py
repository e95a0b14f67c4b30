"""The dashboard's pages (the site's home), the trend, a kelurahan's page, the Satgas reports and the JSON API."""

from django.urls import path

from . import views, views_home

app_name = "dashboard"

urlpatterns = [
    path("", views_home.home, name="home"),
    path("beranda/<int:pk>/", views_home.home_kelurahan, name="home_kelurahan"),
    path("beranda/<int:pk>/pindai/", views_home.home_scan, name="home_scan"),
    path("dasbor/", views.dashboard, name="dashboard"),
    path("dasbor/unduh.<str:fmt>", views.dashboard_export, name="dashboard_export"),
    path("dasbor/provinsi/", views.dashboard_rollup, name="dashboard_rollup"),
    path("dasbor/nasional/", views.dashboard_national, name="dashboard_national"),
    path("dasbor/tren/", views.trend, name="trend"),
    path("kelurahan/<int:pk>/", views.kelurahan_detail, name="kelurahan_detail"),
    path("laporan/", views.report_list, name="report_list"),
    path("laporan/terbitkan/", views.report_create, name="report_create"),
    path("laporan/<int:pk>/", views.report_detail, name="report_detail"),
    path("laporan/<int:pk>/unduh.xlsx", views.report_download, name="report_download"),
    path("api/dasbor.json", views.dashboard_json, name="dashboard_json"),
]
