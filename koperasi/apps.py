"""The cooperative's own affairs: its profile and rules, the members' savings (simpanan) and the
members' meetings (Rapat Anggota)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KoperasiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "koperasi"
    verbose_name = _("Cooperatives: savings and meetings")
