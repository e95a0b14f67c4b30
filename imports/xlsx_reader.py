"""The XLSX reader's own process: an uploaded workbook's sheets streamed, behind limits.

`imports.xlsx_read._Reader` runs this file as a job of `kkmp.isolated` (`kkmp/isolated_child.py`
caps the address space and CPU time, turns off core dumps and sets an alarm before `run` is
called), writes the workbook to its stdin and reads the sheets back: every sheet but OpenSID's
`Kode Data`, in the workbook's order, each unpacked as a stream and read by `xlsx_sheet.py` as it
is unpacked, so this process holds the workbook's bytes, its shared strings and one chunk of a
sheet, never a whole sheet. The sheet's checks (its real size against the unpacked budget, its
XML, its references, the row, column and row-length limits) are applied as it is read: a sheet
past a limit is refused at the first byte past it. A workbook that still makes this process
allocate without bound or spin ends this process only: the parent sees a signal or a "limits"
message and refuses the file with a plain message.

It imports neither Django nor the project (it runs with `-I`, an empty environment and no
access to the settings or the database): only the standard library and `xlsx_sheet.py`, `xlsx_cells.py` beside it.

Arguments: max_height (sheet rows from the first used one), max_width (columns), row_max_xml
(bytes of one row's XML), bytes_left (what the sheets may unpack to in all).

Messages (`channel.send`: an 8-byte length and a pickle of a tuple):
  ("head", name, index, estimate)  a sheet begins (every sheet but `Kode Data`, in order): its
                       name, its index in the workbook and an estimate of its rows
  ("rows", [(number, cells), ...], formulas)  the next rows holding a value: the sheet's row
                       number and the cells from the table's first column (the first cell of the
                       sheet's first row with a value), at least as many as the header's; the
                       formula cells among them as (row number, column index)
  ("end", peak)        every row was sent; `peak`: this process's peak RSS in KiB (or None)
  ("refused", code, details)  a sheet past a limit (`xlsx_cells.Refused`), or "bomb"
  ("limits", detail)   out of memory (the parent refuses the file: server limits)
  ("damaged", detail)  the workbook is not readable (the parent refuses it as damaged)
  ("internal", detail) this process is broken: a server fault
A crash (signal) ends the stream without a final message.
"""

import copy
import io
import pickle
import re
import sys
import zipfile
import zlib
from pathlib import Path
from xml.parsers import expat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import xlsx_cells  # noqa: E402  (beside this file: the job runs with -I, without the project)
import xlsx_sheet  # noqa: E402

ROWS_PER_MESSAGE = 2_000
MAX_MESSAGE = 4 * 1024 * 1024  # a message above this is split (rows holding long texts)
CHUNK = 1024 * 1024
SKIPPED_SHEETS = {"kodedata"}


def _send_rows(send, chunk, formulas):
    """One message for the chunk, or several when its rows hold long texts."""
    payload = pickle.dumps(("rows", chunk, formulas), protocol=pickle.HIGHEST_PROTOCOL)
    if len(payload) <= MAX_MESSAGE or len(chunk) == 1:
        send(None, payload)
        return
    del payload
    half = len(chunk) // 2
    middle = chunk[half][0]
    _send_rows(send, chunk[:half], [f for f in formulas if f[0] < middle])
    _send_rows(send, chunk[half:], [f for f in formulas if f[0] >= middle])


def _parse(data, start):
    parser = expat.ParserCreate("UTF-8")
    parser.StartDoctypeDeclHandler = _dtd
    parser.StartElementHandler = start
    parser.Parse(data, True)


def _dtd(*_args):
    raise xlsx_cells.Refused("dtd")


def _local(name):
    return name.partition(":")[2] if ":" in name else name


def _sheets(archive, parts):
    """[(name, part)] of the workbook's sheets in order, through xl/workbook.xml and its
    relationships (calamine's rules), and whether dates count from 1904."""
    sheets, date1904 = [], []

    def workbook(name, attrs):
        local = _local(name)
        if local == "sheet":
            ids = {attrs[key] for key in ("r:id", "relationships:id") if key in attrs}
            sheets.append((attrs.get("name", ""), ids.pop() if len(ids) == 1 else None))
        elif local == "workbookPr" and attrs.get("date1904") in ("1", "true"):
            date1904.append(True)

    _parse(archive.read(parts["xl/workbook.xml"]), workbook)
    targets = {}

    def relationship(name, attrs):
        if _local(name) == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse(archive.read(parts["xl/_rels/workbook.xml.rels"]), relationship)
    found = []
    for name, key in sheets:
        target = targets.get(key) or ""
        path = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else "xl/" + target
        info = parts.get(path.lower())
        if info is None or path.split("/")[1:2] not in (["worksheets"], ["chartsheets"], ["dialogsheets"]):
            raise xlsx_cells.Refused("damaged", "a sheet's part is missing")
        found.append((name, info))
    return found, bool(date1904)


_SI = re.compile(r'<si>(?:<t(?: xml:space="preserve")?>([^<]*)</t>|<t\s*/>)</si>|<si>(.*?)</si>|<si\s*/>', re.S)
_TEXT = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>")
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)


def _shared_strings(data):
    """The shared strings, in order: plain ones through `_SI`, rich text joined from its runs
    (phonetic runs aside); a part in another form (prefixed names) through expat."""
    text = data.decode("utf-8")
    strings = []
    append, unescape = strings.append, xlsx_cells.unescape
    for plain, rich in _SI.findall(text):
        if rich:
            plain = "".join(_TEXT.findall(_PHONETIC.sub("", rich)))
        append(unescape(plain) if "&" in plain or "\r" in plain else plain)
    if len(strings) != text.count("<si"):
        return _shared_strings_expat(data)
    return strings


def _shared_strings_expat(data):
    strings, path, parts = [], [], []

    def start(name, _attrs):
        local = _local(name)
        path.append(local)
        if local == "si":
            parts.clear()

    def end(name):
        if path.pop() == "si":
            strings.append("".join(parts))

    def text(content):
        if path and path[-1] == "t" and "rPh" not in path:
            parts.append(content)

    parser = expat.ParserCreate("UTF-8")
    parser.StartDoctypeDeclHandler = _dtd
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.Parse(data, True)
    return strings


def _styles(archive, parts, date1904):
    """Which cell styles are dates or durations (xl/styles.xml's cellXfs and numFmts)."""
    info = parts.get("xl/styles.xml")
    if info is None:
        return xlsx_cells.Styles((), date1904)
    formats, ids, path = {}, [], []

    def start(name, attrs):
        local = _local(name)
        if local == "numFmt" and "numFmts" in path:
            formats[attrs.get("numFmtId", "")] = attrs.get("formatCode", "")
        elif local == "xf" and path and path[-1] == "cellXfs":
            ids.append(attrs.get("numFmtId", "0"))
        path.append(local)

    def end(_name):
        path.pop()

    parser = expat.ParserCreate("UTF-8")
    parser.StartDoctypeDeclHandler = _dtd
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.Parse(archive.read(info), True)
    kinds = []
    for number in ids:
        if number in formats:
            kinds.append(xlsx_cells.format_kind(formats[number]))
        elif number.isdigit() and int(number) in xlsx_cells.DATE_FORMATS:
            kinds.append("duration" if int(number) in xlsx_cells.DURATION_FORMATS else "date")
        else:
            kinds.append(None)
    return xlsx_cells.Styles(kinds, date1904)


class _Budget:
    def __init__(self, left):
        self.left = left


def _part_chunks(archive, info, budget):
    """The part's bytes as really unpacked, whatever sizes the zip declares: its true size must
    be the declared one, it counts against the budget, zipfile checks its CRC at the end."""
    probe = copy.copy(info)
    probe.file_size = max(budget.left, 0) + CHUNK + 1  # read on until the real end
    size = 0
    with archive.open(probe) as part:
        while chunk := part.read(CHUNK):
            size += len(chunk)
            budget.left -= len(chunk)
            if budget.left < 0:
                raise xlsx_cells.Refused("bomb")
            yield chunk
    if size != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename}: {size} bytes, {info.file_size} declared")


def _send_sheet(send, archive, info, name, index, options):
    strings, styles, budget, limits = options
    reader = xlsx_sheet.SheetReader(strings, styles, **limits)
    pending, formulas, headed, read = [], [], False, 0

    def flush():
        nonlocal pending, formulas, headed
        if not headed:
            estimate = int(info.file_size * len(pending) / max(read, 1))
            send(("head", name, index, estimate))
            headed = True
        if pending:
            origin = reader.origin
            _send_rows(send, pending, [(number, column - origin) for number, column in formulas if column >= origin])
        pending, formulas = [], []

    for chunk in _part_chunks(archive, info, budget):
        read += len(chunk)
        pending += reader.feed(chunk)
        if len(pending) >= ROWS_PER_MESSAGE:
            formulas += reader.formulas
            reader.formulas.clear()
            flush()
    pending += reader.close()
    formulas += reader.formulas
    flush()


def run(channel, max_height, max_width, row_max_xml, bytes_left):
    """The job (`kkmp/isolated_child.py` set the limits): read the workbook from the parent,
    send its sheets."""
    send = channel.send
    book = strings = None
    try:
        data = channel.stdin.read()
        book = zipfile.ZipFile(io.BytesIO(data))
        parts = {member.filename.lower(): member for member in book.infolist()}
        if "xl/workbook.xml" not in parts or "xl/_rels/workbook.xml.rels" not in parts:
            raise xlsx_cells.Refused("damaged", "no workbook")
        sheets, date1904 = _sheets(book, parts)
        info = parts.get("xl/sharedstrings.xml")
        strings = _shared_strings(book.read(info)) if info is not None else []
        styles = _styles(book, parts, date1904)
        limits = {"max_height": int(max_height), "max_width": int(max_width), "row_max_xml": int(row_max_xml)}
        options = (strings, styles, _Budget(int(bytes_left)), limits)
        # Every sheet but OpenSID's code list, one after the other (OpenSID's own importer
        # reads them all): a workbook with one sheet per kelurahan.
        for index, (name, part) in enumerate(sheets):
            if "".join(name.lower().split()) in SKIPPED_SHEETS:
                continue
            _send_sheet(send, book, part, name, index, options)
        send(("end", channel.peak_kib()))
        return 0
    except xlsx_cells.Refused as refusal:
        send(("refused", refusal.code, refusal.details))
        return 1
    except MemoryError:
        book = strings = None  # free what can be freed, then say so
        send(("limits", "memory"))
        return 3
    except BrokenPipeError:  # the parent stopped reading: nothing more to do
        return 0
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
            UnicodeDecodeError, OverflowError, NotImplementedError, expat.ExpatError) as exc:
        send(("damaged", f"{type(exc).__name__}: {exc}"[:300]))
        return 2
    except BaseException as exc:  # noqa: BLE001  (a fault of this reader)
        send(("internal", f"{type(exc).__name__}: {exc}"[:300]))
        return 4
