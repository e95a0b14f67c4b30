from django.urls import path

from . import views

app_name = "kelurahan"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dasbor/unduh.<str:fmt>", views.dashboard_export, name="dashboard_export"),
    path("api/dasbor.json", views.dashboard_json, name="dashboard_json"),
]
