"""The dashboard app's configuration: it connects the counters to the signals of the layers below."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """Campaigns, the counters the dashboard reads, the dashboard itself, its trend charts and
    the Satgas reports. It follows the layers below it (regions, members) through their
    signals (`dashboard/receivers.py`); nothing below imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
    verbose_name = _("Dashboard and targets")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the counters to the signals)
