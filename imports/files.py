"""Reading an uploaded file: `read_table` (the entry point: the format told from the bytes, the
size and type refusals), the CSV reader and `data_rows` (the non-blank rows, stripped, up to
the row limit), plus `normalise_header`.

Everything here is about the file as bytes and cells; what the cells mean is the importers'
business (`imports/base.py` and the kinds of import). A workbook is checked (`xlsx_checks.py`)
and its sheets streamed by an isolated child process (`xlsx_read.py`, `xlsx_reader.py`,
`xlsx_sheet.py`), which checks them as it reads them, before its rows come back here. A CSV is decoded as a stream (never a second copy of the file as text) and each row
is bounded in length before the csv module splits it.
"""

import codecs
import csv
import io
import re

from django.conf import settings
from django.utils.translation import gettext as _

from .table import ROW_MAX_CHARS, ImportFileError, Source, Table, _row_too_long
from .xlsx_read import _xlsx_table


def normalise_header(header):
    """`No. KK`, ` NO_KK ` and `no kk` all become `no_kk`."""
    text = str(header if header is not None else "").strip().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


# --- CSV ----------------------------------------------------------------------------------

def _decodes(source, encoding):
    """Whether all of the file decodes, checked chunk by chunk (no copy of the file as text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in source.chunks():
            decoder.decode(chunk)
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(source):
    if source.head(2) in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        if _decodes(source, encoding):
            return encoding
    raise ImportFileError(_("The file is not readable text (UTF-8 or Windows-1252)."))


def _line_count(source):
    return sum(chunk.count(b"\n") for chunk in source.chunks())


def _csv_table(source):
    encoding = _encoding(source)
    head = codecs.getincrementaldecoder(encoding)().decode(source.head(65536))
    first_line = head.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    stream = io.TextIOWrapper(source.open(), encoding=encoding, newline="")
    max_columns = settings.KKMP_IMPORT_MAX_COLUMNS
    # Characters read since the last complete row, and that row's number: a line (or a
    # quoted cell running over many lines) longer than ROW_MAX_CHARS is refused as it is read,
    # before the csv module holds it as one row.
    state = {"chars": 0, "row": 1}

    def lines():
        readline = stream.readline
        limit = ROW_MAX_CHARS + 1
        while line := readline(limit):
            state["chars"] += len(line)
            if state["chars"] > ROW_MAX_CHARS:
                raise _row_too_long(state["row"])
            yield line

    def failure(exc, number):
        if "field larger than field limit" in str(exc):
            return ImportFileError(
                _("Row %(row)s has a cell longer than %(max)s characters; the file is refused.")
                % {"row": f"{number:,}", "max": f"{csv.field_size_limit():,}"}
            )
        if number == 1:
            return ImportFileError(_("The first row of the CSV file cannot be read: %(error)s") % {"error": exc})
        return ImportFileError(
            _("The CSV file cannot be read after row %(row)d: %(error)s") % {"row": number - 1, "error": exc}
        )

    def too_wide(row, number):
        if len(row) > max_columns and any(cell.strip() for cell in row[max_columns:]):
            raise ImportFileError(
                _("Row %(row)s has %(count)s columns; at most %(max)s are accepted.")
                % {"row": f"{number:,}", "count": f"{len(row):,}", "max": max_columns}
            )

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    except csv.Error as exc:
        raise failure(exc, 1) from None
    too_wide(headers, 1)
    state["chars"], state["row"] = 0, 2

    def rows():
        number = 1
        try:
            for row in reader:
                number += 1
                state["chars"], state["row"] = 0, number + 1
                if len(row) > max_columns:
                    too_wide(row, number)
                yield number, row
        except csv.Error as exc:
            raise failure(exc, number + 1) from exc

    return Table(headers, _line_count(source), rows(), "CSV")


def read_table(data, filename="", max_rows=None):
    """A `Table` from a CSV or XLSX file: its bytes, a path, or a `Source`. The format is
    told from the content. `max_rows`: the data rows the import may read
    (`KKMP_IMPORT_MAX_ROWS` unless told), which a workbook's scan checks before any reader
    runs."""
    source = Source.of(data)
    max_bytes = settings.KKMP_IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    if source.size > max_bytes:
        raise ImportFileError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": source.size / 1024 / 1024, "limit": settings.KKMP_IMPORT_MAX_UPLOAD_MB}
        )
    head = source.head(65536)
    if not head or (head.isspace() and all(chunk.isspace() for chunk in source.chunks())):
        raise ImportFileError(_("The file is empty."))
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            _("This is an old Excel file (.xls). Open it in Excel or LibreOffice and save it "
              "as .xlsx, or as CSV.")
        )
    if head[:4] == b"PK\x03\x04":
        return _xlsx_table(source, max_rows)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ImportFileError(_("The file is named %(name)s but is not an Excel workbook.") % {"name": filename})
    # A binary file has NUL bytes all over; a CSV may carry a stray one in a cell (reported on
    # its row as a control character, not as a file that is not text).
    head = head[:4096]
    if head.count(b"\x00") * 100 > max(len(head), 1000) and head[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportFileError(_("This is not a CSV or XLSX file."))
    return _csv_table(source)


def data_rows(table, limit=None):
    """The table's non-blank rows, cells stripped, refused past the row limit
    (`KKMP_IMPORT_MAX_ROWS` unless told). A row whose second cell is `###` ends the sheet
    (OpenSID's end-of-data mark)."""
    limit = limit or settings.KKMP_IMPORT_MAX_ROWS
    count = 0
    for number, row in table.rows:
        if len(row) > 1 and row[1] == "###":
            return
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
            raise ImportFileError(_(
                "The file has more than %(max)s data rows. Split it into smaller files (for "
                "example one per kecamatan) and import them one after the other."
            ) % {"max": f"{limit:,}"})
        yield number, cells
