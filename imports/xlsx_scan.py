"""What the parent knows of a sheet it does not read itself: the strict parser every XML part
goes through in `xlsx_checks.py` (well-formed UTF-8, no DTD), `FormulaCells` (which cells hold a
formula, one bit per row and column, filled as the reader's rows come) and the messages of the
refusals the isolated reader (`xlsx_reader.py`, `xlsx_sheet.py`) sends as codes
(`refusal_message`). The sheet's limits (Excel's size, one row's XML) live here too.
"""

import collections.abc
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


def _dtd_message():  # noqa: N802
    return _("The workbook contains an XML DTD, which spreadsheets never need; it is refused.")


def _refuse_dtd(*_args):
    raise ImportFileError(_dtd_message())


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


def _letters(column):
    """0 → A, 16383 → XFD."""
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


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
        self._row_numbers = set()  # the rows `add` was told of: `number in rows` at C speed

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

    def add(self, number, index):
        """A formula in the table's cell (spreadsheet row number, column index), as the
        reader's rows come (the table's first row and column are the sheet's origin here)."""
        bitmap = self._columns.setdefault(index, bytearray())
        if not self._get(bitmap, number - 1):
            self._set(bitmap, number - 1)
            self._set(self._rows, number - 1)
            self._count += 1
            self._row_numbers.add(number)

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
        """The spreadsheet row numbers with a formula in any column (`number in formulas.rows`):
        a set when the cells came from the reader's rows (`add`), else read from the bitmap."""
        return self._row_numbers if self._row_numbers or not self._count else _FormulaRows(self._rows)

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


def _refuse_rows(row, max_rows):
    return ImportFileError(
        _("The sheet has data down to row %(row)s: more than the %(max)s data rows accepted.")
        % {"row": f"{row:,}", "max": f"{max_rows:,}"}
    )


def _refuse_columns(col, row, max_width):
    return ImportFileError(
        _("The sheet has data in column %(column)s (cell %(cell)s): more than the %(max)s "
          "columns accepted. Delete the columns that are not needed and save it again.")
        % {"column": _letters(col), "cell": f"{_letters(col)}{row}", "max": max_width}
    )


def refusal_message(code, details):
    """The `ImportFileError` for a refusal the reader sent as ("refused", code, details)."""
    if code == "rows":
        return _refuse_rows(*details)
    if code == "columns":
        return _refuse_columns(*details)
    if code == "reference":
        return _bad_reference(details[0])
    if code == "row_too_long":
        return _row_too_long(details[0])
    if code == "dtd":
        return ImportFileError(_dtd_message())
    if code == "bomb":
        return ImportFileError(_(
            "The workbook expands to far more than its own size when unpacked; it is refused as "
            "a possible zip bomb."
        ))
    return ImportFileError(XLSX_DAMAGED)
