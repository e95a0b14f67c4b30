"""What every reader of an uploaded file produces and how it refuses one: `Table` (the headers,
a row estimate and an iterator of numbered rows), `ImportFileError` (the whole file refused, in
the user's language, with nothing changed) and the one limit every reader applies, the length
of a row (`ROW_MAX_CHARS`). Shared by the CSV reader (`files.py`) and the XLSX modules.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


class ImportFileError(Exception):
    """The file as a whole cannot be imported (format, safety, columns); nothing is changed."""


@dataclass
class Table:
    """A sheet: original headers, an estimate of the row count, and a row iterator of
    `(spreadsheet row number, cells)` that skips blank rows, for one sheet.

    `formulas`: the `(spreadsheet row number, column index)` of the cells that hold a formula
    (XLSX; the column index is the cell's index in `headers` and in each row's cells). A
    set-like `FormulaCells` for a workbook, an empty set for a CSV."""

    headers: list
    estimated_rows: int
    rows: object
    file_type: str
    formulas: object = field(default_factory=frozenset)
    # A workbook's sheet: its name, and a callable giving the next sheet's `Table` (None after
    # the last one; it skips what is left of this sheet). A CSV is one table without a name.
    sheet_name: str = ""
    next_sheet: object = None

    def sheets(self):
        """This table, then every next sheet's."""
        table = self
        while table is not None:
            yield table
            table = table.next_sheet() if table.next_sheet else None


# A row of a file (CSV or XLSX) may not be longer than this many characters: no household or
# member row comes near, and it bounds what one row costs in memory before it is checked.
ROW_MAX_CHARS = 1024 * 1024


def _row_too_long(number):
    return ImportFileError(
        _("Row %(row)s is longer than %(max)s characters; the file is refused.")
        % {"row": f"{number:,}", "max": f"{ROW_MAX_CHARS:,}"}
    )
