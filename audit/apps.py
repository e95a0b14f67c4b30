"""The audit app's configuration: it connects the sign-in receivers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        from . import receivers  # noqa: F401  (sign-in events come from django.contrib.auth's signals)
