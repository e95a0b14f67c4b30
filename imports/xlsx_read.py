"""Reading a checked workbook: the streaming reader in a child process (`imports/xlsx_reader.py`
and `xlsx_sheet.py`, started by `_Reader` through `kkmp.isolated`, as the QR decoder is) capped
in memory and time, whose messages come back over a pipe and are unpickled as plain values and
dates only; `_xlsx_table` runs the checks (`check_xlsx`) and the reader under one time budget
and streams each sheet's rows into a `Table` (`_Sheets`) as the reader parses them. A sheet
past a limit is refused by the reader as it reads it (`refusal_message`); a workbook that
still makes the reader blow up ends the child, not the web or task worker, and is refused with
a plain message.
"""

import logging
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from kkmp.isolated import Child, ChildStopped, MessageTooLong

from .table import ROW_MAX_CHARS, ImportFileError, Source, Table, _row_too_long, seconds_left
from .xlsx_checks import _for_log, _limits_message, check_xlsx
from .xlsx_scan import XLSX_DAMAGED, FormulaCells, refusal_message

log = logging.getLogger(__name__)

READER = Path(__file__).with_name("xlsx_reader.py")
_MESSAGE_LIMIT = 4 * ROW_MAX_CHARS + 65536  # one row past this is longer than ROW_MAX_CHARS


# The reader's messages hold lists, numbers, text and dates; nothing else is unpickled.
_DATES = {
    ("datetime", "date"): date, ("datetime", "datetime"): datetime,
    ("datetime", "time"): clock, ("datetime", "timedelta"): timedelta,
}
# The reader's own alarm, a last resort: the parent stops waiting long before (`seconds` counts
# only the time spent waiting for it, not the importer's work between its messages).
WALL_SECONDS = 600


class _Reader(Child):
    """The streaming reader in a child process (`imports/xlsx_reader.py`, run by
    `kkmp.isolated`) with its memory and CPU capped, fed the workbook from `source` (bytes, a
    path or a `Source`, streamed) and told the limits the checks leave to it (`checked`, a
    `xlsx_checks.Checked`); killed when this object goes away."""

    def __init__(self, source, seconds, checked):
        args = (checked.max_height, checked.max_width, checked.row_max_xml, checked.sheet_bytes)
        super().__init__(READER, Source.of(source).chunks(), memory_mb=settings.KKMP_IMPORT_READER_MEMORY_MB,
                         cpu_seconds=seconds + 0.999, seconds=seconds, lifetime=WALL_SECONDS, allowed=_DATES,
                         args=args)

    def recv(self, next_row=None):
        """The next message: head, rows or end. A row longer than ROW_MAX_CHARS, a reader
        over its limits or ended without a word, a sheet past a limit and a workbook the reader
        cannot read are plain refusals (`ImportFileError`)."""
        try:
            message = super().recv(limit=_MESSAGE_LIMIT)
        except MessageTooLong:
            raise (_row_too_long(next_row) if next_row is not None else ImportFileError(_limits_message())) from None
        except ChildStopped as stop:  # a signal (out of memory, CPU), or too slow
            log.warning("XLSX reader %s (exit status %s): %s", stop.what, stop.returncode, _for_log(stop.detail, 600))
            raise ImportFileError(_limits_message()) from None
        kind = message[0]
        if kind in ("head", "rows", "end"):
            return message
        self.close()
        detail = message[1] if len(message) > 1 else ""
        if kind == "refused":
            log.info("XLSX refused by the reader: %s", _for_log(message[1:]))
            raise refusal_message(message[1], message[2])
        if kind == "limits":
            log.warning("XLSX reader over its limits: %s", _for_log(detail))
            raise ImportFileError(_limits_message())
        if kind == "damaged":
            log.info("XLSX refused by the reader: %s", _for_log(detail))
            raise ImportFileError(XLSX_DAMAGED)
        raise RuntimeError(f"the XLSX reader is broken: {_for_log(detail)}")


class _Sheets:
    """The workbook's sheets as they come from the reader, one `Table` each, in order: a
    sheet's rows are streamed, and `next_table()` (the `Table.next_sheet` of the one before)
    reads on to the next sheet's head, skipping what is left of the current one. The reader
    sends only the rows holding a value; the rows between them come back blank, as wide as
    the header, so that every row keeps its number."""

    def __init__(self, reader):
        self.reader = reader
        self.head = None  # the next sheet's head, once met
        self.ended = False
        self.started = time.monotonic()
        self.current = None

    def _recv(self, next_row=None):
        message = self.reader.recv(next_row)
        if message[0] == "end":
            self.ended = True
            peak = message[1] if len(message) > 1 else None
            log.info("XLSX read: %.1f s of reading, reader peak %s MiB", time.monotonic() - self.started,
                     peak // 1024 if peak else "?")
            self.reader.close()
        elif message[0] == "head":
            self.head = message
        return message

    def next_table(self):
        if self.current is not None:  # the rest of the sheet before, unread
            for _row in self.current:
                pass
            self.current = None
        while not self.ended:
            head = self.head or self._recv()
            self.head = None
            if head[0] != "head":
                self.reader.close()
                raise ImportFileError(XLSX_DAMAGED)
            _kind, name, _index, estimate = head
            message = None
            while not self.ended and self.head is None:
                message = self._recv()
                if message[0] == "rows" and message[1]:
                    break
                message = None
            if message is None:
                continue  # an empty sheet
            formulas = FormulaCells()
            (number, headers), *rows = message[1]
            for cell in message[2]:
                formulas.add(*cell)
            self.current = self._rows(rows, number, len(headers), formulas)
            return Table(list(headers), max(estimate - 1, len(rows)), self.current, "XLSX", formulas,
                         sheet_name=name, next_sheet=self.next_table)
        return None

    def _rows(self, rows, header, width, formulas):
        """The rows after the header, numbered, up to the next sheet's head or the end: the rest
        of the first message, then the others."""
        last = header
        while True:
            for number, row in rows:
                while last + 1 < number:  # rows with no value in between
                    last += 1
                    yield last, [""] * width
                last = number
                yield number, row
            if self.ended or self.head is not None:
                return
            message = self._recv(last + 1)
            if message[0] != "rows":
                return
            rows = message[1]
            for cell in message[2]:
                formulas.add(*cell)


def _xlsx_table(source, max_rows=None):
    # One time budget for the checks and the reader together: the request's or task's
    # (`table.time_budget`), else KKMP_IMPORT_READER_SECONDS.
    # The checks run once per file: a second read of the same `Source` (the error file after
    # the check) reuses their result instead of checking the workbook again.
    checked = source.checked if getattr(source, "checked", None) is not None else check_xlsx(source, max_rows)
    source.checked = checked
    left = seconds_left()
    if left <= 0:
        raise ImportFileError(_limits_message())
    reader = _Reader(source, left, checked)
    try:
        table = _Sheets(reader).next_table()
    except BaseException:
        reader.close()
        raise
    if table is None:
        raise ImportFileError(_("The file is empty."))
    return table
