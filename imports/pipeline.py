"""Running an import batch: read → recognise columns → check every row → compare with the
database (`analyse`) → store counts and a preview (`summarise`) → (after confirmation) write
everything in one transaction (`commit`) → undo as a whole (`undo`). `IMPORTS` maps each
batch kind to its importer (households and counts here, members added by
`ImportsConfig.ready()`, and so are payments).

Everything an admin can import goes through here: the upload pages, the admin's import
buttons and the `import_*` commands. Rows are checked in plain Python and written with set-based
statements (`bulk_create`/`bulk_update` in batches, COPY on PostgreSQL), never one query per row.
"""

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan
from members.models import Household, Member

from .base import PREVIEW_ROWS, UndoRefused, no_progress
from .copying import CHUNK, _in_ranges
from .files import read_table
from .household_counts import HouseholdCountImport
from .households import HouseholdImport
from .models import ImportBatch, ImportRowChange
from .table import ImportFileError

IMPORTS = {cls.kind: cls for cls in (HouseholdImport, HouseholdCountImport)}


# --- Running a batch ----------------------------------------------------------------------

def importer_for(batch, progress=no_progress):
    default = None
    if batch.kelurahan_kode:
        default = Kelurahan.objects.filter(kode=batch.kelurahan_kode).first()
    return IMPORTS[batch.kind](default_kelurahan=default, progress=progress)


def drop_staging():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS import_rows")


def analyse(batch, data, progress=no_progress):
    """Read, check and compare a file with the database, writing nothing.
    Returns (importer, parsed, plan); raises ImportFileError for file-level problems.
    On PostgreSQL the checked rows stay in the temporary table `import_rows` for `write`
    (call `drop_staging()` when done)."""
    importer = importer_for(batch, progress)
    table = read_table(data, batch.file_name, importer.max_file_rows)
    progress("check", 0, table.estimated_rows)
    parsed = importer.parse(table)
    if not parsed.rows_total:
        raise ImportFileError(_("The file has column headers but no data rows: there is nothing to import."))
    parsed.warnings = [*getattr(importer, "file_warnings", []), *parsed.warnings]
    del table  # the reader's copy of the file (for an XLSX, the whole sheet) before comparing
    plan = importer.plan(parsed)
    parsed.records = {}  # the plan holds what is written; free the rest before writing
    parsed.problems.sort(key=lambda p: (p.sheet, p.row, p.column))
    return importer, parsed, plan


def summarise(batch, importer, parsed, plan):
    """Store the counts and a preview (changed rows before/after, first problems) on the batch."""
    batch.layout = parsed.layout
    batch.rows_total = parsed.rows_total
    batch.rows_new = plan.new_count
    batch.rows_updated = len(plan.changed)
    batch.rows_unchanged = plan.unchanged
    batch.rows_invalid = len({p.row for p in parsed.problems})
    names = dict(Kelurahan.objects.filter(pk__in=_kelurahan_ids(importer, plan)).values_list("pk", "nama"))

    def show(key, values):
        return {"key": _key_text(key, names), **shown_values(importer, values, names)}

    batch.preview = {
        "fields": list(importer.fields),
        "changed": [
            {"row": parsed.rows.get(key), "before": show(key, before), "after": show(key, after)}
            for key, _pk, before, after in plan.changed[:PREVIEW_ROWS]
        ],
        "new": [{"row": parsed.rows.get(key), "after": show(key, values)} for key, values in plan.new[:PREVIEW_ROWS]],
        "problems": [{"row": p.row, "column": p.column, "message": p.message, "sheet": p.sheet}
                     for p in parsed.problems[:PREVIEW_ROWS]],
        "problem_count": len(parsed.problems),
        "warnings": [str(w) for w in parsed.warnings],
        "notes": [str(n) for n in parsed.notes],
    }


def shown_values(importer, values, names):
    """A row's values as the preview shows them (field → value; the kelurahan by its name in
    `names`, {id: name})."""
    shown = dict(values) if isinstance(values, dict) else importer.snapshot(values)
    shown.pop("updated_at", None)
    if "kelurahan_id" in shown:
        shown["kelurahan_id"] = names.get(shown["kelurahan_id"], shown["kelurahan_id"])
    return shown


def kelurahan_names(importer, changed):
    """{id: name} of the kelurahan the changed rows name, before and after, in one query."""
    if "kelurahan_id" not in importer.fields:
        return {}
    ids = {before["kelurahan_id"] for _k, _p, before, _a in changed} | {after[0] for _k, _p, _b, after in changed}
    return dict(Kelurahan.objects.filter(pk__in=ids).values_list("pk", "nama"))


def key_text(key):
    return _key_text(key, {})


def _kelurahan_ids(importer, plan):
    if "kelurahan_id" in importer.fields:
        return {v[0] for _k, v in plan.new[:PREVIEW_ROWS]} | {v[0] for _k, _p, b, v in plan.changed[:PREVIEW_ROWS]} | {b["kelurahan_id"] for _k, _p, b, _v in plan.changed[:PREVIEW_ROWS]}
    return {k[0] for k, _v in plan.new[:PREVIEW_ROWS]} | {k[0] for k, _p, _b, _v in plan.changed[:PREVIEW_ROWS]}


def _key_text(key, names):
    if isinstance(key, tuple):
        return f"{names.get(key[0], key[0])} {key[1].isoformat()}"
    return key


def _lock_imports():
    """One import writes at a time: two admins confirming at once are serialised, and the
    second one's comparison sees the first one's rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(70471)")


class NotConfirmable(Exception):
    """The batch is not waiting to be written (already committed, or never confirmed)."""


def commit(batch, data, user, progress=no_progress):
    """Check the file again against today's database and write it in one transaction.

    Returns the parsed result; when it has problems nothing is written.
    """
    with transaction.atomic():
        _lock_imports()
        # The batch row locked and its status read again inside the transaction (as undo
        # does): a second confirmation of the same batch, sent at the same moment or by a
        # task run twice, finds it committed and writes nothing.
        status = ImportBatch.objects.select_for_update().values_list("status", flat=True).get(pk=batch.pk)
        if status not in (ImportBatch.Status.READY, ImportBatch.Status.COMMITTING):
            raise NotConfirmable(batch.pk, status)
        importer, parsed, plan = analyse(batch, data, progress)
        importer.user = user
        summarise(batch, importer, parsed, plan)
        if parsed.problems:
            drop_staging()
            return parsed
        importer.write(plan, batch)
        drop_staging()
        batch.status = ImportBatch.Status.COMMITTED
        batch.committed_by = user
        batch.committed_at = timezone.now()
        batch.save()
    return parsed


def undo(batch, user):
    """Undo a committed batch: delete the rows it created, restore the values it changed.

    Refused (nothing changes) while a later batch or a person has changed the same rows, or
    members have been registered into households it created.
    """
    importer = IMPORTS[batch.kind]()
    importer.user = user
    model = importer.model
    with transaction.atomic():
        _lock_imports()
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportBatch.Status.COMMITTED:
            raise UndoRefused(_("Only an imported batch can be undone."))
        changes = ImportRowChange.objects.filter(batch=batch)
        changed_ids = changes.filter(before__isnull=False).values("object_id")
        # Created rows: id ranges, or one ImportRowChange each for batches recorded before.
        created = [Q(pk__in=changes.filter(before__isnull=True).values("object_id")), *_in_ranges("pk", batch.created_ids)]
        later = ImportRowChange.objects.filter(
            batch__kind=batch.kind,
            batch__status=ImportBatch.Status.COMMITTED,
            batch__committed_at__gt=batch.committed_at,
        )
        numbers = set()
        for touched in [Q(object_id__in=changes.values("object_id")), *_in_ranges("object_id", batch.created_ids)]:
            numbers |= set(later.filter(touched).values_list("batch_id", flat=True))
        if numbers:
            raise UndoRefused(
                _("Later import(s) %(batches)s changed the same rows; undo those first.")
                % {"batches": ", ".join(f"#{n}" for n in sorted(numbers))}
            )
        importer.prepare_undo(batch, changes)
        if model is Household:
            after = Household.objects.filter(updated_at__gt=batch.committed_at)
            edited = sum(after.filter(rows).count() for rows in [Q(pk__in=changed_ids), *created])
            if edited:
                raise UndoRefused(_("%(n)d household(s) were edited after this import; undo is no longer possible.") % {"n": edited})
            used = sum(Member.objects.filter(household__in=Household.objects.filter(rows)).count() for rows in created)
            if used:
                raise UndoRefused(_("%(n)d member(s) are registered in households this import created; undo is no longer possible.") % {"n": used})
        restore = list(changes.filter(before__isnull=False).values_list("object_id", "before"))
        for start in range(0, len(restore), CHUNK):
            objs = []
            for pk, before in restore[start:start + CHUNK]:
                obj = model(pk=pk, **importer.restore_values(before))
                objs.append(obj)
            model.objects.bulk_update(objs, list(importer.fields) + [f for f in importer.stamps(None, new=False)], batch_size=CHUNK)
        for rows in created:
            model.objects.filter(rows).delete()
        importer.finish_undo(batch)
        batch.status = ImportBatch.Status.UNDONE
        batch.undone_by = user
        batch.undone_at = timezone.now()
        batch.save()
