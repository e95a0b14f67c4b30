"""The cooperative's own affairs: its profile and rules, the members' savings (simpanan) and the
members' meetings (Rapat Anggota). `ready()` offers the member list its "in arrears" filter
(`members.list_filters`) and "simpanan pokok unpaid"."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KoperasiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "koperasi"
    verbose_name = _("Cooperatives: savings and meetings")

    def ready(self):
        from members.list_filters import register_status_filter

        from .queries import in_arrears, pokok_unpaid

        # Active members with the cooperative's number of months of simpanan wajib unpaid.
        register_status_filter("menunggak", _("in arrears (menunggak)"), in_arrears)
        # Accepted (active) members who have not paid the simpanan pokok (the officer's home).
        register_status_filter("pokok_belum", _("active, simpanan pokok unpaid"), pokok_unpaid)
