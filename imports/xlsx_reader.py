"""The XLSX reader's own process: python-calamine on an uploaded workbook, behind limits.

`imports.xlsx_read` starts this file as a child (`python -I imports/xlsx_reader.py MEMORY_MB
SECONDS`), writes the workbook to its stdin and reads the sheets back from its stdout (the first, then every other but OpenSID's `Kode Data`).
Before it touches the workbook the child caps its own address space (RLIMIT_AS) and CPU time
(RLIMIT_CPU), turns off core dumps and sets an alarm, so a workbook that makes the reader
allocate without bound (calamine aborts the whole process when an allocation fails) or spin
ends this process only: the parent sees a signal or a "limits" message and refuses the file
with a plain message.

It imports neither Django nor the project (it runs with `-I`, an empty environment and no
access to the settings or the database): only the standard library and python-calamine.

Protocol on stdout: messages, each an 8-byte little-endian length and a pickle of a tuple:
  ("head", start, name, index)  a sheet begins (every sheet but `Kode Data`, in order):
                       `sheet.start`, the (row, column) of its first used cell (None when
                       empty), its name and its index in the workbook
  ("rows", [row, ...]) the next rows of the used range, each a list of calamine values
  ("end", peak)        every row was sent; `peak`: this process's peak RSS in KiB (or None)
  ("limits", detail)   out of memory (the parent refuses the file: server limits)
  ("damaged", detail)  calamine refused the workbook (the parent refuses it as damaged)
  ("internal", detail) this process is broken (python-calamine missing…): a server fault
A crash (signal) ends the stream without a final message.
"""

import io
import itertools
import pickle
import resource
import signal
import struct
import sys

ROWS_PER_MESSAGE = 2_000
MAX_MESSAGE = 4 * 1024 * 1024  # a message above this is split (rows holding long texts)
WALL_SECONDS = 600  # a last resort: the parent stops reading long before


def _limit(memory_mb, cpu_seconds):
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.alarm(WALL_SECONDS)


def _sender(out):
    def send(message, payload=None):
        if payload is None:
            payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(struct.pack("<Q", len(payload)))
        out.write(payload)
        out.flush()

    return send


def _send_rows(send, chunk):
    """One message for the chunk, or several when its rows hold long texts."""
    payload = pickle.dumps(("rows", chunk), protocol=pickle.HIGHEST_PROTOCOL)
    if len(payload) <= MAX_MESSAGE or len(chunk) == 1:
        send(None, payload)
        return
    pieces = -(-len(payload) // MAX_MESSAGE)
    size = max(1, len(chunk) // pieces)
    del payload
    for start in range(0, len(chunk), size):
        _send_rows(send, chunk[start:start + size])


def _peak_kib():
    """This process's peak resident memory (VmHWM: getrusage's ru_maxrss would include the
    parent's, inherited through fork and exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


SKIPPED_SHEETS = {"kodedata"}


def _send_sheet(send, sheet, name, index):
    """("head", start, name, index) then the sheet's rows."""
    start = sheet.start
    send(("head", start, name, index))
    rows = sheet.iter_rows()
    # python-calamine 0.9 iterates from the sheet's first row, not from the first used one
    # (its columns do start at the first used one): skip the leading empty rows, so that
    # the first row sent is the sheet's row start[0] whatever the version does.
    if start and start[0] > 0:
        first = next(rows, None)
        if first is not None and not any(cell != "" for cell in first):
            for _skipped in itertools.islice(rows, start[0] - 1):
                pass
            first = None
        if first is not None:
            rows = itertools.chain([first], rows)
    while True:
        chunk = list(itertools.islice(rows, ROWS_PER_MESSAGE))
        if not chunk:
            break
        _send_rows(send, chunk)


def main(argv):
    memory_mb, cpu_seconds = int(argv[1]), int(argv[2])
    _limit(memory_mb, cpu_seconds)
    send = _sender(sys.stdout.buffer)
    try:
        from python_calamine import CalamineWorkbook
    except BaseException as exc:  # noqa: BLE001  (a broken installation, not a bad file)
        send(("internal", f"{type(exc).__name__}: {exc}"[:300]))
        return 4
    try:
        data = sys.stdin.buffer.read()
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        del data
        # Every sheet but OpenSID's code list, one after the other (OpenSID's own importer
        # reads them all): a workbook with one sheet per kelurahan.
        for index, name in enumerate(book.sheet_names):
            if "".join(name.lower().split()) in SKIPPED_SHEETS:
                continue
            sheet = book.get_sheet_by_index(index)
            _send_sheet(send, sheet, name, index)
            sheet = None
        send(("end", _peak_kib()))
        return 0
    except MemoryError:
        sheet = book = None  # free what can be freed, then say so
        send(("limits", "memory"))
        return 3
    except BrokenPipeError:  # the parent stopped reading: nothing more to do
        return 0
    except BaseException as exc:  # noqa: BLE001  (calamine raises several types, pyo3 panics too)
        send(("damaged", f"{type(exc).__name__}: {exc}"[:300]))
        return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:
        sys.exit(0)
