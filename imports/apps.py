"""The imports app's configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "imports"
    verbose_name = _("Spreadsheet imports")

    def ready(self):
        # The member and payment importers live in their own modules and add themselves to
        # the pipeline's kinds.
        from . import pipeline
        from .members import MemberImport
        from .payments import PaymentImport

        pipeline.IMPORTS[MemberImport.kind] = MemberImport
        pipeline.IMPORTS[PaymentImport.kind] = PaymentImport
