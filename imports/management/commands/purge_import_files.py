"""`purge_import_files`: delete uploaded files, error files and previews older than
`KKMP_IMPORT_RETENTION_DAYS` (they hold personal data); the batch records and their undo data stay."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from imports.models import ImportBatch


class Command(BaseCommand):
    help = (
        "Delete uploaded import files, error files and previews older than "
        "KKMP_IMPORT_RETENTION_DAYS (personal data). The batch record, its checksum, counts and "
        "undo data stay. Run daily (cron or a systemd timer)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days=None, **options):
        days = settings.KKMP_IMPORT_RETENTION_DAYS if days is None else days
        cutoff = timezone.now() - timedelta(days=days)
        old = ImportBatch.objects.filter(created_at__lt=cutoff).exclude(
            status__in=[ImportBatch.Status.PENDING, ImportBatch.Status.VALIDATING, ImportBatch.Status.COMMITTING]
        )
        purged = 0
        for batch in old.exclude(file="", error_file="", preview={}):
            for stored in (batch.file, batch.error_file):
                if stored:
                    stored.delete(save=False)
            batch.preview = {}
            batch.save(update_fields=["file", "error_file", "preview"])
            purged += 1
        self.stdout.write(f"Purged the files and previews of {purged} batch(es) older than {days} days.")
