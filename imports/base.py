"""What every kind of import is made of: `BaseImport` (columns recognised from the headers, the
header row found below a title, cells cleaned, rows compared with the database, the plan
written with the ORM or with COPY, the hooks undo calls), the `Problem` a row has, the
`Columns` of a file, the `Parsed` rows and the `Plan` of what changes, plus `no_progress`,
`PREVIEW_ROWS` and `UndoRefused` (an importer's `prepare_undo` may refuse).
"""

import itertools
import json
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan

from .copying import (
    CHUNK,
    _copy,
    _foreign_keys_checked_once,
    _key_parts,
    _lock_referenced_rows,
    _plain_plans,
    id_ranges,
)
from .files import data_rows, normalise_header
from .models import ImportRowChange
from .table import ImportFileError
from .values import brief, clean_cell, text


@dataclass(frozen=True)
class Problem:
    row: int  # spreadsheet row (the header is row 1); 0 for the file as a whole
    column: str
    message: str
    sheet: str = ""  # the sheet, in a workbook whose rows come from several

    def __str__(self):
        where = {"row": self.row, "column": self.column or "-", "message": self.message, "sheet": self.sheet}
        if self.sheet:
            return _("sheet %(sheet)s, row %(row)s, column %(column)s: %(message)s") % where
        return _("row %(row)s, column %(column)s: %(message)s") % where


def no_progress(stage, done, total):
    pass


# --- Columns ------------------------------------------------------------------------------

class Columns:
    """Which canonical column each header of the file is, and the header as the user wrote it."""

    def __init__(self, headers, aliases):
        self.index, self.original = {}, {}
        for i, header in enumerate(headers):
            name = aliases.get(normalise_header(header))
            if name and name not in self.index:
                self.index[name] = i
                self.original[name] = text(header)

    def __contains__(self, name):
        return name in self.index

    def get(self, row, name):
        i = self.index.get(name)
        if i is None or i >= len(row):
            return None
        return row[i]

    def label(self, name):
        return self.original.get(name, name)


# --- Kinds of import ----------------------------------------------------------------------

@dataclass
class Parsed:
    """The rows of a file, checked: `records` maps each natural key to the values to write."""

    layout: str = ""
    rows_total: int = 0
    records: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)  # key -> spreadsheet row, for messages
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what was read (sheets, residents, households)


@dataclass
class Plan:
    new: list = field(default_factory=list)  # (key, values); only a sample when `staged`
    changed: list = field(default_factory=list)  # (key, id, snapshot before, values after)
    unchanged: int = 0
    staged: bool = False  # PostgreSQL: every checked row is in the temporary table import_rows
    staged_new: int = 0
    staged_existing: int = 0  # of those, rows already in the database (changed or not)

    @property
    def new_count(self):
        return self.staged_new if self.staged else len(self.new)


PREVIEW_ROWS = 20  # rows shown in a preview; a staged plan's sample of new rows


class BaseImport:
    """What differs between kinds: columns, row checks, the natural key, the model."""

    kind = None
    model = None
    key_attnames = ()  # the natural key's columns
    fields = ()  # model fields written, in the order of the value tuples
    aliases = {}
    required = ()
    template_rows = []
    # How much more a row of this kind costs to write than a household row, per byte of file:
    # a file is handed to the task worker above KKMP_IMPORT_BACKGROUND_BYTES / write_cost
    # (`tasks.runs_in_background`).
    write_cost = 1
    # The user confirming a commit or undoing a batch (set by `pipeline.commit`/`pipeline.undo`).
    user = None

    def __init__(self, *, default_kelurahan=None, progress=no_progress):
        self.default_kelurahan = default_kelurahan
        self.progress = progress
        self._kelurahan = {}

    # -- helpers for subclasses
    def kelurahan_id(self, value):
        """The id of the kelurahan a cell names (code or spelling), cached per distinct value."""
        value = text(value)
        if not value:
            return self.default_kelurahan.pk if self.default_kelurahan else None
        if value not in self._kelurahan:
            found = Kelurahan.objects.named(value)
            self._kelurahan[value] = found.pk if found else None
        return self._kelurahan[value]

    def unknown_kelurahan(self, value):
        value = text(value)
        if not value:
            return _("The kelurahan is missing; add the column or choose the kelurahan when uploading.")
        return _("Unknown kelurahan '%(value)s': give the Kemendagri code (e.g. 64.71.05.1010) or its name.") % {
            "value": brief(value)
        }

    def columns(self, table):
        """The file's columns, or the whole file refused (ImportFileError, one message naming
        every missing or duplicated column). Unknown columns are ignored with a warning."""
        self.locate_header(table)
        columns = Columns(table.headers, self.aliases)
        self.label = columns.label
        headers = [brief(text(h), 60) for h in table.headers]
        seen, duplicated = set(), []
        for header in table.headers:
            name = normalise_header(header)
            if name in self.aliases and name in seen and text(header) not in duplicated:
                duplicated.append(brief(text(header), 60))
            seen.add(name)
        missing = [c for c in self.required_columns(columns) if c not in columns]
        if missing or duplicated:
            found = ", ".join(h for h in headers if h) or "-"
            messages = []
            if missing:
                messages.append(_("Required column(s) missing: %(missing)s.") % {"missing": ", ".join(missing)})
            if duplicated:
                messages.append(
                    _("Column(s) appearing twice: %(columns)s; keep one of each.") % {"columns": ", ".join(duplicated)}
                )
            raise ImportFileError(" ".join(messages) + " " + _("The file has: %(found)s.") % {"found": found})
        unknown = [h for h in headers if h and normalise_header(h) not in self.aliases]
        self.file_warnings = []
        if unknown:
            self.file_warnings.append(
                _("Column(s) not recognised and not imported: %(columns)s.") % {"columns": ", ".join(unknown[:20])}
            )
        return columns

    HEADER_SEARCH_ROWS = 10

    def locate_header(self, table):
        """Exports often start with a title ("DAFTAR KELUARGA KELURAHAN …", a date, a blank
        row) above the column headers: when the first row names no required column, the first
        of the next few rows that names them all becomes the header (row numbers stay those of
        the sheet)."""
        def names_all(cells):
            found = Columns(cells, self.aliases)
            return all(c in found for c in self.required_columns(found))

        if names_all(table.headers) or any(Columns(table.headers, self.aliases).index.get(c) is not None for c in self.required):
            return
        skipped = []
        for number, cells in table.rows:
            skipped.append((number, cells))
            if names_all(cells):
                table.headers = list(cells)
                return
            if len(skipped) >= self.HEADER_SEARCH_ROWS:
                break
        table.rows = itertools.chain(skipped, table.rows)  # not found: as it was

    # Rows of a file per record the import keeps: a per-person file may have this many rows per
    # `KKMP_IMPORT_MAX_ROWS` (the limit is on what is held, the records).
    rows_per_record = 1

    @property
    def max_file_rows(self):
        return settings.KKMP_IMPORT_MAX_ROWS * self.rows_per_record

    def rows(self, table, columns, *, per_record=1):
        """The file's data rows as `(row number, cells, problems)`: the cells of the columns
        this import reads are cleaned (`values.clean_cell`), and those holding control or
        invisible characters or (XLSX) a formula are reported with their row and column."""
        read = sorted(set(columns.index.values()))
        labels = {i: columns.original[name] for name, i in columns.index.items()}
        formulas = getattr(table, "formulas", None)
        if formulas is None:
            formulas = ()
        # a workbook's formula cells come with its rows (`FormulaCells.rows` follows them)
        formula_rows = formulas.rows if hasattr(formulas, "rows") else {r for r, _c in formulas}
        for number, row in data_rows(table, settings.KKMP_IMPORT_MAX_ROWS * per_record):
            problems = []
            try:
                printable = "".join(row).isprintable()
            except TypeError:  # numbers or dates among the cells of a workbook row
                printable = all(type(c) is not str or c.isprintable() for c in row)
            if not printable:
                for i in read:
                    cell = row[i] if i < len(row) else None
                    if type(cell) is str and not cell.isprintable():
                        row[i], problem = clean_cell(cell)
                        if problem:
                            problems.append(Problem(number, labels[i], problem))
            if number in formula_rows:
                for i in read:
                    if (number, i) in formulas:
                        problems.append(Problem(number, labels[i], _(
                            "The cell holds a formula; the import takes values only. Copy the column "
                            "and paste it back as values (Paste Special → Values)."
                        )))
            yield number, row, problems

    def required_columns(self, columns):
        required = list(self.required)
        if self.default_kelurahan is not None and "kode_kelurahan" in required:
            required.remove("kode_kelurahan")
        return required

    # -- the pipeline
    def parse(self, table):
        raise NotImplementedError

    def build(self, key, values):
        raise NotImplementedError

    def plan(self, parsed):
        """Compare the file with the database and sort every row into new, changed or
        unchanged. Database rows arrive in batches, so only one batch is in memory."""
        parsed.problems += self.key_problems(parsed)
        plan = Plan()
        found = set()
        total, done = len(parsed.records), 0
        for existing in self.existing(list(parsed.records)):
            parsed.problems += self.database_problems(parsed, existing)
            for key, (pk, before) in existing.items():
                values = parsed.records.get(key)
                if values is None:  # dropped because of a database problem
                    continue
                found.add(key)
                values = self.keep_stored(parsed, key, values, before)
                if before == values:
                    plan.unchanged += 1
                else:
                    plan.changed.append((key, pk, self.snapshot(before), values))
            done += len(existing)
            self.progress("compare", done, total)
        plan.new = [(key, values) for key, values in parsed.records.items() if key not in found]
        return plan

    def keep_stored(self, parsed, key, values, before):
        """The values to write for a row already in the database (`before`): the file's, by
        default."""
        return values

    def existing(self, keys):
        """Yield {key: (id, values)} for the keys already in the database, in batches."""
        raise NotImplementedError

    def key_problems(self, parsed):
        """Problems the database shows for any row, new or not (removed from `parsed.records`)."""
        return []

    def database_problems(self, parsed, existing):
        """Problems with rows that already exist (removed from `parsed.records`)."""
        return []

    def snapshot(self, values):
        """What undo needs to restore a row: its values, JSON-serialisable."""
        return {name: (v.isoformat() if isinstance(v, date) else v) for name, v in zip(self.fields, values)}

    def restore_values(self, before):
        return before

    def prepare_undo(self, batch, changes):
        """Kind-specific checks and clean-up before undo deletes and restores (may refuse)."""

    def finish_undo(self, batch):
        """Kind-specific work after undo deleted and restored, in the same transaction."""

    def write(self, plan, batch):
        """Write the plan (new and changed rows) and record each row for undo."""
        if connection.vendor == "postgresql":
            self.write_with_copy(plan, batch)
        else:
            self.write_with_orm(plan, batch)

    def write_with_orm(self, plan, batch):
        now = timezone.now()
        total = len(plan.new) + len(plan.changed)
        done = 0
        changes, created = [], []
        for start in range(0, len(plan.new), CHUNK):
            objs = [self.build(key, values) for key, values in plan.new[start:start + CHUNK]]
            for obj in objs:
                for name, value in self.stamps(now, new=True).items():
                    setattr(obj, name, value)
            self.model.objects.bulk_create(objs, batch_size=CHUNK)
            created += [obj.pk for obj in objs]
            done += len(objs)
            self.progress("write", done, total)
        batch.created_ids = id_ranges(created)
        update_fields = list(self.fields) + list(self.stamps(now, new=False))
        for start in range(0, len(plan.changed), CHUNK):
            objs = []
            for key, pk, before, values in plan.changed[start:start + CHUNK]:
                obj = self.build(key, values)
                obj.pk = pk
                for name, value in self.stamps(now, new=False).items():
                    setattr(obj, name, value)
                objs.append(obj)
                changes.append(ImportRowChange(batch=batch, object_id=pk, before=before, after=self.snapshot(values)))
            self.model.objects.bulk_update(objs, update_fields, batch_size=CHUNK)
            done += len(objs)
            self.progress("write", done, total)
        ImportRowChange.objects.bulk_create(changes, batch_size=5000)

    def write_with_copy(self, plan, batch):
        """PostgreSQL: COPY the rows into a temporary table, then one INSERT (recording the
        created ids as ranges) and one UPDATE (recording each changed row's values before),
        instead of a statement per batch of rows."""
        now = timezone.now()
        table = connection.ops.quote_name(self.model._meta.db_table)
        changes_table = connection.ops.quote_name(ImportRowChange._meta.db_table)
        new_stamps, changed_stamps = self.stamps(now, new=True), self.stamps(now, new=False)
        staged = [*self.key_attnames, *self.fields]
        total = plan.new_count + len(plan.changed)
        with connection.cursor() as cursor:
            _plain_plans(cursor)
            if plan.new_count:
                cols = ", ".join(staged)
                if plan.staged:  # the new rows are those of import_rows not yet in the table
                    key = self.key_attnames[0]
                    source = f"import_rows s WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = s.{key})"
                    parents_from = "import_rows"
                else:
                    cursor.execute("DROP TABLE IF EXISTS import_new")
                    cursor.execute(f"CREATE TEMP TABLE import_new ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
                    _copy(cursor, "import_new", staged, ((*_key_parts(key), *values) for key, values in plan.new))
                    source = parents_from = "import_new s"
                self.progress("write", plan.new_count // 2, total)
                stamp_cols = "".join(f", {c}" for c in new_stamps)
                stamp_params = ", %s" * len(new_stamps)
                selected = ", ".join(f"s.{c}" for c in staged)
                keys = _foreign_keys_checked_once(cursor, self.model, staged)
                if keys:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                # In key order: the key's indexes then grow at one end instead of everywhere
                # (about a quarter faster for a city file).
                order = ", ".join(f"s.{c}" for c in self.key_attnames)
                cursor.execute(
                    f"WITH created AS (INSERT INTO {table} ({cols}{stamp_cols}) "
                    f"SELECT {selected}{stamp_params} FROM {source} ORDER BY {order} RETURNING id) "
                    "SELECT min(id), max(id) FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS run FROM created) r "
                    "GROUP BY run ORDER BY 1",
                    list(new_stamps.values()),
                )
                batch.created_ids = [[first, last] for first, last in cursor.fetchall()]
                if keys:
                    cursor.execute("SET LOCAL session_replication_role = origin")
                    _lock_referenced_rows(cursor, keys, parents_from)
                self.progress("write", plan.new_count, total)
            if plan.changed:
                cursor.execute("DROP TABLE IF EXISTS import_changed")
                cursor.execute(f"CREATE TEMP TABLE import_changed ON COMMIT DROP AS SELECT id, {', '.join(self.fields)} FROM {table} WITH NO DATA")
                _copy(cursor, "import_changed", ["id", *self.fields], ((pk, *values) for _key, pk, _before, values in plan.changed))
                assignments = ", ".join([*(f"{c} = s.{c}" for c in self.fields), *(f"{c} = %s" for c in changed_stamps)])
                cursor.execute(f"UPDATE {table} t SET {assignments} FROM import_changed s WHERE t.id = s.id", list(changed_stamps.values()))
                _copy(
                    cursor,
                    changes_table,
                    ["batch_id", "object_id", "before", "after"],
                    (
                        (batch.pk, pk, json.dumps(before), json.dumps(self.snapshot(values)))
                        for _key, pk, before, values in plan.changed
                    ),
                )
                self.progress("write", total, total)

    def stamps(self, now, *, new):
        """Columns set by the import itself (timestamps), for new or for changed rows."""
        return {}


class UndoRefused(Exception):
    pass
