"""The member register's app configuration. `ready()` tells the lower layers what only this app
knows: the names of the shared role groups (`kelurahan.grants.SHARED_ROLE_GROUPS`)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "members"
    verbose_name = _("Households and members")

    def ready(self):
        from kelurahan import grants

        from .services import ROLE_PERMISSIONS

        grants.SHARED_ROLE_GROUPS.update(ROLE_PERMISSIONS)
