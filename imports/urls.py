"""The import pages (`/impor/`): list, upload, a batch's check/confirm/undo page, its error file, the templates."""

from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("baru/", views.import_create, name="import_create"),
    path("templat/<str:kind>.<str:fmt>", views.import_template, name="import_template"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/progres/", views.import_progress, name="import_progress"),
    path("<int:pk>/impor/", views.import_commit, name="import_commit"),
    path("<int:pk>/batalkan/", views.import_undo, name="import_undo"),
    path("<int:pk>/kesalahan.xlsx", views.import_errors, name="import_errors"),
]
