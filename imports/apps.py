"""The imports app's configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "imports"
    verbose_name = _("Spreadsheet imports")

    def ready(self):
        # The member importer lives in its own module and adds itself to the pipeline's kinds.
        from . import pipeline
        from .members import MemberImport

        pipeline.IMPORTS[MemberImport.kind] = MemberImport
