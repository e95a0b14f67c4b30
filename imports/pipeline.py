"""The spreadsheet import pipeline: read → recognise columns → check every row → compare with
the database → (after confirmation) write everything in one transaction → undo as a whole.

Everything an admin can import goes through here: the upload pages, the admin's import
buttons and the `import_*` commands. Rows are checked in plain Python and written with set-based
statements (`bulk_create`/`bulk_update` in batches), never one query per row.
"""

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dashboard import counters
from kelurahan.models import HouseholdCount, Kelurahan, normalise_name
from members.identity import (
    check_nik,
    check_no_kk,
    nik_has_no_errors,
    no_kk_has_no_errors,
)
from members.models import Household, Member, normalise_rt_rw

from .cells import brief, clean_cell
from .files import (  # noqa: F401  (re-exported: the pipeline's callers read files through it)
    ImportFileError,
    Table,
    a_date,
    check_xlsx,
    data_rows,
    normalise_header,
    read_table,
    text,
    whole_number,
)
from .models import ImportBatch, ImportRowChange

CHUNK = 10_000  # rows per database round trip


@dataclass(frozen=True)
class Problem:
    row: int  # spreadsheet row (the header is row 1); 0 for the file as a whole
    column: str
    message: str

    def __str__(self):
        return _("row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column or "-",
            "message": self.message,
        }


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


class BaseImport:
    """What differs between kinds: columns, row checks, the natural key, the model."""

    kind = None
    model = None
    key_attnames = ()  # the natural key's columns
    fields = ()  # model fields written, in the order of the value tuples
    aliases = {}
    required = ()
    template_rows = []

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

    def rows(self, table, columns):
        """The file's data rows as `(row number, cells, problems)`: the cells of the columns
        this import reads are cleaned (`cells.clean_cell`), and those holding control or
        invisible characters or (XLSX) a formula are reported with their row and column."""
        read = sorted(set(columns.index.values()))
        labels = {i: columns.original[name] for name, i in columns.index.items()}
        formulas = getattr(table, "formulas", None) or ()
        formula_rows = {r for r, _c in formulas}
        for number, row in data_rows(table):
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
                if before == values:
                    plan.unchanged += 1
                else:
                    plan.changed.append((key, pk, self.snapshot(before), values))
            done += len(existing)
            self.progress("compare", done, total)
        plan.new = [(key, values) for key, values in parsed.records.items() if key not in found]
        return plan

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


def id_ranges(ids):
    """[[first, last], ...] runs of consecutive ids: what `ImportBatch.created_ids` stores."""
    ranges = []
    for pk in sorted(ids):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def _foreign_keys_checked_once(cursor, model, columns):
    """The foreign keys among `columns` that this import may check once per distinct value
    instead of once per row (see `_lock_referenced_rows`); [] when it may not.

    PostgreSQL checks a foreign key with a trigger per inserted row (~1-1.5 s for a city's
    200,000 households, at commit). The caller may insert with row triggers off
    (`session_replication_role = replica`) only when the table has no trigger of its own (which
    replica mode would silence too) and the role may set the parameter: a superuser, or on
    PostgreSQL 15+ a role granted `SET ON PARAMETER session_replication_role`.
    """
    keys = [f for f in model._meta.concrete_fields if f.is_relation and f.db_constraint and f.column in columns]
    if not keys:
        return []
    cursor.execute(
        "SELECT current_setting('is_superuser') = 'on', "
        "EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal)",
        [model._meta.db_table],
    )
    superuser, own_triggers = cursor.fetchone()
    if own_triggers:
        return []
    if not superuser:
        if connection.pg_version < 150000:
            return []
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        if not cursor.fetchone()[0]:
            return []
    return keys


def _lock_referenced_rows(cursor, keys, source):
    """After an insert without row triggers: lock every row the inserted rows reference
    `FOR KEY SHARE`, as the foreign-key trigger does (so none can be deleted before we commit),
    and raise IntegrityError, rolling the import back, if any is missing. Done after the
    insert so that the locks (which wait for, and hold off, an officer choosing a member
    number in that kelurahan) last only until the commit, as the trigger's do."""
    for field in keys:
        parent = connection.ops.quote_name(field.related_model._meta.db_table)
        target = connection.ops.quote_name(field.target_field.column)
        cursor.execute(
            f"WITH wanted AS MATERIALIZED (SELECT DISTINCT {field.column} AS value FROM {source} WHERE {field.column} IS NOT NULL) "
            f"SELECT (SELECT count(*) FROM wanted), (SELECT count(*) FROM (SELECT p.{target} FROM "
            f"{parent} p WHERE p.{target} IN (SELECT value FROM wanted) FOR KEY SHARE OF p) locked)"
        )
        wanted, found = cursor.fetchone()
        if found != wanted:
            raise IntegrityError(f"{field.model._meta.label}.{field.name}: {wanted - found} referenced row(s) do not exist")


def rows_matching(model, columns, column, values):
    """`SELECT columns FROM model WHERE column IN values`, yielded in lists of rows.

    On PostgreSQL the values are COPYed into a temporary table and joined: one hash join for a
    whole city file instead of hundreds of `IN (...)` lists the ORM prepares value by value.
    Elsewhere, chunked `__in` queries.
    """
    values = list(values)
    if connection.vendor != "postgresql":
        for start in range(0, len(values), CHUNK):
            yield list(model.objects.filter(**{f"{column}__in": values[start:start + CHUNK]}).values_list(*columns))
        return
    table = connection.ops.quote_name(model._meta.db_table)
    selected = ", ".join(f"t.{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_keys")
        cursor.execute(f"CREATE TEMP TABLE import_keys AS SELECT {column} AS value FROM {table} WITH NO DATA")
        _copy(cursor, "import_keys", ["value"], ((v,) for v in values))
        cursor.execute("ANALYZE import_keys")
        cursor.execute(f"SELECT {selected} FROM {table} t JOIN import_keys k ON t.{column} = k.value")
        while rows := cursor.fetchmany(CHUNK):
            yield rows
        cursor.execute("DROP TABLE import_keys")


def _plain_plans(cursor):
    """For the rest of the transaction: no JIT compilation (the planner's estimates for a
    freshly loaded table make it compile every join, ~0.3 s each, for queries that run once),
    and enough memory for a city's hash joins without spilling to disk."""
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL work_mem = '64MB'")


def _key_parts(key):
    return key if isinstance(key, tuple) else (key,)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row):
    """One line of COPY's text format: tab-separated, with backslash, tab, newline and CR
    escaped (nothing else is special). None and the empty string are both written as an empty
    string, never NULL. Dates and datetimes are written by str(), which PostgreSQL reads."""
    values = ["" if v is None else str(v) for v in row]
    line = "\t".join(values)
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != len(values) - 1:
        line = "\t".join(v.translate(_COPY_ESCAPES) for v in values)
    return line + "\n"


class _CopyStream:
    """A file-like object COPY reads from, made from `rows` a few thousand at a time, so a city
    file is never in memory twice."""

    def __init__(self, rows):
        self.lines = map(_copy_line, rows)

    def read(self, size=-1):
        return "".join(itertools.islice(self.lines, 2000))


def _copy(cursor, table, columns, rows):
    """COPY rows (tuples of str, int, date or datetime) into a table."""
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", _CopyStream(rows))


HOUSEHOLD_ALIASES = {
    **{a: "kode_kelurahan" for a in (
        "kode_kelurahan", "kode_kel", "kd_kel", "kode_desa", "kode_desa_kelurahan", "kelurahan", "kel",
        "nama_kel", "nama_kelurahan", "desa", "kelurahan_desa", "desa_kelurahan", "nama_desa", "no_kel",
    )},
    **{a: "no_kk" for a in (
        "no_kk", "nomor_kk", "nkk", "no_kartu_keluarga", "nomor_kartu_keluarga", "kk", "nokk",
    )},
    **{a: "nama_kepala_keluarga" for a in (
        "nama_kepala_keluarga", "nama_kk", "kepala_keluarga", "nama_lgkp", "nama", "nama_lengkap",
        "nama_kepala",
    )},
    **{a: "nik_kepala_keluarga" for a in ("nik_kepala_keluarga", "nik_kk", "nik_kepala", "nik")},
    **{a: "alamat" for a in ("alamat", "address", "alamat_lengkap", "alamat_rumah")},
    **{a: "rt" for a in ("rt", "no_rt", "nort")},
    **{a: "rw" for a in ("rw", "no_rw", "norw")},
    **{a: "hubungan" for a in (
        "stat_hbkel", "shdk", "hubungan_keluarga", "hubungan_dalam_keluarga", "status_hubungan",
        "status_hubungan_dalam_keluarga", "hbkel", "kk_level",
    )},
}
HEAD_VALUES = {"1", "01", "kepalakeluarga", "kepala", "kk"}


class HouseholdImport(BaseImport):
    """Households, one row per KK, or a per-person population export folded into one household
    per KK (SIAK/Disdukcapil `STAT_HBKEL`, OpenSID `kk_level`; the head is relationship 1 or
    "KEPALA KELUARGA")."""

    kind = ImportBatch.Kind.HOUSEHOLDS
    model = Household
    key_attnames = ("no_kk",)
    fields = ("kelurahan_id", "head_name", "head_nik", "address", "rt", "rw")
    aliases = HOUSEHOLD_ALIASES
    required = ("kode_kelurahan", "no_kk")
    template_headers = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]
    template_rows = [["64.71.05.1002", "6471050506150001", "Ahmad Saputra", "6471051203900001", "Jl. Mawar No. 1", "007", ""]]
    text_columns = ("B", "D", "F", "G")

    def required_columns(self, columns):
        """The KK, its kelurahan, and who heads it: a household list names the head on each row,
        a per-person export has each person's name and NIK and their relationship."""
        return [*super().required_columns(columns), "nama_kepala_keluarga", "nik_kepala_keluarga"]

    def parse(self, table):
        columns = self.columns(table)
        per_person = "hubungan" in columns
        if per_person:
            opensid = columns.label("hubungan").lower() == "kk_level"
            layout = ImportBatch.Layout.OPENSID_PEOPLE if opensid else ImportBatch.Layout.SIAK_PEOPLE
        else:
            layout = ImportBatch.Layout.HOUSEHOLD_LIST
        parsed = Parsed(layout=layout)
        label = columns.label
        heads_seen = {}
        today = timezone.localdate()
        records, rows_of, problems_out = parsed.records, parsed.rows, parsed.problems
        # Column positions, read once: this loop runs for every row of a city file.
        at = {name: columns.index.get(name) for name in self.aliases.values()}
        i_kk, i_kel, i_name, i_nik = at["no_kk"], at["kode_kelurahan"], at["nama_kepala_keluarga"], at["nik_kepala_keluarga"]
        i_addr, i_rt, i_rw, i_rel = at["alamat"], at["rt"], at["rw"], at["hubungan"]

        # A short row is padded once, so every cell is read by index; a column the file lacks
        # is read as None.
        width = max(i for i in at.values() if i is not None) + 1
        # Caches for the cells that repeat (34 kelurahan, 999 RTs): one dict lookup per cell.
        kelurahan_of, rt_rw_of, is_head_of = {}, {}, {}

        def rt_rw(raw):
            value = normalise_rt_rw(raw)
            return value, not value or (len(value) == 3 and value.isdigit() and value != "000")

        for number, row, problems in self.rows(table, columns):
            parsed.rows_total += 1
            if parsed.rows_total % 5000 == 0:
                self.progress("check", parsed.rows_total, table.estimated_rows)
            if len(row) < width:
                row += [None] * (width - len(row))

            raw_kk = row[i_kk]
            if no_kk_has_no_errors(raw_kk):  # the usual case; the full check for its messages
                key = raw_kk
            else:
                kk = check_no_kk(raw_kk, today=today, warnings=False)
                problems += [Problem(number, label("no_kk"), str(e)) for e in kk.errors]
                key = kk.value
            raw_kel = None if i_kel is None else row[i_kel]
            try:
                kelurahan_id = kelurahan_of[raw_kel]
            except (KeyError, TypeError):
                kelurahan_id = self.kelurahan_id(raw_kel)
                if type(raw_kel) is str or raw_kel is None:
                    kelurahan_of[raw_kel] = kelurahan_id
            if kelurahan_id is None:
                problems.append(Problem(number, label("kode_kelurahan"), self.unknown_kelurahan(raw_kel)))

            if per_person:
                raw_rel = None if i_rel is None else row[i_rel]
                is_head = is_head_of.get(raw_rel) if type(raw_rel) is str else None
                if is_head is None:
                    is_head = normalise_name(text(raw_rel)) in HEAD_VALUES
                    if type(raw_rel) is str:
                        is_head_of[raw_rel] = is_head
            else:
                is_head = True
            raw_name = None if i_name is None else row[i_name]
            name = "" if not is_head else raw_name if type(raw_name) is str else text(raw_name)
            nik = ""
            raw_nik = None if i_nik is None else row[i_nik]
            if is_head and raw_nik not in (None, ""):
                if nik_has_no_errors(raw_nik, today=today):
                    nik = raw_nik
                else:
                    nik_check = check_nik(raw_nik, today=today, warnings=False)
                    if nik_check.errors:
                        problems += [Problem(number, label("nik_kepala_keluarga"), str(e)) for e in nik_check.errors]
                    nik = nik_check.value
            elif is_head:
                # The head's row names the head: a blank here would erase a known KK's head.
                problems.append(Problem(number, label("nik_kepala_keluarga"), _("The NIK of the head of household is missing.")))
            if is_head and not name:
                problems.append(Problem(number, label("nama_kepala_keluarga"), _("The name of the head of household is missing.")))
            if len(name) > 150:
                problems.append(Problem(number, label("nama_kepala_keluarga"), _("The name is longer than 150 characters.")))
            raw_addr = None if i_addr is None else row[i_addr]
            address = ("" if not is_head and per_person else raw_addr if type(raw_addr) is str else text(raw_addr))
            if len(address) > 255:
                problems.append(Problem(number, label("alamat"), _("The address is longer than 255 characters.")))
            for column, raw in (("rt", None if i_rt is None else row[i_rt]), ("rw", None if i_rw is None else row[i_rw])):
                try:
                    value, ok = rt_rw_of[raw]
                except (KeyError, TypeError):
                    value, ok = rt_rw(raw)
                    if type(raw) is str or raw is None:
                        rt_rw_of[raw] = value, ok
                if column == "rt":
                    rt = value
                else:
                    rw = value
                if not ok:
                    problems.append(Problem(number, label(column), _("RT/RW must be a number from 1 to 999 (given: %(value)s).") % {"value": brief(value)}))

            if problems:
                problems_out += problems
                continue
            values = (kelurahan_id, name, nik, address, rt, rw)
            if not per_person:
                if key in records:
                    problems_out.append(Problem(number, label("no_kk"), _("KK %(kk)s also appears on row %(row)s of this file.") % {"kk": key, "row": rows_of[key]}))
                    continue
                records[key], rows_of[key] = values, number
                continue
            # Per-person file: one household per KK, its details from the head's row.
            if key not in records:
                records[key], rows_of[key] = values, number
            elif records[key][0] != kelurahan_id:
                problems_out.append(Problem(number, label("kode_kelurahan"), _("KK %(kk)s is in another kelurahan on row %(row)s.") % {"kk": key, "row": rows_of[key]}))
                continue
            if is_head:
                if key in heads_seen:
                    problems_out.append(Problem(number, label("hubungan"), _("KK %(kk)s already has a head of household on row %(row)s.") % {"kk": key, "row": heads_seen[key]}))
                    continue
                heads_seen[key] = number
                old = records[key]
                records[key], rows_of[key] = (kelurahan_id, name, nik, address, rt or old[4], rw or old[5]), number
            elif not records[key][4] and rt:
                old = records[key]
                records[key] = (old[0], old[1], old[2], old[3], rt, rw)
        if per_person:
            without_head = [k for k in records if k not in heads_seen]
            if without_head:
                parsed.warnings.append(
                    _("%(n)d KK have no row with the head of household; they are imported without a head's name and NIK.")
                    % {"n": len(without_head)}
                )
        self.in_file_head_duplicates(parsed, label("nik_kepala_keluarga"))
        return parsed

    def in_file_head_duplicates(self, parsed, column):
        seen = {}
        for key, values in list(parsed.records.items()):
            nik = values[2]
            if not nik:
                continue
            if nik in seen:
                parsed.problems.append(Problem(parsed.rows[key], column, _("This NIK is also the head of KK %(kk)s on row %(row)s.") % {"kk": seen[nik], "row": parsed.rows[seen[nik]]}))
                del parsed.records[key]
            else:
                seen[nik] = key

    def existing(self, keys):
        for rows in rows_matching(Household, ["no_kk", "id", *self.fields], "no_kk", keys):
            yield {row[0]: (row[1], tuple(row[2:])) for row in rows}

    def plan(self, parsed):
        if connection.vendor == "postgresql":
            return self.plan_in_database(parsed)
        plan = super().plan(parsed)
        # Undo restores `updated_at` exactly too; read it for the changed rows only.
        changed = {pk: before for _key, pk, before, _values in plan.changed}
        for start in range(0, len(changed), CHUNK):
            pks = list(changed)[start:start + CHUNK]
            for pk, updated_at in Household.objects.filter(pk__in=pks).values_list("pk", "updated_at"):
                changed[pk]["updated_at"] = updated_at.isoformat()
        return plan

    def plan_in_database(self, parsed):
        """PostgreSQL: COPY the checked rows into a temporary table `import_rows` once and let
        the database find the conflicts, the changed rows and the new ones; `write` then
        inserts straight from that table.

        Two joins with the household table, whatever the file: one on the head's NIK (a NIK
        heading another KK), one on the KK number that counts the existing rows and returns
        only those that differ (changed, or registered in another kelurahan)."""
        table = connection.ops.quote_name(Household._meta.db_table)
        columns = ["no_kk", *self.fields]
        total = len(parsed.records)
        with transaction.atomic(), connection.cursor() as cursor:
            _plain_plans(cursor)
            cursor.execute("DROP TABLE IF EXISTS import_rows")
            # No index: every query below reads the whole table once (a hash join). A small
            # ANALYZE sample is enough for the planner to know its size.
            cursor.execute(f"CREATE TEMP TABLE import_rows AS SELECT {', '.join(columns)} FROM {table} WITH NO DATA")
            _copy(cursor, "import_rows", columns, ((key, *values) for key, values in parsed.records.items()))
            cursor.execute("SET LOCAL default_statistics_target = 10")
            cursor.execute("ANALYZE import_rows")
            self.progress("compare", total // 3, total)

            bad, bad_existing = {}, 0
            cursor.execute(
                f"SELECT s.no_kk, h.no_kk, EXISTS (SELECT 1 FROM {table} o WHERE o.no_kk = s.no_kk) "
                f"FROM import_rows s JOIN {table} h ON h.head_nik = s.head_nik "
                "WHERE s.head_nik <> '' AND h.no_kk <> s.no_kk"
            )
            for key, other, exists in cursor.fetchall():
                if key not in bad:
                    bad[key] = Problem(parsed.rows[key], self.label("nik_kepala_keluarga"), _("This NIK is already the head of KK %(kk)s.") % {"kk": other})
                    bad_existing += exists
            fields = ", ".join(f"h.{f}" for f in self.fields)
            cursor.execute(
                f"SELECT count(*), json_agg(json_build_array(h.no_kk, h.id, h.updated_at, {fields})) "
                f"FILTER (WHERE ({fields}) IS DISTINCT FROM ({', '.join('s.' + f for f in self.fields)})) "
                f"FROM import_rows s JOIN {table} h ON h.no_kk = s.no_kk"
            )
            existing, differing = cursor.fetchone()
            self.progress("compare", 2 * total // 3, total)

            plan = Plan(staged=True)
            moved = {}
            for key, pk, updated_at, *before in differing or ():
                if before[0] != parsed.records[key][0]:
                    moved[key] = before[0]
                if key in bad or key in moved:
                    continue
                snapshot = self.snapshot(before)
                snapshot["updated_at"] = parse_datetime(updated_at).isoformat()
                plan.changed.append((key, pk, snapshot, parsed.records[key]))
            if moved:
                names = dict(Kelurahan.objects.filter(pk__in=set(moved.values())).values_list("pk", "nama"))
                for key, kelurahan_id in moved.items():
                    if key not in bad:
                        bad[key] = Problem(parsed.rows[key], self.label("no_kk"), _("KK %(kk)s is already registered in kelurahan %(kelurahan)s; moving a household is done in the admin, not by import.") % {"kk": key, "kelurahan": names.get(kelurahan_id, kelurahan_id)})
                        bad_existing += 1
            if bad:
                cursor.execute("DELETE FROM import_rows WHERE no_kk = ANY(%s)", [list(bad)])
                for key in bad:
                    parsed.records.pop(key, None)
                parsed.problems += list(bad.values())
            existing -= bad_existing
            plan.unchanged = existing - len(plan.changed)
            plan.staged_new = len(parsed.records) - existing
            plan.staged_existing = existing
            if plan.staged_new:
                anti_join = f"WHERE NOT EXISTS (SELECT 1 FROM {table} h WHERE h.no_kk = s.no_kk)" if existing else ""
                cursor.execute(
                    f"SELECT no_kk, {', '.join(self.fields)} FROM import_rows s {anti_join} LIMIT %s",
                    [PREVIEW_ROWS],
                )
                plan.new = [(row[0], tuple(row[1:])) for row in cursor.fetchall()]
        self.progress("compare", total, total)
        return plan

    def database_problems(self, parsed, existing):
        moved = {
            key: before[0]
            for key, (_pk, before) in existing.items()
            if key in parsed.records and before[0] != parsed.records[key][0]
        }
        if not moved:
            return []
        names = dict(Kelurahan.objects.filter(pk__in=set(moved.values())).values_list("pk", "nama"))
        problems = []
        for key, before in moved.items():
            problems.append(Problem(parsed.rows[key], self.label("no_kk"), _("KK %(kk)s is already registered in kelurahan %(kelurahan)s; moving a household is done in the admin, not by import.") % {"kk": key, "kelurahan": names.get(before, before)}))
            del parsed.records[key]
        return problems

    def key_problems(self, parsed):
        head_niks = {values[2]: key for key, values in parsed.records.items() if values[2]}
        problems = []
        for rows in rows_matching(Household, ["head_nik", "no_kk"], "head_nik", head_niks):
            for nik, no_kk in rows:
                key = head_niks[nik]
                if no_kk != key and key in parsed.records:
                    problems.append(Problem(parsed.rows[key], self.label("nik_kepala_keluarga"), _("This NIK is already the head of KK %(kk)s.") % {"kk": no_kk}))
                    del parsed.records[key]
        return problems

    def build(self, key, values):
        return Household(no_kk=key, **dict(zip(self.fields, values)))

    def stamps(self, now, *, new):
        return {"created_at": now, "updated_at": now} if new else {"updated_at": now}

    def restore_values(self, before):
        before = dict(before)
        if "updated_at" in before:
            before["updated_at"] = parse_datetime(before["updated_at"])
        return before


COUNT_ALIASES = {
    **{a: "kode_kelurahan" for a in ("kode_kelurahan", "kode_kel", "kd_kel", "kode", "kelurahan", "nama_kelurahan", "kode_desa", "desa")},
    **{a: "jumlah_kk" for a in ("jumlah_kk", "jml_kk", "kk", "jumlah_kepala_keluarga", "jumlah_keluarga", "jumlah")},
    **{a: "per_tanggal" for a in ("per_tanggal", "tanggal", "tgl", "as_of", "tanggal_data")},
    **{a: "sumber" for a in ("sumber", "source", "sumber_data", "keterangan")},
}


class HouseholdCountImport(BaseImport):
    """Household counts per kelurahan and date; history is kept, the latest date is current."""

    kind = ImportBatch.Kind.HOUSEHOLD_COUNTS
    model = HouseholdCount
    key_attnames = ("kelurahan_id", "as_of")
    fields = ("count", "source")
    aliases = COUNT_ALIASES
    required = ("kode_kelurahan", "jumlah_kk", "per_tanggal")
    template_headers = ["kode_kelurahan", "jumlah_kk", "per_tanggal", "sumber"]
    template_rows = [["64.71.05.1002", 3505, "2025-06-30", "DKB Semester I 2025"]]
    text_columns = ("A", "C")

    def parse(self, table):
        columns = self.columns(table)
        label = columns.label
        parsed = Parsed(layout=ImportBatch.Layout.HOUSEHOLD_COUNTS)
        today = timezone.localdate()
        for number, row, problems in self.rows(table, columns):
            parsed.rows_total += 1
            raw_kel = columns.get(row, "kode_kelurahan")
            kelurahan_id = self.kelurahan_id(raw_kel)
            if kelurahan_id is None:
                problems.append(Problem(number, label("kode_kelurahan"), self.unknown_kelurahan(raw_kel)))
            raw_count = columns.get(row, "jumlah_kk")
            count = whole_number(raw_count)
            if count is None:
                problems.append(Problem(number, label("jumlah_kk"), _("'%(value)s' is not a whole number.") % {"value": brief(text(raw_count))}))
            raw_date = columns.get(row, "per_tanggal")
            as_of = a_date(raw_date)
            if as_of is None:
                problems.append(Problem(number, label("per_tanggal"), _("'%(value)s' is not a date; write it as 2025-08-19 or 19/08/2025.") % {"value": brief(text(raw_date))}))
            elif as_of > today:
                problems.append(Problem(number, label("per_tanggal"), _("The date %(value)s is in the future.") % {"value": as_of.isoformat()}))
            source = text(columns.get(row, "sumber"))
            if len(source) > 200:
                problems.append(Problem(number, label("sumber"), _("The source is longer than 200 characters.")))
            if problems:
                parsed.problems += problems
                continue
            key = (kelurahan_id, as_of)
            if key in parsed.records:
                parsed.problems.append(Problem(number, label("per_tanggal"), _("The same kelurahan and date are also on row %(row)s.") % {"row": parsed.rows[key]}))
                continue
            parsed.records[key], parsed.rows[key] = (count, source), number
        return parsed

    def existing(self, keys):
        kelurahan_ids = {k for k, _d in keys}
        wanted = set(keys)
        for rows in rows_matching(HouseholdCount, ["kelurahan_id", "as_of", "id", *self.fields], "kelurahan_id", kelurahan_ids):
            yield {(r[0], r[1]): (r[2], tuple(r[3:])) for r in rows if (r[0], r[1]) in wanted}

    def build(self, key, values):
        return HouseholdCount(kelurahan_id=key[0], as_of=key[1], **dict(zip(self.fields, values)))

    def stamps(self, now, *, new):
        return {"created_at": now} if new else {}

    def kelurahan_of(self, batch):
        """The kelurahan whose household counts `batch` created or changed."""
        rows = Q(pk__in=ImportRowChange.objects.filter(batch=batch).values("object_id"))
        for ranges in _in_ranges("pk", batch.created_ids):
            rows |= ranges
        return set(HouseholdCount.objects.filter(rows).order_by().values_list("kelurahan_id", flat=True).distinct())

    def write(self, plan, batch):
        super().write(plan, batch)
        counters.refresh_household_counts(self.kelurahan_of(batch))  # the current count, in this transaction

    def prepare_undo(self, batch, changes):
        self.undone_kelurahan = self.kelurahan_of(batch)

    def finish_undo(self, batch):
        counters.refresh_household_counts(self.undone_kelurahan)


IMPORTS = {cls.kind: cls for cls in (HouseholdImport, HouseholdCountImport)}


# --- Running a batch ----------------------------------------------------------------------

def checksum(data):
    return hashlib.sha256(data).hexdigest()


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
    table = read_table(data, batch.file_name)
    progress("check", 0, table.estimated_rows)
    parsed = importer.parse(table)
    if not parsed.rows_total:
        raise ImportFileError(_("The file has column headers but no data rows: there is nothing to import."))
    parsed.warnings = [*getattr(importer, "file_warnings", []), *parsed.warnings]
    del table  # the reader's copy of the file (for an XLSX, the whole sheet) before comparing
    plan = importer.plan(parsed)
    parsed.records = {}  # the plan holds what is written; free the rest before writing
    parsed.problems.sort(key=lambda p: (p.row, p.column))
    return importer, parsed, plan


PREVIEW_ROWS = 20


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
        shown = dict(values) if isinstance(values, dict) else importer.snapshot(values)
        shown.pop("updated_at", None)
        if "kelurahan_id" in shown:
            shown["kelurahan_id"] = names.get(shown["kelurahan_id"], shown["kelurahan_id"])
        return {"key": _key_text(key, names), **shown}

    batch.preview = {
        "fields": list(importer.fields),
        "changed": [
            {"row": parsed.rows.get(key), "before": show(key, before), "after": show(key, after)}
            for key, _pk, before, after in plan.changed[:PREVIEW_ROWS]
        ],
        "new": [{"row": parsed.rows.get(key), "after": show(key, values)} for key, values in plan.new[:PREVIEW_ROWS]],
        "problems": [{"row": p.row, "column": p.column, "message": p.message} for p in parsed.problems[:PREVIEW_ROWS]],
        "problem_count": len(parsed.problems),
        "warnings": [str(w) for w in parsed.warnings],
    }


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


def commit(batch, data, user, progress=no_progress):
    """Check the file again against today's database and write it in one transaction.

    Returns the parsed result; when it has problems nothing is written.
    """
    with transaction.atomic():
        _lock_imports()
        importer, parsed, plan = analyse(batch, data, progress)
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


class UndoRefused(Exception):
    pass


def undo(batch, user):
    """Undo a committed batch: delete the rows it created, restore the values it changed.

    Refused (nothing changes) while a later batch or a person has changed the same rows, or
    members have been registered into households it created.
    """
    importer = IMPORTS[batch.kind]()
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


def _in_ranges(field, ranges, per_query=500):
    """Q objects matching `field` within the [first, last] id ranges, a few hundred ranges
    each (one range in the usual case)."""
    for start in range(0, len(ranges), per_query):
        q = Q()
        for first, last in ranges[start:start + per_query]:
            q |= Q(**{f"{field}__range": (first, last)})
        yield q
