"""The cooperative's business units (LPG 3 kg outlet, sembako, other): products, prices, the HET,
the stock and sales ledger, the daily book, reports, SHU and the financing dossier
(docs/usaha.md). `ready()` gives the role groups their usaha permissions."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

OFFICER_PERMISSIONS = ["usaha.keep_business", "usaha.view_businessunit", "usaha.view_stockentry"]
REVIEWER_PERMISSIONS = ["usaha.view_businessunit", "usaha.view_stockentry"]


class UsahaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "usaha"
    verbose_name = _("Business units")

    def ready(self):
        from members.services import OFFICER_GROUP, REVIEWER_GROUP, ROLE_PERMISSIONS

        # The lists are shared with kelurahan.grants.SHARED_ROLE_GROUPS: extended in place.
        for group, codes in ((OFFICER_GROUP, OFFICER_PERMISSIONS), (REVIEWER_GROUP, REVIEWER_PERMISSIONS)):
            ROLE_PERMISSIONS[group].extend(code for code in codes if code not in ROLE_PERMISSIONS[group])
