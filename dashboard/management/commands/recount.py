"""Compare the dashboard's counters (member figures, current household count, KK terwakili
history, the members' simpanan, the business units' stock and figures) with a live recount; `--fix` corrects them."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dashboard import counters
from kelurahan.models import Kelurahan
from usaha import counters as usaha_counters


class Command(BaseCommand):
    help = (
        "Check that every kelurahan's member counters, current household count and KK terwakili "
        "history equal a live recount (--fix corrects them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Write the live figures where they differ.")

    def handle(self, *args, fix=False, **options):
        with transaction.atomic():
            if fix:  # nobody changes members or counts while we recount and write
                list(Kelurahan.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
                usaha_counters.lock()
            wrong = counters.differences()
            wrong_counts = counters.household_count_differences()
            wrong_history = counters.history_differences()
            wrong_capital = counters.capital_differences()
            wrong_usaha = usaha_counters.differences()
            codes = dict(Kelurahan.objects.filter(
                pk__in={pk for pk, _s, _l in wrong + wrong_counts + wrong_capital} | set(wrong_history)).values_list("pk", "kode"))
            for pk, kept, live in wrong:
                self.stdout.write(f"{codes[pk]}: counters {kept}, recount {live} (KK terwakili, kepala keluarga, aktif)")
            for pk, kept, live in wrong_counts:
                self.stdout.write(f"{codes[pk]}: household count {_count(kept)}, latest {_count(live)}")
            for pk in wrong_history:
                self.stdout.write(f"{codes[pk]}: KK terwakili history differs from the join and leave dates")
            for pk, kept, live in wrong_capital:
                self.stdout.write(f"{codes[pk]}: simpanan {kept[:3]}, ledger {live[:3]} (pokok, wajib, sukarela)"
                                  + ("" if kept[3] == live[3] else "; simpanan wajib months differ"))
            for line in wrong_usaha:
                self.stdout.write(line)
            if fix:
                if wrong_usaha:
                    usaha_counters.fix()
                if wrong:
                    counters.write({pk: live for pk, _kept, live in wrong})
                if wrong_counts:
                    counters.write_household_counts({pk: live for pk, _kept, live in wrong_counts})
                if wrong_history:
                    counters.write_history(wrong_history)
                if wrong_capital:
                    counters.write_capital({pk: live for pk, _kept, live in wrong_capital})
        total = Kelurahan.objects.count()
        differing = len({pk for pk, _s, _l in wrong + wrong_counts + wrong_capital} | set(wrong_history))
        if not differing and not wrong_usaha:
            self.stdout.write(f"{total} kelurahan: counters equal the recount.")
        elif fix:
            self.stdout.write(f"{differing} of {total} kelurahan corrected."
                              + (f" {len(wrong_usaha)} business unit figures corrected." if wrong_usaha else ""))
        else:
            raise CommandError(f"{differing} of {total} kelurahan differ"
                               + (f", {len(wrong_usaha)} business unit figures differ" if wrong_usaha else "")
                               + "; run with --fix to correct them.")


def _count(figures):
    count, as_of, source = figures
    return "none" if count is None else f"{count} ({as_of:%Y-%m-%d}, {source or '-'})"
