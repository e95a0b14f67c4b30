"""The public join pages (no account): a cooperative's join page and thank-you page, and the
status page of a follow-up code."""

from django.urls import path

from .views import join

app_name = "join"

urlpatterns = [
    path("status/", join.application_status, name="application_status_form"),
    path("status/<str:code>/", join.application_status, name="application_status"),
    path("<str:kode>/", join.join, name="join"),
    path("<str:kode>/terima-kasih/<str:code>/", join.join_thanks, name="join_thanks"),
]
