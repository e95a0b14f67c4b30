"""Reading an uploaded file into a `Table`: CSV (any of the separators and encodings real files
use) or XLSX, with the safety checks a workbook must pass before any reader touches it.

Everything here is about the file as bytes and cells; what the cells mean is the importers'
business (`imports/pipeline.py`). `ImportFileError` is a refusal of the whole file, in the
user's language, with nothing changed.

A workbook is checked in this process, streamed and in bounded memory, before a reader sees
it (`check_xlsx`): the zip (names, sizes as really unpacked, CRCs), every XML part (no DTD,
anywhere), and the first sheet's XML with expat, cell by cell, following python-calamine's own
rules for rows and cells without a reference. Its true used range must fit the row, column and
memory limits; the `<dimension>` a file claims is ignored (calamine does not trust it either).
Then python-calamine reads it in a child process (`imports/xlsx_reader.py`) capped in memory
and time, which streams the rows back: a workbook that still makes the reader blow up ends the
child, not the web or task worker, and is refused with a plain message.

A CSV is decoded as a stream (never a second copy of the file as text) and each row is
bounded in length before the csv module splits it.
"""

import codecs
import collections.abc
import copy
import csv
import io
import itertools
import logging
import os
import pickle
import re
import select
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

log = logging.getLogger(__name__)


def _for_log(text, length=300):
    """A reader's error for the log: short, and without long numbers (a cell may be a NIK)."""
    return re.sub(r"\d{6,}", "…", str(text))[:length]


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
    `(spreadsheet row number, cells)` that skips blank rows.

    `formulas`: the `(spreadsheet row number, column index)` of the cells that hold a formula
    (XLSX; the column index is the cell's index in `headers` and in each row's cells). A
    set-like `FormulaCells` for a workbook, an empty set for a CSV."""

    headers: list
    estimated_rows: int
    rows: object
    file_type: str
    formulas: object = field(default_factory=frozenset)


# A row of a file (CSV or XLSX) may not be longer than this many characters: no household or
# member row comes near, and it bounds what one row costs in memory before it is checked.
ROW_MAX_CHARS = 1024 * 1024


def _row_too_long(number):
    return ImportFileError(
        _("Row %(row)s is longer than %(max)s characters; the file is refused.")
        % {"row": f"{number:,}", "max": f"{ROW_MAX_CHARS:,}"}
    )


# --- CSV ----------------------------------------------------------------------------------

def _decodes(data, encoding):
    """Whether all of `data` decodes, checked in slices (no second copy of the file as text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    step = 1024 * 1024
    try:
        for start in range(0, len(data), step):
            decoder.decode(view[start:start + step])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(data):
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        if _decodes(data, encoding):
            return encoding
    raise ImportFileError(_("The file is not readable text (UTF-8 or Windows-1252)."))


def _csv_table(data):
    encoding = _encoding(data)
    head = codecs.getincrementaldecoder(encoding)().decode(data[:65536])
    first_line = head.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
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

    return Table(headers, data.count(b"\n"), rows(), "CSV")


# --- XLSX: what the workbook may be --------------------------------------------------------

XLSX_DAMAGED = gettext_lazy(  # lazy: in the language of whoever reads the refusal
    "The XLSX file is damaged or is not an Excel workbook. Open it in Excel or LibreOffice and "
    "save it again as .xlsx."
)

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384  # XFD
CHUNK = 64 * 1024
# One row of a sheet's XML: 8 MiB of XML hold more than ROW_MAX_CHARS characters, however
# they are escaped (`&amp;` is 5 bytes for one character).
ROW_MAX_XML = 8 * ROW_MAX_CHARS
# What python-calamine holds per cell, measured (calamine 0.37): every cell of the used range
# (32 bytes) and, for each cell with a value, its parsed form and text (~64 bytes); what it
# holds for each shared string; and the interpreter with the workbook read from stdin.
READER_BYTES_PER_CELL = 32
READER_BYTES_PER_VALUE = 64
READER_BYTES_PER_STRING = 48
READER_BASE_BYTES = 48 * 1024 * 1024

# A DTD (entity declarations, external entities) in any XML part, in UTF-8 or UTF-16, any case.
def _dtd_pattern():
    words = (b"DOCTYPE", b"ENTITY")
    utf16le = [b"<\\x00!\\x00" + b"".join(b"[%c%c]\\x00" % (c, c + 32) for c in w) for w in words]
    utf16be = [b"\\x00<\\x00!" + b"".join(b"\\x00[%c%c]" % (c, c + 32) for c in w) for w in words]
    return re.compile(b"|".join([rb"<!(?i:doctype|entity)", *utf16le, *utf16be]))


_DTD = _dtd_pattern()
_DTD_OVERLAP = 32  # longer than any match: a DTD split across two chunks is still found
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


def _limits_message():
    return _(
        "The workbook could not be read within the server's limits (%(memory)s MB of memory, "
        "%(seconds)s seconds). Save it again as .xlsx with only the data sheet, or as CSV, or "
        "split it into smaller files."
    ) % {"memory": settings.KKMP_IMPORT_READER_MEMORY_MB, "seconds": settings.KKMP_IMPORT_READER_SECONDS}


class _Budget:
    """What reading one workbook may still spend: unpacked bytes and seconds."""

    def __init__(self, data):
        # as for the sizes the zip declares (check_xlsx): the limit, and 100 times the file's
        # own size when that is more than 20 MB
        limit = settings.KKMP_IMPORT_MAX_UNCOMPRESSED_MB * 1024 * 1024
        self.bytes_left = min(limit, max(20 * 1024 * 1024, 100 * len(data)))
        self.deadline = time.monotonic() + settings.KKMP_IMPORT_READER_SECONDS

    def spend(self, size):
        self.bytes_left -= size
        if self.bytes_left < 0:
            raise ImportFileError(_bomb_message(None))
        if time.monotonic() > self.deadline:
            raise ImportFileError(_limits_message())


def _bomb_message(size):
    if size is None:
        return _(
            "The workbook expands to far more than its own size when unpacked; it is refused as "
            "a possible zip bomb."
        )
    return _(
        "The workbook expands to %(size)d MB when unpacked, far more than its own size; "
        "it is refused as a possible zip bomb."
    ) % {"size": size // (1024 * 1024)}


def _part_chunks(archive, info, budget):
    """The part's bytes as really unpacked, in chunks, whatever sizes the zip declares: its
    true size must be the declared one (an under- or over-declared part is damaged), it counts
    against the budget, its CRC is checked by zipfile at the end, and it may hold no DTD."""
    probe = copy.copy(info)
    probe.file_size = max(budget.bytes_left, 0) + CHUNK + 1  # read on until the real end
    size, tail = 0, b""
    with archive.open(probe) as part:
        while chunk := part.read(CHUNK):
            size += len(chunk)
            budget.spend(len(chunk))
            window = tail + chunk
            if b"!" in window and _DTD.search(window):
                _refuse_dtd()
            tail = chunk[-_DTD_OVERLAP:]
            yield chunk
    if size != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename}: {size} bytes, {info.file_size} declared")


def _drain(chunks):
    for _chunk in chunks:
        pass


def _local(name):
    """An element's name without its prefix, as calamine (quick-xml's local_name) sees it."""
    return name.partition(":")[2] if ":" in name else name


def _refuse_dtd(*_args):
    raise ImportFileError(_("The workbook contains an XML DTD, which spreadsheets never need; it is refused."))


def _expat():
    """A strict parser: well-formed UTF-8 XML (whatever encoding the part declares), no DTD."""
    parser = expat.ParserCreate("UTF-8")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    return parser


def _feed(parser, chunks):
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _parse(chunks, start):
    parser = _expat()
    parser.StartElementHandler = start
    _feed(parser, chunks)


def _first_sheet(archive, parts, budget):
    """The part python-calamine reads as the first sheet: the first `<sheet>` of
    xl/workbook.xml, through its r:id in xl/_rels/workbook.xml.rels (calamine's rules)."""
    workbook, relationships = parts.get("xl/workbook.xml"), parts.get("xl/_rels/workbook.xml.rels")
    if workbook is None or relationships is None:
        raise ImportFileError(XLSX_DAMAGED)
    first = []

    def sheet(name, attrs):
        if not first and _local(name) == "sheet":
            ids = {attrs[key] for key in ("r:id", "relationships:id") if key in attrs}
            first.append(ids.pop() if len(ids) == 1 else None)

    _parse(_part_chunks(archive, workbook, budget), sheet)
    if not first or first[0] is None:
        raise ImportFileError(XLSX_DAMAGED)
    targets = {}

    def relationship(name, attrs):
        if _local(name) == "Relationship":
            key = attrs.get("Id", "")
            if key in targets:  # calamine keeps the last one; two with one Id is not a workbook
                raise ImportFileError(XLSX_DAMAGED)
            targets[key] = attrs.get("Target", "")

    _parse(_part_chunks(archive, relationships, budget), relationship)
    target = targets.get(first[0])
    if not target:
        raise ImportFileError(XLSX_DAMAGED)
    if target.startswith("/xl/"):
        path = target[1:]
    elif target.startswith("xl/"):
        path = target
    else:
        path = "xl/" + target
    if path.split("/")[1:2] not in (["worksheets"], ["chartsheets"], ["dialogsheets"]):
        raise ImportFileError(XLSX_DAMAGED)
    info = parts.get(path.lower())
    if info is None:
        raise ImportFileError(XLSX_DAMAGED)
    return info


def _attribute(attrs, name):
    """An attribute's value from expat's ordered attributes (`[name, value, …]`)."""
    for i in range(0, len(attrs), 2):
        if attrs[i] == name:
            return attrs[i + 1]
    return None


def _letters(column):
    """0 → A, 16383 → XFD."""
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


_COLUMNS = {}  # validated column letters (upper case) → 0-based index


def _column(letters, ref):
    if 1 <= len(letters) <= 3 and letters.isascii() and letters.isalpha():
        number = 0
        for letter in letters.upper():
            number = number * 26 + ord(letter) - 64
        if number <= EXCEL_COLUMNS:
            if letters.isupper():
                _COLUMNS[letters] = number - 1
            return number - 1
    raise _bad_reference(ref)


def _row_number(digits, ref):
    if 1 <= len(digits) <= 7 and digits.isascii() and digits.isdigit():
        number = int(digits)
        if 1 <= number <= EXCEL_ROWS:
            return number - 1
    raise _bad_reference(ref)


def _bad_reference(ref):
    return ImportFileError(
        _("The sheet has an invalid cell reference (%(ref)s); the workbook is damaged. Open it in "
          "Excel or LibreOffice and save it again as .xlsx.") % {"ref": ref[:20]}
    )


class FormulaCells(collections.abc.Set):
    """The cells of a sheet that hold a formula, as `(spreadsheet row number, column index)`:
    one bitmap per column, so even a sheet of formulas costs little (1 bit per row)."""

    def __init__(self):
        self._columns = {}  # 0-based sheet column → bytearray, bit per 0-based sheet row
        self._rows = bytearray()  # any column
        self._origin = (0, 0)  # the sheet cell of the table's first row and column
        self._count = 0

    @staticmethod
    def _set(bitmap, row):
        byte = row >> 3
        if byte >= len(bitmap):
            bitmap.extend(bytes(max(byte + 1 - len(bitmap), len(bitmap) // 2, 64)))
        bitmap[byte] |= 1 << (row & 7)

    @staticmethod
    def _get(bitmap, row):
        byte = row >> 3
        return byte < len(bitmap) and bool(bitmap[byte] & (1 << (row & 7)))

    def _add(self, row, column):
        """A formula in sheet cell (0-based row, 0-based column)."""
        self._set(self._columns.setdefault(column, bytearray()), row)

    def _place(self, start):
        """Number the cells as the table does: `start` is calamine's first used cell."""
        first_row, first_column = start
        self._origin = (first_row, first_column)
        for column in [c for c in self._columns if c < first_column]:
            del self._columns[column]
        count = 0
        for bitmap in self._columns.values():
            for byte in range(min(first_row >> 3, len(bitmap))):
                bitmap[byte] = 0
            if first_row & 7 and (first_row >> 3) < len(bitmap):
                bitmap[first_row >> 3] &= 0xFF << (first_row & 7) & 0xFF
            count += int.from_bytes(bitmap, "little").bit_count()
            if len(self._rows) < len(bitmap):
                self._rows.extend(bytes(len(bitmap) - len(self._rows)))
            for i, byte in enumerate(bitmap):
                if byte:
                    self._rows[i] |= byte
        self._count = count

    @property
    def rows(self):
        """The spreadsheet row numbers with a formula in any column (`number in formulas.rows`)."""
        return _FormulaRows(self._rows)

    def __contains__(self, cell):
        try:
            number, index = cell
            bitmap = self._columns.get(index + self._origin[1])
        except (TypeError, ValueError):
            return False
        return bitmap is not None and number - 1 >= self._origin[0] and self._get(bitmap, number - 1)

    def __iter__(self):
        first_column = self._origin[1]
        for column in sorted(self._columns):
            bitmap = self._columns[column]
            for byte_index, byte in enumerate(bitmap):
                if byte:
                    for bit in range(8):
                        if byte & (1 << bit):
                            yield (byte_index * 8 + bit + 1, column - first_column)

    def __len__(self):
        return self._count

    @classmethod
    def _from_iterable(cls, iterable):
        return set(iterable)

    def __repr__(self):
        return f"FormulaCells({sorted(self)!r})" if self._count <= 20 else f"<FormulaCells: {self._count} cells>"


class _FormulaRows(collections.abc.Container):
    def __init__(self, bitmap):
        self._bitmap = bitmap

    def __contains__(self, number):
        return isinstance(number, int) and number >= 1 and FormulaCells._get(self._bitmap, number - 1)


@dataclass
class SheetScan:
    """What the streamed pre-scan found in the first sheet (0-based sheet coordinates)."""

    rows: int = 0  # rows holding at least one value
    values: int = 0  # cells holding a value
    first_row: int = -1
    last_row: int = -1
    first_column: int = -1
    last_column: int = -1
    formulas: FormulaCells = field(default_factory=FormulaCells)

    @property
    def area(self):
        if self.values == 0:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)


def _scan_sheet(chunks, max_height, max_width, memory_left):
    """Read the sheet's XML once with expat and follow calamine's reading of it exactly
    (calamine 0.37, `XlsxCellReader::next_cell`): cells are read only inside the first
    `<sheetData>`; `<row r>` sets the row, the end of a row moves to the next one and back to
    column A; `<c r>` sets the column (its own row is its position), a cell without `r` takes
    the current row and column; every cell moves one column on. A cell with no child element
    has no value (calamine drops it). Every reference is checked (A1 form, within XFD1048576);
    the cells with a value must fit `max_height` rows × `max_width` columns and, with what
    calamine holds per cell, `memory_left` bytes. Stops at the first cell past a limit.

    The handlers run for every element of the sheet (millions): they are written for speed."""
    scan = SheetScan()
    add_formula = scan.formulas._add
    columns = _COLUMNS
    special = frozenset(("c", "row", "sheetData", "f"))
    digits_of = "0123456789"
    # 0 before <sheetData>, 1 inside it, 2 inside a cell, 3 after it
    state = 0
    in_row = False
    row_index = col_index = 0
    row_digits = None  # the `r` of the current <row>, as written
    row_start = 0
    valued = formula = False
    cell_row = cell_col = cell_start = 0
    last_counted = -1
    first_row = first_col = EXCEL_ROWS + EXCEL_COLUMNS
    last_row = last_col = -1
    values = rows = 0
    parser = _expat()

    def refuse_rows(row):
        raise ImportFileError(
            _("The sheet has data down to row %(row)s: more than the %(max)s data rows accepted.")
            % {"row": f"{row + 1:,}", "max": f"{max_height - 1:,}"}
        )

    def refuse_columns(row, col):
        raise ImportFileError(
            _("The sheet has data in column %(column)s (cell %(cell)s): more than the %(max)s "
              "columns accepted. Delete the columns that are not needed and save it again.")
            % {"column": _letters(col), "cell": f"{_letters(col)}{row + 1}", "max": max_width}
        )

    def refuse_area():
        raise ImportFileError(
            _("The sheet is too large to read (%(rows)s rows × %(columns)s columns used). Split it "
              "into smaller files, or save it as CSV.")
            % {"rows": f"{last_row - first_row + 1:,}", "columns": f"{last_col - first_col + 1:,}"}
        )

    def over_memory():
        return (last_row - first_row + 1) * (last_col - first_col + 1) * READER_BYTES_PER_CELL \
            + values * READER_BYTES_PER_VALUE > memory_left

    def start(name, attrs):
        nonlocal state, in_row, row_index, col_index, row_digits, row_start, valued, formula
        nonlocal cell_row, cell_col, cell_start
        if ":" in name:  # prefixed (x:c): calamine reads local names
            name = name.partition(":")[2]
        if state == 2:  # an element inside a cell: the cell has a value (is, v, f…)
            valued = True
            if name in special:
                if name != "f":  # a cell, row or sheetData inside a cell: calamine skips it
                    raise ImportFileError(XLSX_DAMAGED)
                formula = True
        elif name == "c":
            if state != 1:
                return
            ref = attrs[1] if attrs and attrs[0] == "r" else _attribute(attrs, "r")
            if ref is None:
                cell_row, cell_col = row_index, col_index
            else:
                if row_digits is not None and ref.endswith(row_digits):
                    cell_col = columns.get(ref[:-len(row_digits)])
                    cell_row = row_index
                else:
                    cell_col = None
                if cell_col is None:  # another row's reference, or letters not seen yet
                    letters = ref.rstrip(digits_of)
                    cell_col = columns.get(letters)
                    if cell_col is None:
                        cell_col = _column(letters, ref)
                    cell_row = _row_number(ref[len(letters):], ref)
                col_index = cell_col
            state = 2
            valued = formula = False
            if not in_row:
                cell_start = parser.CurrentByteIndex
        elif name == "row":
            if state != 1:
                return
            ref = attrs[1] if attrs and attrs[0] == "r" else _attribute(attrs, "r")
            if ref is not None:
                row_index = _row_number(ref, ref)
            row_digits = ref
            in_row = True
            row_start = parser.CurrentByteIndex
        elif name == "sheetData" and state == 0:
            state = 1

    def end(name):
        nonlocal state, in_row, row_index, col_index, row_digits, last_counted
        nonlocal first_row, first_col, last_row, last_col, values, rows
        if state == 2:
            if name != "c" and (":" not in name or name.partition(":")[2] != "c"):
                return
            state = 1
            col_index += 1
            if not in_row and parser.CurrentByteIndex - cell_start > ROW_MAX_XML:
                raise _row_too_long(cell_row + 1)
            if not valued:
                return
            values += 1
            if cell_row != last_counted:
                last_counted = cell_row
                rows += 1
                if cell_row > last_row:  # noqa: PLR1730  (no call: this runs per cell)
                    last_row = cell_row
                if cell_row < first_row:  # noqa: PLR1730  (no call: this runs per cell)
                    first_row = cell_row
                if last_row - first_row >= max_height or cell_row >= EXCEL_ROWS:
                    refuse_rows(cell_row)
            if cell_col > last_col or cell_col < first_col:
                if cell_col > last_col:  # noqa: PLR1730  (no call: this runs per cell)
                    last_col = cell_col
                if cell_col < first_col:  # noqa: PLR1730  (no call: this runs per cell)
                    first_col = cell_col
                if last_col - first_col >= max_width or cell_col >= EXCEL_COLUMNS:
                    refuse_columns(cell_row, cell_col)
            if formula:
                add_formula(cell_row, cell_col)
        elif state == 1:
            local = name.partition(":")[2] if ":" in name else name
            if local == "row":
                if parser.CurrentByteIndex - row_start > ROW_MAX_XML:
                    raise _row_too_long(row_index + 1)
                row_index += 1
                col_index = 0
                row_digits = None
                in_row = False
                if values and over_memory():
                    refuse_area()
            elif local == "sheetData":
                state = 3

    parser.ordered_attributes = True  # [name, value, …]: cheaper than a dict per element
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _feed(parser, chunks)
    if values and over_memory():
        refuse_area()
    scan.rows, scan.values = rows, values
    if values:
        scan.first_row, scan.last_row, scan.first_column, scan.last_column = first_row, last_row, first_col, last_col
    return scan


def _scan_shared_strings(chunks):
    """(strings, bytes) of xl/sharedStrings.xml, checked with expat (well-formed, no DTD);
    refused when the count of unique strings it declares is more than it holds: calamine
    reserves room for that many before reading (uniqueCount="4000000000" aborts it)."""
    totals = {"strings": 0, "bytes": 0}
    root = []

    def counted():
        tail = b""
        for chunk in chunks:
            totals["bytes"] += len(chunk)
            window = tail + chunk
            totals["strings"] += len(_SHARED_STRING.findall(window)) - len(_SHARED_STRING.findall(tail))
            tail = window[-64:]
            yield chunk

    def first(name, attrs):
        root.append(attrs.get("uniqueCount"))
        parser.StartElementHandler = None  # the rest at expat's own speed

    parser = _expat()
    parser.StartElementHandler = first
    _feed(parser, counted())
    declared = root[0] if root else None
    if declared is not None and not (declared.isascii() and declared.isdigit() and int(declared) <= totals["strings"]):
        raise ImportFileError(XLSX_DAMAGED)
    return totals["strings"], totals["bytes"]


def check_xlsx(data):
    """Refuse a workbook before any reader parses it when it could hurt the server: a zip bomb
    (declared or real sizes), damaged or lying zip entries, member names that leave the archive
    or that a reader could resolve otherwise, XML with a DTD anywhere, a first sheet whose true
    used range passes the row, column or memory limits, or a malformed cell reference.

    Returns the `SheetScan` of the first sheet."""
    try:
        return _check_xlsx(data)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            OverflowError, RuntimeError, NotImplementedError, expat.ExpatError, struct.error) as exc:
        log.info("XLSX refused as damaged: %s: %s", type(exc).__name__, _for_log(exc))
        raise ImportFileError(XLSX_DAMAGED) from None


def _check_xlsx(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = archive.infolist()
    if len(members) > 10_000:
        raise ImportFileError(_("The workbook has too many parts (%(n)d).") % {"n": len(members)})
    parts = {}
    for member in members:
        name = member.filename
        if (name.startswith(("/", "\\")) or ".." in name.split("/") or "\\" in name or ":" in name
                or "&" in name or any(ord(ch) < 32 for ch in name)):
            raise ImportFileError(_("The workbook contains an unsafe part name (%(name)s).") % {"name": name[:80]})
        if name.lower() in parts:  # calamine finds parts by name in any case: one each
            raise ImportFileError(XLSX_DAMAGED)
        parts[name.lower()] = member
    expanded = sum(m.file_size for m in members)
    limit = settings.KKMP_IMPORT_MAX_UNCOMPRESSED_MB * 1024 * 1024
    if expanded > limit or (expanded > 20 * 1024 * 1024 and expanded > 100 * max(len(data), 1)):
        raise ImportFileError(_bomb_message(expanded))
    budget = _Budget(data)
    sheet = _first_sheet(archive, parts, budget)
    memory_left = settings.KKMP_IMPORT_READER_MEMORY_MB * 1024 * 1024 - READER_BASE_BYTES - 2 * len(data)
    strings = parts.get("xl/sharedstrings.xml")
    if strings is not None:
        count, size = _scan_shared_strings(_part_chunks(archive, strings, budget))
        memory_left -= size + count * READER_BYTES_PER_STRING
    if memory_left <= 0:
        raise ImportFileError(_limits_message())
    max_height = min(settings.KKMP_IMPORT_MAX_ROWS + 1, EXCEL_ROWS)
    max_width = min(settings.KKMP_IMPORT_MAX_COLUMNS, EXCEL_COLUMNS)
    scan = _scan_sheet(_part_chunks(archive, sheet, budget), max_height, max_width, memory_left)
    done = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedstrings.xml", sheet.filename.lower()}
    for name, member in parts.items():
        if name not in done and name.endswith((".xml", ".rels")):
            _drain(_part_chunks(archive, member, budget))
    return scan


# --- XLSX: reading it in the reader process -----------------------------------------------

READER = Path(__file__).with_name("xlsx_reader.py")
_MESSAGE_LIMIT = 4 * ROW_MAX_CHARS + 65536  # one row past this is longer than ROW_MAX_CHARS


class _Values(pickle.Unpickler):
    """The reader's messages hold lists, numbers, text and dates; nothing else is loaded."""

    ALLOWED = {  # noqa: RUF012  (read only)
        ("datetime", "date"): date, ("datetime", "datetime"): datetime,
        ("datetime", "time"): clock, ("datetime", "timedelta"): timedelta,
    }

    def find_class(self, module, name):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name}") from None


class _Reader:
    """python-calamine in a child process (`imports/xlsx_reader.py`) with its memory and CPU
    capped; messages come back over a pipe. Killed when this object goes away."""

    def __init__(self, data, seconds):
        self.wait_left = seconds
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115  (closed with the reader)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(READER),
             str(settings.KKMP_IMPORT_READER_MEMORY_MB), str(max(1, int(seconds + 0.999)))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, bufsize=0,
            env={"LC_ALL": "C.UTF-8"}, close_fds=True,
        )
        self.poll = select.poll()
        self.poll.register(self.proc.stdout.fileno(), select.POLLIN)
        self.feeder = threading.Thread(target=self._feed, args=(data,), daemon=True)
        self.feeder.start()

    def _feed(self, data):
        try:
            self.proc.stdin.write(data)
        except OSError:  # the reader ended early: its exit says why
            pass
        finally:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def _read(self, size):
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        while len(buf) < size:
            started = time.monotonic()
            ready = self.poll.poll(max(self.wait_left, 0) * 1000)
            self.wait_left -= time.monotonic() - started
            if not ready:
                self._fail("timed out")
            chunk = os.read(fd, min(size - len(buf), 1024 * 1024))
            if not chunk:
                return None
            buf += chunk
        return buf

    def recv(self, next_row=None):
        header = self._read(8)
        if header is None or len(header) < 8:
            self._fail("ended")
        (size,) = struct.unpack("<Q", header)
        if size > _MESSAGE_LIMIT:
            self.close()
            if next_row is not None:
                raise _row_too_long(next_row)
            raise ImportFileError(_limits_message())
        payload = self._read(size)
        if payload is None:
            self._fail("ended")
        try:
            message = _Values(io.BytesIO(payload)).load()
        except Exception:  # noqa: BLE001  (a reader that writes nonsense is broken)
            self._fail("sent an unreadable message")
        kind = message[0]
        if kind in ("head", "rows", "end"):
            return message
        self.close()
        detail = message[1] if len(message) > 1 else ""
        if kind == "limits":
            log.warning("XLSX reader over its limits: %s", _for_log(detail))
            raise ImportFileError(_limits_message())
        if kind == "damaged":
            log.info("XLSX refused by the reader: %s", _for_log(detail))
            raise ImportFileError(XLSX_DAMAGED)
        raise RuntimeError(f"the XLSX reader is broken: {_for_log(detail)}")

    def _fail(self, what):
        """The reader stopped without saying why (a signal: out of memory, CPU) or took too
        long: the workbook is refused as beyond the limits."""
        self.close()
        code = self.proc.returncode
        self.stderr.seek(0)
        detail = self.stderr.read(600).decode("utf-8", "replace").strip().replace("\n", " | ")
        log.warning("XLSX reader %s (exit status %s): %s", what, code, _for_log(detail, 600))
        raise ImportFileError(_limits_message())

    def close(self):
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self.feeder.join(5)
        proc.stdout.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110  (interpreter shutdown)
            pass


def _streamed(reader, first_rows, next_row):
    """The rows after the header: the rest of the first message, then the others."""
    started = time.monotonic()
    try:
        yield first_rows
        while True:
            message = reader.recv(next_row)
            if message[0] == "end":
                peak = message[1] if len(message) > 1 else None
                log.info("XLSX read: up to row %s, %.1f s of reading, reader peak %s MiB", next_row - 1,
                         time.monotonic() - started, peak // 1024 if peak else "?")
                break
            next_row += len(message[1])
            yield message[1]
    finally:
        reader.close()


def _xlsx_table(data):
    # One time budget, KKMP_IMPORT_READER_SECONDS, for the scan and the reader together.
    started = time.monotonic()
    scan = check_xlsx(data)
    left = settings.KKMP_IMPORT_READER_SECONDS - (time.monotonic() - started)
    if left <= 0:
        raise ImportFileError(_limits_message())
    reader = _Reader(data, left)
    message = reader.recv()
    if message[0] != "head":
        reader.close()
        raise ImportFileError(XLSX_DAMAGED)
    start = message[1]
    rows = []
    while not rows:
        message = reader.recv(start[0] + 1 if start else None)
        if message[0] == "end":
            break
        rows = message[1]
    if start is None or not rows:
        reader.close()
        raise ImportFileError(_("The file is empty."))
    scan.formulas._place(start)
    headers = rows[0]
    first = start[0]  # data rows start below the header, at sheet row first + 2
    chunks = _streamed(reader, rows[1:], first + len(rows) + 1)
    rows_out = zip(itertools.count(first + 2), itertools.chain.from_iterable(chunks))
    return Table(list(headers), scan.rows, rows_out, "XLSX", scan.formulas)


def read_table(data, filename=""):
    """A `Table` from the bytes of a CSV or XLSX file. The format is told from the content."""
    max_bytes = settings.KKMP_IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    if len(data) > max_bytes:
        raise ImportFileError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": len(data) / 1024 / 1024, "limit": settings.KKMP_IMPORT_MAX_UPLOAD_MB}
        )
    if not data or data.isspace():  # (not data.strip(): a copy of the whole file)
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
    # A binary file has NUL bytes all over; a CSV may carry a stray one in a cell (reported on
    # its row as a control character, not as a file that is not text).
    head = data[:4096]
    if head.count(b"\x00") * 100 > max(len(head), 1000) and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
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
            raise ImportFileError(_(
                "The file has more than %(max)s data rows. Split it into smaller files (for "
                "example one per kecamatan) and import them one after the other."
            ) % {"max": f"{limit:,}"})
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
