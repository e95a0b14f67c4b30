"""The first sheet of a workbook, scanned with expat before any reader sees it: the strict
parser every XML part goes through (well-formed UTF-8, no DTD), the cell references
(A1 form, within XFD1048576), `FormulaCells` (which cells hold a formula, one bit per row and
column) and `_scan_sheet`, which follows python-calamine's own rules for rows and cells
without a reference and returns the sheet's true used range as a `SheetScan`; the
`<dimension>` a file claims is ignored (calamine does not trust it either). The limits on the
sheet (Excel's size, one row's XML, what the reader holds per cell) live here too.
"""

import collections.abc
from dataclasses import dataclass, field
from xml.parsers import expat

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .table import ROW_MAX_CHARS, ImportFileError, _row_too_long

XLSX_DAMAGED = gettext_lazy(  # lazy: in the language of whoever reads the refusal
    "The XLSX file is damaged or is not an Excel workbook. Open it in Excel or LibreOffice and "
    "save it again as .xlsx."
)

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384  # XFD
# One row of a sheet's XML: 8 MiB of XML hold more than ROW_MAX_CHARS characters, however
# they are escaped (`&amp;` is 5 bytes for one character).
ROW_MAX_XML = 8 * ROW_MAX_CHARS
# What python-calamine holds per cell, measured (calamine 0.37): every cell of the used range
# (32 bytes) and, for each cell with a value, its parsed form and text (~64 bytes); what it
# holds for each shared string and the interpreter with the workbook: `xlsx_checks.py`.
READER_BYTES_PER_CELL = 32
READER_BYTES_PER_VALUE = 64


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
            if parser.CurrentByteIndex - (row_start if in_row else cell_start) > ROW_MAX_XML:
                # at the cell past the limit, not at the end of the row: a row of 100 MB of
                # empty cells is refused after its first 8 MB (issue 24, point 3)
                raise _row_too_long((row_index if in_row else cell_row) + 1)
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
