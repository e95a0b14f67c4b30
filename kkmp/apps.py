"""The admin app with the project's own site (`kkmp.admin_site.KKMPAdminSite`)."""

from django.contrib.admin.apps import AdminConfig


class KKMPAdminConfig(AdminConfig):
    default_site = "kkmp.admin_site.KKMPAdminSite"

    def ready(self):
        super().ready()  # autodiscovers every app's admin.py
        from . import otp_admin  # noqa: F401  (replaces django-otp's device admin)
