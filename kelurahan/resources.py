"""Spreadsheet import and export for regions and household counts, and the shared machinery.

Reading a file (`read_dataset`), recognising its headers, reporting bad rows by spreadsheet row
and column, and running an import all-or-nothing (`run_import`) live here; `members.resources`
uses the same machinery for households. django-import-export owns the admin screens and the
column declarations.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from pathlib import Path

import tablib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.results import Error

from .models import HouseholdCount, Kelurahan

ROW_COLUMN = "_baris"  # the spreadsheet row a dataset row came from (header is row 1)


class ImportFileError(Exception):
    """The file as a whole cannot be imported (format, encoding, columns); nothing is changed."""


# --- Reading files --------------------------------------------------------------------------

def normalise_header(header):
    """`No. KK`, ` NO_KK ` and `no kk` all become `no_kk`."""
    text = str(header or "").strip().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _decode(data):
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is not readable text (UTF-8 or Windows-1252)."))


def _read_csv(data):
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc


def _read_xlsx(data):
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        return sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several types for damaged files
        raise ImportFileError(
            _("The XLSX file is damaged or is not an Excel workbook. Open it in Excel or "
              "LibreOffice and save it again as .xlsx.")
        ) from exc


def read_dataset(data, filename=""):
    """A `tablib.Dataset` from the bytes of a CSV or XLSX file, with normalised headers.

    The format is told from the content, not the name. Blank rows are dropped; every row keeps
    its spreadsheet row number in the `_baris` column for error messages.
    """
    max_bytes = settings.KKMP_IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    if len(data) > max_bytes:
        raise ImportFileError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": len(data) / 1024 / 1024, "limit": settings.KKMP_IMPORT_MAX_UPLOAD_MB}
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            _("This is an old Excel file (.xls). Open it in Excel or LibreOffice and save it "
              "as .xlsx, or as CSV.")
        )
    if data[:4] == b"PK\x03\x04":
        rows = _read_xlsx(data)
    elif filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ImportFileError(
            _("The file is named %(name)s but is not an Excel workbook.") % {"name": filename}
        )
    elif b"\x00" in data[:4096] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportFileError(_("This is not a CSV or XLSX file."))
    else:
        rows = _read_csv(data)
    if not rows:
        raise ImportFileError(_("The file is empty."))
    headers = [normalise_header(h) for h in rows[0]]
    width = len(headers)
    dataset = tablib.Dataset(headers=headers + [ROW_COLUMN])
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row[:width]) + [""] * (width - len(row))
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        cells = [c.strip() if isinstance(c, str) else ("" if c is None else c) for c in cells]
        dataset.append(cells + [number])
    if not len(dataset):
        raise ImportFileError(_("The file has a header row but no data rows."))
    return dataset


class _SpreadsheetFormat(base_formats.Format):
    """An import format for the admin that reads through `read_dataset`."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def can_import(self):
        return True

    def can_export(self):
        return False

    def get_content_type(self):
        return self.CONTENT_TYPE

    def create_dataset(self, in_stream, **kwargs):
        return read_dataset(in_stream)


class SpreadsheetCSV(_SpreadsheetFormat):
    CONTENT_TYPE = "text/csv"

    def get_title(self):
        return "csv"

    def get_extension(self):
        return "csv"


class SpreadsheetXLSX(_SpreadsheetFormat):
    CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def get_title(self):
        return "xlsx"

    def get_extension(self):
        return "xlsx"


# --- Widgets --------------------------------------------------------------------------------

class KelurahanWidget(widgets.ForeignKeyWidget):
    """A kelurahan by Kemendagri code (`64.71.05.1010`) or, failing that, by a known name.

    Lookups are cached for the length of one import: a city file names the same few dozen
    kelurahan on every row.
    """

    def __init__(self, **kwargs):
        super().__init__(Kelurahan, field="kode", **kwargs)
        self._cache = {}

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if not text:
            raise ValueError(_("The kelurahan is missing."))
        if text not in self._cache:
            self._cache[text] = self._find(text)
        found = self._cache[text]
        if found is None:
            raise ValueError(
                _("Unknown kelurahan '%(value)s': give the Kemendagri code, e.g. 64.71.05.1010.")
                % {"value": text}
            )
        return found

    @staticmethod
    def _find(text):
        matches = list(Kelurahan.objects.matching(text)[:2])
        return matches[0] if len(matches) == 1 else None


class StrictIntegerWidget(widgets.IntegerWidget):
    """A whole number; `12.0` from a spreadsheet is fine, `12,5` or `dua belas` is not."""

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            raise ValueError(_("A number is required."))
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = str(value).strip().replace(".", "") if re.fullmatch(r"\d{1,3}(\.\d{3})+", str(value).strip()) else str(value).strip()
        if not re.fullmatch(r"\d+", text):
            raise ValueError(_("'%(value)s' is not a whole number.") % {"value": value})
        return int(text)


class FlexibleDateWidget(widgets.DateWidget):
    """Dates as spreadsheets hold them: a date cell, `2025-08-19`, `19/08/2025`, `19-08-2025`."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)
        self.formats = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            raise ValueError(_("A date is required."))
        if hasattr(value, "date") and callable(value.date):  # datetime from a spreadsheet
            return value.date()
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(
                _("'%(value)s' is not a date; write it as 2025-08-19 or 19/08/2025.")
                % {"value": value}
            ) from None


# --- Resources ------------------------------------------------------------------------------

class FileLevelError(Error):
    """A base error that is the user's to fix: shown as its message, never as a traceback."""

    traceback = ""


@dataclass
class RowProblem:
    row: int
    column: str
    message: str

    def __str__(self):
        return _("row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column or "-",
            "message": self.message,
        }


@dataclass
class ImportSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    problems: list = field(default_factory=list)
    committed: bool = False

    @property
    def total(self):
        return self.new + self.updated + self.unchanged + self.invalid


class SpreadsheetResource(resources.ModelResource):
    """Base for our import resources: header aliases, required columns and error reports.

    Subclasses set `column_aliases` ({alias: column}) and `required_columns`.
    """

    column_aliases = {}
    required_columns = ()

    def prepare_dataset(self, dataset):
        """Rename known header aliases and refuse a file that lacks a required column."""
        dataset.headers = [self.column_aliases.get(h, h) for h in dataset.headers]
        missing = [c for c in self.required_columns if c not in dataset.headers]
        if missing:
            raise ImportFileError(
                _("Required column(s) missing: %(missing)s. The file has: %(found)s.")
                % {
                    "missing": ", ".join(missing),
                    "found": ", ".join(h for h in dataset.headers if h != ROW_COLUMN),
                }
            )

    def import_data(self, dataset, *args, **kwargs):
        """A file-level problem ends the import before any row is read, without a traceback."""
        try:
            self.prepare_dataset(dataset)
        except ImportFileError as exc:
            result = self.get_result_class()()
            result.append_base_error(FileLevelError(exc))
            return result
        self._seen_keys = {}
        return super().import_data(dataset, *args, **kwargs)

    def get_or_init_instance(self, instance_loader, row):
        """Report a bad key column (e.g. an unknown kelurahan) as that column's error."""
        try:
            return super().get_or_init_instance(instance_loader, row)
        except ValueError:
            errors = {}
            for name in self._meta.import_id_fields:
                field = self.fields[name]
                try:
                    field.clean(row)
                except ValueError as exc:
                    errors[field.attribute] = ValidationError(str(exc), code="invalid")
            if not errors:
                raise
            raise ValidationError(errors) from None

    def check_duplicate_in_file(self, key, column, row):
        """Report a second row with the same key instead of silently merging it."""
        first = self._seen_keys.setdefault(key, row.get(ROW_COLUMN))
        if first != row.get(ROW_COLUMN):
            raise ValidationError(
                {column: _("'%(key)s' also appears on row %(row)s of this file.") % {"key": key, "row": first}}
            )

    def problems(self, result, dataset):
        """Every invalid row of an import result, as (spreadsheet row, column, reason)."""
        by_attribute = {f.attribute: f.column_name for f in self.get_import_fields()}
        row_numbers = dataset[ROW_COLUMN] if ROW_COLUMN in (dataset.headers or []) else None
        problems = []
        for invalid in result.invalid_rows:
            row = row_numbers[invalid.number - 1] if row_numbers else invalid.number + 1
            for attribute, messages in invalid.error_dict.items():
                column = "" if attribute == NON_FIELD_ERRORS else by_attribute.get(attribute, attribute)
                for message in messages:
                    problems.append(RowProblem(row, column, message))
        for number, errors in result.row_errors():
            row = row_numbers[number - 1] if row_numbers else number + 1
            for error in errors:
                problems.append(RowProblem(row, "", str(error.error)))
        return sorted(problems, key=lambda p: (p.row, p.column))


def run_import(resource, dataset, *, dry_run):
    """Import `dataset` all-or-nothing; any invalid row rolls the whole file back.

    Returns an `ImportSummary` with counts and every problem. Raises `ImportFileError` for
    file-level problems (missing columns).
    """
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
        raise_errors=False,
    )
    totals = result.totals
    summary = ImportSummary(
        new=totals.get("new", 0),
        updated=totals.get("update", 0),
        unchanged=totals.get("skip", 0),
        invalid=totals.get("invalid", 0) + totals.get("error", 0),
    )
    for error in result.base_errors:
        if isinstance(error.error, ImportFileError):
            raise error.error
    if result.has_errors() or result.has_validation_errors():
        summary.problems = resource.problems(result, dataset)
        summary.problems += [RowProblem(0, "", str(e.error)) for e in result.base_errors]
    summary.committed = not dry_run and not summary.problems
    return summary


class HouseholdCountResource(SpreadsheetResource):
    """Household counts per kelurahan: `kode_kelurahan,jumlah_kk,per_tanggal,sumber`."""

    kode_kelurahan = fields.Field(
        attribute="kelurahan", column_name="kode_kelurahan", widget=KelurahanWidget()
    )
    jumlah_kk = fields.Field(attribute="count", column_name="jumlah_kk", widget=StrictIntegerWidget())
    per_tanggal = fields.Field(attribute="as_of", column_name="per_tanggal", widget=FlexibleDateWidget())
    sumber = fields.Field(attribute="source", column_name="sumber", widget=widgets.CharWidget())

    column_aliases = {
        "kode_kel": "kode_kelurahan",
        "kode": "kode_kelurahan",
        "kelurahan": "kode_kelurahan",
        "kk": "jumlah_kk",
        "jml_kk": "jumlah_kk",
        "jumlah_kepala_keluarga": "jumlah_kk",
        "tanggal": "per_tanggal",
        "source": "sumber",
    }
    required_columns = ("kode_kelurahan", "jumlah_kk", "per_tanggal")

    class Meta:
        model = HouseholdCount
        fields = ("kode_kelurahan", "jumlah_kk", "per_tanggal", "sumber")
        import_id_fields = ("kode_kelurahan", "per_tanggal")
        clean_model_instances = True
        skip_unchanged = True
        skip_html_diff = True

    def get_queryset(self):
        return HouseholdCount.objects.select_related("kelurahan")

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        self.check_duplicate_in_file(
            (instance.kelurahan.kode, str(instance.as_of)), "per_tanggal", row
        )

    def dehydrate_kode_kelurahan(self, obj):
        return obj.kelurahan.kode


class KelurahanResource(resources.ModelResource):
    """Export of the region list (the import is the `load_regions` command)."""

    kecamatan = fields.Field(attribute="kecamatan__nama", column_name="kecamatan")

    class Meta:
        model = Kelurahan
        fields = ("kode", "kode_bps", "nama", "alternative_names", "kecamatan")
        export_order = fields


# --- Exports --------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell value that spreadsheet programs will show, never execute: text starting with
    `=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe. Numbers and dates
    pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


DASHBOARD_COLUMNS = (
    "kode_kelurahan",
    "kelurahan",
    "kecamatan",
    "jumlah_kk",
    "per_tanggal",
    "target",
    "kk_terwakili",
    "anggota_kepala_keluarga",
    "anggota_aktif",
    "persen_target",
)


def dashboard_dataset(groups):
    """The dashboard table as a `tablib.Dataset`, one row per kelurahan (see `dashboard_table`)."""
    dataset = tablib.Dataset(headers=DASHBOARD_COLUMNS, title="Progres KKMP")
    for kecamatan, rows, _total in groups:
        for kel, progress in rows:
            dataset.append(
                [
                    neutralise(value)
                    for value in (
                        kel.kode,
                        kel.nama,
                        kecamatan.nama,
                        progress.jumlah_kk,
                        kel.per_tanggal,
                        progress.target,
                        progress.kk_terwakili,
                        progress.anggota_kepala_keluarga,
                        progress.anggota_aktif,
                        progress.persen_target,
                    )
                ]
            )
    return dataset


# --- The shell commands ---------------------------------------------------------------------

class ImportCommand(BaseCommand):
    """`manage.py import_… FILE [--dry-run]`: the same import as the admin's, from the shell.

    Prints counts of new, updated, unchanged and invalid rows; a file with any invalid row
    imports nothing, lists every problem and exits with status 1.
    """

    resource_class = None

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV or XLSX file"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("check the file without saving anything")
        )

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror})
        try:
            dataset = read_dataset(data, path.name)
            summary = run_import(self.resource_class(), dataset, dry_run=options["dry_run"])
        except ImportFileError as exc:
            raise CommandError(str(exc))
        self.stdout.write(
            _("new: %(new)d, updated: %(updated)d, unchanged: %(unchanged)d, invalid: %(invalid)d")
            % {
                "new": summary.new,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "invalid": summary.invalid,
            }
        )
        if summary.problems:
            for problem in summary.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("%(count)d row(s) are invalid; nothing was imported. Correct them and import the file again.")
                % {"count": summary.invalid}
            )
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was saved."))
        else:
            self.stdout.write(self.style.SUCCESS(_("Import saved.")))
