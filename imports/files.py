"""Reading an uploaded file into a `Table`: CSV (any of the separators and encodings real files
use) or XLSX, with the safety checks a workbook must pass before any reader touches it.

Everything here is about the file as bytes and cells; what the cells mean is the importers'
business (`imports/pipeline.py`). `ImportFileError` is a refusal of the whole file, in the
user's language, with nothing changed.
"""

import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext as _


class ImportFileError(Exception):
    """The file as a whole cannot be imported (format, safety, columns); nothing is changed."""



# --- Reading ------------------------------------------------------------------------

def normalise_header(header):
    """`No. KK`, ` NO_KK ` and `no kk` all become `no_kk`."""
    text = str(header if header is not None else "").strip().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@dataclass
class Table:
    """A sheet: original headers, an estimate of the row count, and a row iterator of
    `(spreadsheet row number, cells)` that skips blank rows."""

    headers: list
    estimated_rows: int
    rows: object
    file_type: str


def _decode(data):
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is not readable text (UTF-8 or Windows-1252)."))


def _csv_table(data):
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except (StopIteration, csv.Error):
        raise ImportFileError(_("The file is empty.")) from None

    def rows():
        number = 1
        try:
            for row in reader:
                number += 1
                yield number, row
        except csv.Error as exc:
            raise ImportFileError(
                _("The CSV file cannot be read after row %(row)d: %(error)s") % {"row": number, "error": exc}
            ) from exc

    return Table(headers, text.count("\n"), rows(), "CSV")


XLSX_DAMAGED = _(
    "The XLSX file is damaged or is not an Excel workbook. Open it in Excel or LibreOffice and "
    "save it again as .xlsx."
)


def check_xlsx(data):
    """Refuse a workbook before parsing it when it could hurt the server: a zip bomb, member
    names that leave the archive, XML with a DTD (entity expansion), or an absurd size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(XLSX_DAMAGED) from None
    if len(members) > 10_000:
        raise ImportFileError(_("The workbook has too many parts (%(n)d).") % {"n": len(members)})
    names = {m.filename for m in members}
    for name in names:
        if name.startswith(("/", "\\")) or ".." in name.split("/") or "\\" in name or ":" in name:
            raise ImportFileError(_("The workbook contains an unsafe part name (%(name)s).") % {"name": name[:80]})
    if "xl/workbook.xml" not in names:
        raise ImportFileError(XLSX_DAMAGED)
    expanded = sum(m.file_size for m in members)
    limit = settings.KKMP_IMPORT_MAX_UNCOMPRESSED_MB * 1024 * 1024
    if expanded > limit or (expanded > 20 * 1024 * 1024 and expanded > 100 * max(len(data), 1)):
        raise ImportFileError(
            _("The workbook expands to %(size)d MB when unpacked, far more than its own size; "
              "it is refused as a possible zip bomb.") % {"size": expanded // (1024 * 1024)}
        )
    for member in members:
        if member.filename.endswith((".xml", ".rels")):
            with archive.open(member) as part:
                head = part.read(2048)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise ImportFileError(_("The workbook contains an XML DTD, which spreadsheets never need; it is refused."))
    sheets = sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if sheets:
        with archive.open(sheets[0]) as part:
            head = part.read(4096).decode("utf-8", "replace")
        match = re.search(r'<dimension ref="[A-Z]+\d+:([A-Z]+)(\d+)"', head)
        if match:
            columns, rows = _column_number(match.group(1)), int(match.group(2))
            if rows > settings.KKMP_IMPORT_MAX_ROWS or columns > 500:
                raise ImportFileError(
                    _("The sheet claims %(rows)s rows and %(columns)s columns; the limit is %(max)s rows.")
                    % {"rows": f"{rows:,}", "columns": columns, "max": f"{settings.KKMP_IMPORT_MAX_ROWS:,}"}
                )


def _column_number(letters):
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _xlsx_table(data):
    from python_calamine import CalamineWorkbook

    check_xlsx(data)
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = sheet.iter_rows()
        headers = next(rows, None)
    except Exception:  # calamine raises several types for damaged workbooks
        raise ImportFileError(XLSX_DAMAGED) from None
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    first = sheet.start[0] if sheet.start else 0
    return Table(list(headers), sheet.height, zip(itertools.count(first + 2), rows), "XLSX")


def read_table(data, filename=""):
    """A `Table` from the bytes of a CSV or XLSX file. The format is told from the content."""
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
        return _xlsx_table(data)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ImportFileError(_("The file is named %(name)s but is not an Excel workbook.") % {"name": filename})
    if b"\x00" in data[:4096] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportFileError(_("This is not a CSV or XLSX file."))
    return _csv_table(data)


def data_rows(table):
    """The table's non-blank rows, cells stripped, stopping at the row limit."""
    limit = settings.KKMP_IMPORT_MAX_ROWS
    count = 0
    for number, row in table.rows:
        try:  # a row of text only (every CSV row, most XLSX rows): strip and test in C
            blank = not "".join(row).strip()
        except TypeError:  # a number, date or empty cell of a workbook
            if not any(cell not in (None, "") and str(cell).strip() for cell in row):
                continue
            cells = [c.strip() if isinstance(c, str) else c for c in row]
        else:
            if blank:
                continue
            cells = list(map(str.strip, row))
        count += 1
        if count > limit:
            raise ImportFileError(_("The file has more than %(max)s data rows.") % {"max": f"{limit:,}"})
        yield number, cells


# --- Cell values --------------------------------------------------------------------------

def text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def whole_number(value):
    """`3505`, `3.505` (thousands), `3505.0` from a spreadsheet; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    value = text(value).replace(" ", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", value):
        value = re.sub(r"[.,]", "", value)
    return int(value) if value.isdigit() else None


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def a_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    value = text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None
