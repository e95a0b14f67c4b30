"""Delete applications to join past their retention (run daily, docs/deploy.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from members.applications import purge_applications


class Command(BaseCommand):
    help = (
        "Delete applications to join not accepted within KKMP_APPLICATION_RETENTION_DAYS, and rejected ones "
        "KKMP_REJECTED_APPLICATION_RETENTION_DAYS after the decision; the count is an audit event."
    )

    def handle(self, *args, **options):
        deleted = purge_applications()
        self.stdout.write(
            f"{deleted} application(s) deleted (retention {settings.KKMP_APPLICATION_RETENTION_DAYS} days, "
            f"rejected {settings.KKMP_REJECTED_APPLICATION_RETENTION_DAYS} days)."
        )
