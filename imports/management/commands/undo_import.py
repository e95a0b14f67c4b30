"""`undo_import BATCH_ID`: undo a confirmed import as a whole, or say why it cannot be undone."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from imports import services
from imports.base import UndoRefused
from imports.models import ImportBatch


class Command(BaseCommand):
    help = "Undo an import batch: delete what it created, restore what it changed."

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int)
        parser.add_argument("--as", dest="username", required=True, help="the admin who undoes it")

    def handle(self, *args, **options):
        batch = ImportBatch.objects.filter(pk=options["batch"]).first()
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if batch is None or user is None:
            raise CommandError("No such batch or user.")
        try:
            services.undo_batch(batch, user)
        except UndoRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Batch #{batch.pk} undone.")
