"""What every reader of an uploaded file produces and how it refuses one: `Table` (the headers,
a row estimate and an iterator of numbered rows), `ImportFileError` (the whole file refused, in
the user's language, with nothing changed) and the one limit every reader applies, the length
of a row (`ROW_MAX_CHARS`). Shared by the CSV reader (`files.py`) and the XLSX modules.
"""

import contextlib
import contextvars
import hashlib
import io
import os
import time
from dataclasses import dataclass, field

from django.conf import settings
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


class Source:
    """An uploaded file's bytes, in memory (`bytes`) or on disk (a path): its size, its first
    bytes, a checksum, and a fresh binary stream whenever one is opened. A file on disk is read
    as a stream by every reader (the CSV reader, the workbook's checks, the feed of the XLSX
    reader's child, the error file), so a city's 100 MB extract is never held in memory."""

    def __init__(self, data=None, path=None):
        self.data, self.path = data, path
        self.checked = None  # a workbook's `xlsx_checks.Checked`, once its checks passed
        self.size = len(data) if data is not None else os.path.getsize(path)

    @classmethod
    def of(cls, value):
        if isinstance(value, cls):
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return cls(data=bytes(value))
        return cls(path=os.fspath(value))

    def open(self):
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")  # noqa: SIM115

    def head(self, size):
        if self.data is not None:
            return self.data[:size]
        with self.open() as fh:
            return fh.read(size)

    def chunks(self, size=1024 * 1024):
        with self.open() as fh:
            while chunk := fh.read(size):
                yield chunk

    def sha256(self):
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()


# --- One time budget for all the reading a request (or a task) does ----------------------
# The workbook's checks, its reader and a second read for the error file all spend from one
# deadline: a request must answer well before the web server's timeout, however many times
# the file is read. Outside any budget (the commands, tests), KKMP_IMPORT_READER_SECONDS.

_budget = contextvars.ContextVar("import_budget", default=None)  # (deadline, seconds)


@contextlib.contextmanager
def time_budget(seconds):
    """Everything read inside shares `seconds` (an inner budget never extends an outer one)."""
    outer = _budget.get()
    budget = (time.monotonic() + seconds, seconds)
    token = _budget.set(min(budget, outer) if outer is not None else budget)
    try:
        yield
    finally:
        _budget.reset(token)


def seconds_left():
    budget = _budget.get()
    if budget is None:
        return float(settings.KKMP_IMPORT_READER_SECONDS)
    return budget[0] - time.monotonic()


def budget_seconds():
    """The seconds of the budget in force, for messages ("within N seconds")."""
    budget = _budget.get()
    return settings.KKMP_IMPORT_READER_SECONDS if budget is None else budget[1]
