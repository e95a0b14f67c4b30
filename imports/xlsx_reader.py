"""The XLSX reader's own process: python-calamine on an uploaded workbook, behind limits.

`imports.xlsx_read._Reader` runs this file as a job of `kkmp.isolated` (`kkmp/isolated_child.py`
caps the address space and CPU time, turns off core dumps and sets an alarm before `run` is
called), writes the workbook to its stdin and reads the sheets back (the first, then every other
but OpenSID's `Kode Data`). A workbook that makes the reader allocate without bound (calamine
aborts the whole process when an allocation fails) or spin ends this process only: the parent
sees a signal or a "limits" message and refuses the file with a plain message.

It imports neither Django nor the project (it runs with `-I`, an empty environment and no
access to the settings or the database): only the standard library and python-calamine.

Messages (`channel.send`: an 8-byte length and a pickle of a tuple):
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

ROWS_PER_MESSAGE = 2_000
MAX_MESSAGE = 4 * 1024 * 1024  # a message above this is split (rows holding long texts)


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


def run(channel):
    """The job (`kkmp/isolated_child.py` set the limits): read the workbook from the parent,
    send its sheets."""
    send = channel.send
    try:
        from python_calamine import CalamineWorkbook
    except BaseException as exc:  # noqa: BLE001  (a broken installation, not a bad file)
        send(("internal", f"{type(exc).__name__}: {exc}"[:300]))
        return 4
    try:
        data = channel.stdin.read()
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
        send(("end", channel.peak_kib()))
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
