"""The region tree's app configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KelurahanConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kelurahan"
    verbose_name = _("Regions and household counts")
