"""Compare the dashboard's member counters with a live recount; `--fix` corrects them."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kelurahan import counters
from kelurahan.models import Kelurahan


class Command(BaseCommand):
    help = "Check that every kelurahan's member counters equal a live recount (--fix corrects them)."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Write the live figures where they differ.")

    def handle(self, *args, fix=False, **options):
        with transaction.atomic():
            if fix:  # nobody changes members while we recount and write
                list(Kelurahan.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
            wrong = counters.differences()
            codes = dict(Kelurahan.objects.filter(pk__in=[pk for pk, _s, _l in wrong]).values_list("pk", "kode"))
            for pk, kept, live in wrong:
                self.stdout.write(f"{codes[pk]}: counters {kept}, recount {live} (KK terwakili, kepala keluarga, aktif)")
            if wrong and fix:
                counters.write({pk: live for pk, _kept, live in wrong})
        total = Kelurahan.objects.count()
        if not wrong:
            self.stdout.write(f"{total} kelurahan: counters equal the recount.")
        elif fix:
            self.stdout.write(f"{len(wrong)} of {total} kelurahan corrected.")
        else:
            raise CommandError(f"{len(wrong)} of {total} kelurahan differ; run with --fix to correct them.")
