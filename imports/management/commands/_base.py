"""Shared by `import_households` and `import_household_counts`."""

import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from imports import pipeline, services
from imports.base import no_progress
from imports.models import ImportBatch
from imports.table import ImportFileError, Source, time_budget
from kelurahan.models import Kelurahan


class ImportCommand(BaseCommand):
    """`manage.py import_… FILE [--dry-run] [--kelurahan KODE] [--as USERNAME]`.

    The same pipeline as the import pages. Prints counts of new, updated, unchanged and invalid
    rows; a file with any invalid row imports nothing, lists every problem and exits with 1.
    """

    kind = None

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or XLSX file")
        parser.add_argument("--dry-run", action="store_true", help="check the file, save nothing")
        parser.add_argument("--kelurahan", default="", help="code or name, for files that name no kelurahan")
        parser.add_argument("--as", dest="username", default="", help="the user recorded on the batch (default: the first superuser)")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        path = Path(options["file"])
        try:
            data = Source(path=path)  # read as a stream, never held whole in memory
            sha256 = data.sha256()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from None
        kelurahan = self._kelurahan(options["kelurahan"])
        batch = ImportBatch(kind=self.kind, file_name=path.name, file_size=data.size, sha256=sha256, kelurahan_kode=kelurahan.kode if kelurahan else "")
        progress = self._progress_bar()
        # The task worker's time budget: a command may read a city's file.
        with time_budget(settings.KKMP_IMPORT_WORKER_SECONDS):
            parsed, importer, plan = self._run(options, batch, data, progress)
        self._report(options, batch, importer, parsed, plan)

    def _run(self, options, batch, data, progress):
        try:
            importer = plan = None
            if options["dry_run"]:
                importer, parsed, plan = pipeline.analyse(batch, data, progress)
                pipeline.summarise(batch, importer, parsed, plan)
                pipeline.drop_staging()
            else:
                # The same path as a confirmed upload: status "saving" while it runs, and a
                # failure (even a lost database connection) marks the batch failed.
                batch.created_by = self._user(options["username"])
                with data.open() as fh:
                    batch.file.save(batch.file_name, File(fh), save=False)
                batch.status = ImportBatch.Status.COMMITTING
                batch.save()
                parsed = services.commit_batch(batch, batch.created_by, progress)
                if parsed is None:
                    raise CommandError(batch.message)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if sys.stderr.isatty():
                self.stderr.write("")
        return parsed, importer, plan

    def _report(self, options, batch, importer, parsed, plan):
        self.stdout.write(
            _("new: %(new)d, updated: %(updated)d, unchanged: %(unchanged)d, invalid: %(invalid)d")
            % {"new": batch.rows_new, "updated": batch.rows_updated, "unchanged": batch.rows_unchanged, "invalid": batch.rows_invalid}
        )
        for note in getattr(parsed, "notes", ()):
            self.stdout.write(str(note))
        for warning in parsed.warnings:
            self.stdout.write(self.style.WARNING(str(warning)))
        if parsed.problems:
            for problem in parsed.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("%(count)d row(s) are invalid; nothing was imported. Correct them and import the file again.")
                % {"count": batch.rows_invalid}
            )
        if options["dry_run"]:
            self.write_changes(batch, importer, parsed, plan)
            self.stdout.write(_("Dry run: nothing was saved."))
        else:  # commit_batch recorded it in the audit trail
            self.stdout.write(self.style.SUCCESS(_("Import saved as batch #%(n)d.") % {"n": batch.pk}))

    def write_changes(self, batch, importer, parsed, plan):
        """Each row that would change a stored one, as the web preview shows it: its row, its
        key and every value before → after."""
        names = pipeline.kelurahan_names(importer, plan.changed)  # one query, not one per row
        for key, _pk, before, after in plan.changed:
            shown_before = pipeline.shown_values(importer, before, names)
            shown_after = pipeline.shown_values(importer, after, names)
            changes = "; ".join(
                f"{name}: {shown_before.get(name) or '-'} → {shown_after.get(name) or '-'}"
                for name in shown_after if shown_before.get(name) != shown_after.get(name)
            )
            self.stdout.write(_("row %(row)s, %(key)s: %(changes)s") % {
                "row": parsed.rows.get(key, "?"), "key": pipeline.key_text(key), "changes": changes})

    def _kelurahan(self, value):
        if not value:
            return None
        kelurahan = Kelurahan.objects.named(value)
        if kelurahan is None:
            raise CommandError(_("No single kelurahan matches '%(value)s'.") % {"value": value})
        return kelurahan

    def _user(self, username):
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=username).first() if username else users.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError(_("No such user; pass --as USERNAME of an admin (the batch records who imported it)."))
        return user

    def _progress_bar(self):
        if not sys.stderr.isatty():
            return no_progress
        out = sys.stderr

        def show(stage, done, total):
            percent = min(100, int(100 * done / total)) if total else 0
            bar = "#" * (percent // 4)
            out.write(f"\r{services.STAGES.get(stage, stage):<30} [{bar:<25}] {percent:3d}% {done:,}/{total:,}   ")
            out.flush()

        return show
