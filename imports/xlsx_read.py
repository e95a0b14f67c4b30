"""Reading a checked workbook: python-calamine in a child process (`imports/xlsx_reader.py`,
started by `_Reader`) capped in memory and time, whose messages come back over a pipe and are
unpickled as plain values only (`_Values`); `_xlsx_table` runs the checks (`check_xlsx`) and the
reader under one time budget and streams the rows into a `Table` (`_streamed`). A workbook
that still makes the reader blow up ends the child, not the web or task worker, and is
refused with a plain message.
"""

import io
import itertools
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .table import ROW_MAX_CHARS, ImportFileError, Source, Table, _row_too_long, seconds_left
from .xlsx_checks import _for_log, _limits_message, check_xlsx
from .xlsx_scan import XLSX_DAMAGED

log = logging.getLogger(__name__)

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

    def __init__(self, source, seconds):
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
        self.feeder = threading.Thread(target=self._feed, args=(Source.of(source),), daemon=True)
        self.feeder.start()

    def _feed(self, source):
        try:
            for chunk in source.chunks():
                self.proc.stdin.write(chunk)
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


class _Sheets:
    """The workbook's sheets as they come from the reader, one `Table` each, in order: a
    sheet's rows are streamed, and `next_table()` (the `Table.next_sheet` of the one before)
    reads on to the next sheet's head, skipping what is left of the current one."""

    def __init__(self, reader, scan):
        self.reader, self.scan = reader, scan
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
            _kind, start, name, index = head
            rows = []
            while not rows and not self.ended and self.head is None:
                message = self._recv(start[0] + 1 if start else None)
                if message[0] == "rows":
                    rows = message[1]
            if start is None or not rows:
                continue  # an empty sheet
            formulas = self.scan.formulas if index == 0 else frozenset()
            if index == 0:
                self.scan.formulas._place(start)
            first = start[0]  # data rows start below the header, at sheet row first + 2
            self.current = self._rows(rows[1:], first + len(rows) + 1)
            numbered = zip(itertools.count(first + 2), itertools.chain.from_iterable(self.current))
            return Table(list(rows[0]), self.scan.rows if index == 0 else 0, numbered, "XLSX", formulas,
                         sheet_name=name, next_sheet=self.next_table)
        return None

    def _rows(self, first_rows, next_row):
        """The rows after the header: the rest of the first message, then the others, up to
        the next sheet's head or the end."""
        yield first_rows
        while not self.ended and self.head is None:
            message = self._recv(next_row)
            if message[0] != "rows":
                break
            next_row += len(message[1])
            yield message[1]


def _xlsx_table(source, max_rows=None):
    # One time budget for the scan and the reader together: the request's or task's
    # (`table.time_budget`), else KKMP_IMPORT_READER_SECONDS.
    # The checks run once per file: a second read of the same `Source` (the error file after
    # the check) reuses their result instead of scanning the sheet again.
    scan = source.checked if getattr(source, "checked", None) is not None else check_xlsx(source, max_rows)
    source.checked = scan
    left = seconds_left()
    if left <= 0:
        raise ImportFileError(_limits_message())
    reader = _Reader(source, left)
    try:
        table = _Sheets(reader, scan).next_table()
    except BaseException:
        reader.close()
        raise
    if table is None:
        raise ImportFileError(_("The file is empty."))
    return table
