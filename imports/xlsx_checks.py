"""What a workbook must pass before the reader starts (`check_xlsx`), streamed and in bounded
memory in this process: the zip (how many parts, safe and unique names, sizes as declared and
as really unpacked against one budget of bytes and seconds, CRCs), every XML part but the
sheets (no DTD, anywhere, in any encoding or case), the first sheet as the workbook names it
(`xl/workbook.xml` and its relationships) and the shared strings (which the reader holds)
within the memory left to the reader. The sheets themselves are checked by the reader as it
reads them (`xlsx_sheet.py`, in its isolated process): each is unpacked once.
"""

import copy
import logging
import re
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from .table import ImportFileError, Source, budget_seconds, seconds_left
from .xlsx_scan import EXCEL_COLUMNS, EXCEL_ROWS, ROW_MAX_XML, XLSX_DAMAGED, _expat, _feed, _refuse_dtd

log = logging.getLogger(__name__)


def _for_log(text, length=300):
    """A reader's error for the log: short, and without long numbers (a cell may be a NIK)."""
    return re.sub(r"\d{6,}", "…", str(text))[:length]


CHUNK = 64 * 1024
# What the reader holds for each shared string (a Python str and its place in the list) beside
# the strings' text; and the interpreter with the workbook read from stdin and a sheet's chunks.
READER_BYTES_PER_STRING = 64
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
    ) % {"memory": settings.KKMP_IMPORT_READER_MEMORY_MB, "seconds": budget_seconds()}


class _Budget:
    """What reading one workbook may still spend: unpacked bytes and seconds."""

    def __init__(self, size):
        # as for the sizes the zip declares (check_xlsx): the limit, and 100 times the file's
        # own size when that is more than 20 MB
        limit = settings.KKMP_IMPORT_MAX_UNCOMPRESSED_MB * 1024 * 1024
        self.bytes_left = min(limit, max(20 * 1024 * 1024, 100 * size))
        self.deadline = time.monotonic() + seconds_left()  # the request's one budget

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


def _parse(chunks, start):
    parser = _expat()
    parser.StartElementHandler = start
    _feed(parser, chunks)


def _sheet_parts(archive, parts, budget):
    """The parts the reader reads as sheets, in order: each `<sheet>` of xl/workbook.xml,
    through its r:id in xl/_rels/workbook.xml.rels (calamine's rules, which the reader follows);
    a sheet whose part is missing makes the workbook damaged."""
    workbook, relationships = parts.get("xl/workbook.xml"), parts.get("xl/_rels/workbook.xml.rels")
    if workbook is None or relationships is None:
        raise ImportFileError(XLSX_DAMAGED)
    first = []

    def sheet(name, attrs):
        if _local(name) == "sheet":
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
    sheets = []
    for key in first:
        target = targets.get(key)
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
        sheets.append(info)
    return sheets


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


def check_xlsx(source, max_rows=None):
    """Refuse a workbook before the reader starts when it could hurt the server: a zip bomb
    (declared or real sizes), damaged or lying zip entries, member names that leave the archive
    or that a reader could resolve otherwise, XML with a DTD in any part but the sheets (the
    reader refuses one in a sheet), a missing sheet, shared strings beyond the reader's memory.

    `max_rows`: the data rows the import may read (`KKMP_IMPORT_MAX_ROWS` unless told; a
    per-person export may have more, `BaseImport.max_file_rows`). Returns what the reader
    checks as it reads the sheets (`Checked`)."""
    try:
        return _check_xlsx(Source.of(source), max_rows)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            OverflowError, RuntimeError, NotImplementedError, expat.ExpatError, struct.error) as exc:
        log.info("XLSX refused as damaged: %s: %s", type(exc).__name__, _for_log(exc))
        raise ImportFileError(XLSX_DAMAGED) from None


def _check_xlsx(source, max_rows):
    with source.open() as fh:
        return _check_archive(zipfile.ZipFile(fh), source.size, max_rows)


def _check_archive(archive, size, max_rows):
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
    if expanded > 20 * 1024 * 1024 and expanded > 100 * max(size, 1):
        raise ImportFileError(_bomb_message(expanded))
    if expanded > limit:  # a real workbook, only too large to read here (a city's residents)
        raise ImportFileError(_(
            "The workbook unpacks to %(size)d MB, more than the %(limit)d MB read here. Save it as CSV (a "
            "city's residents import as one CSV file), or split it into smaller files (for example one per "
            "kecamatan).") % {"size": expanded // (1024 * 1024), "limit": settings.KKMP_IMPORT_MAX_UNCOMPRESSED_MB})
    budget = _Budget(size)
    sheets = _sheet_parts(archive, parts, budget)
    # the reader holds the workbook's bytes, the shared strings (their XML, their text and a
    # list of them) and a few chunks of a sheet: never a sheet
    memory_left = settings.KKMP_IMPORT_READER_MEMORY_MB * 1024 * 1024 - READER_BASE_BYTES - 2 * size
    strings = parts.get("xl/sharedstrings.xml")
    if strings is not None:
        count, strings_size = _scan_shared_strings(_part_chunks(archive, strings, budget))
        memory_left -= 3 * strings_size + count * READER_BYTES_PER_STRING
    if memory_left <= 0:
        raise ImportFileError(_limits_message())
    done = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedstrings.xml"}
    done.update(sheet.filename.lower() for sheet in sheets)
    for name, member in parts.items():
        if name not in done and name.endswith((".xml", ".rels")):
            _drain(_part_chunks(archive, member, budget))
    return Checked(
        max_height=min((max_rows or settings.KKMP_IMPORT_MAX_ROWS) + 1, EXCEL_ROWS),
        max_width=min(settings.KKMP_IMPORT_MAX_COLUMNS, EXCEL_COLUMNS),
        row_max_xml=ROW_MAX_XML,
        sheet_bytes=max(budget.bytes_left, 0),
    )


@dataclass(frozen=True)
class Checked:
    """What the checks leave to the reader, which applies them to the sheets as it reads them:
    the rows from a sheet's first used one (the data rows + its header), the columns, one row's
    XML in bytes, and the bytes the sheets may unpack to in all."""

    max_height: int
    max_width: int
    row_max_xml: int
    sheet_bytes: int
