"""Crafted uploads (issue 10, points 7 and 8) are refused with a plain message, fast, in bounded
memory, and never take the process down.

Every workbook here is built by the test: raw XML in a zip (as an attacker writes it) or an
openpyxl workbook (as a user saves it). Before the streamed pre-scan and the isolated reader,
several of them aborted the whole process inside python-calamine (SIGABRT from a huge
allocation) and others raised an uncaught zipfile error.
"""

import gc
import io
import itertools
import os
import sqlite3
import struct
import subprocess
import sys
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from django.test import override_settings
from django.urls import reverse

from imports.files import data_rows, read_table
from imports.models import ImportBatch
from imports.table import ImportFileError
from imports.xlsx_checks import check_xlsx
from imports.xlsx_scan import XLSX_DAMAGED, FormulaCells
from members.models import Household

ROOT = Path(__file__).resolve().parents[2]
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="' + NS + '" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{relationships}</Relationships>"
)
HEADER = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]
KODE = "64.71.05.1002"


def cell(ref, value):
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def header_row():
    return '<row r="1">' + cell("A1", "kode_kelurahan") + cell("B1", "no_kk") + "</row>"


def sheet_xml(rows, dimension="A1:B2"):
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">{dim}<sheetData>{rows}</sheetData></worksheet>'


def workbook(rows="", *, dimension="A1:B2", sheets=None, first="worksheets/sheet1.xml", extra=None, sheet=None):
    """A minimal workbook as raw XML parts. `sheets`: {part name: sheet XML}; the workbook's
    first sheet is `first` (its relationship target)."""
    sheets = sheets or {"xl/" + first: sheet if sheet is not None else sheet_xml(rows, dimension)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK.format(sheets='<sheet name="Data" sheetId="1" r:id="rId1"/>'))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(relationships=(
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="{first}"/>'
        )))
        for name, xml in sheets.items():
            z.writestr(name, xml)
        for name, content in (extra or {}).items():
            z.writestr(name, content)
    return out.getvalue()


def refused(data, name="attack.xlsx"):
    """The ImportFileError reading the file gives (reading every row: some refusals come late)."""
    with pytest.raises(ImportFileError) as exc:
        list(data_rows(read_table(data, name)))
    message = str(exc.value)
    assert "Traceback" not in message
    return message


def rows_of(data, name="ok.xlsx"):
    table = read_table(data, name)
    return table, list(table.rows)


def declare(data, name, size, crc=None):
    """A copy of the zip in which part `name` declares another unpacked size (and CRC), in its
    local header and in the central directory, as a hand-edited archive does."""
    buf = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    assert buf[info.header_offset:info.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", buf, info.header_offset + 22, size)
    if crc is not None:
        struct.pack_into("<I", buf, info.header_offset + 14, crc)
    at = buf.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", buf, at + 28)[0]
        if bytes(buf[at + 46:at + 46 + length]) == name.encode():
            struct.pack_into("<I", buf, at + 24, size)
            if crc is not None:
                struct.pack_into("<I", buf, at + 16, crc)
        at = buf.find(b"PK\x01\x02", at + 4)
    return bytes(buf)


# --- point 7: references far away, a false <dimension>, huge row counts -------------------

def test_a_cell_at_xfd1048576_behind_a_false_dimension_is_refused_before_any_reader():
    data = workbook(header_row() + '<row r="1048576">' + cell("XFD1048576", "x") + "</row>", dimension="A1:B2")
    assert len(data) < 2048
    message = refused(data)
    assert "1,048,576" in message  # the scan's own message: the reader never ran


def test_the_far_column_alone_is_refused_too():
    data = workbook(header_row() + '<row r="2">' + cell("XFD2", "x") + "</row>", dimension="A1:B2")
    assert "XFD" in refused(data)


@pytest.mark.parametrize("ref", ["ZZZZZZZZ2", "A99999999999", "A0", "2", "A", "a-1", "XFE2"])
def test_a_reference_beyond_excel_or_malformed_is_refused(ref):
    data = workbook(header_row() + "<row>" + cell(ref, "x") + "</row>")
    assert ref in refused(data)


def test_a_row_number_beyond_excel_is_refused():
    data = workbook(header_row() + '<row r="99999999999">' + '<c t="inlineStr"><is><t>x</t></is></c></row>')
    assert "99999999999" in refused(data)


@override_settings(KKMP_IMPORT_MAX_ROWS=1_000_000)
def test_a_sparse_sheet_with_one_far_cell_is_read_without_holding_its_range():
    # 2 KB that calamine held as 500,000 × 100 cells (1.5 GB), and was refused for it: the
    # streaming reader sends the two rows with a value, the rows between come back blank
    data = workbook(header_row() + '<row r="500000">' + cell("CV500000", "x") + "</row>")
    table = read_table(data, "sparse.xlsx")
    assert [(n, row[99]) for n, row in data_rows(table, 1_000_000)] == [(500_000, "x")]


def test_a_far_cell_within_the_limits_is_read():
    _table, rows = rows_of(workbook(header_row() + '<row r="1000">' + cell("G1000", "x") + "</row>"))
    assert len(rows) == 999 and rows[-1] == (1000, ["", "", "", "", "", "", "x"])


def test_a_false_dimension_does_not_matter_either_way():
    small_claim = workbook(header_row() + '<row r="3">' + cell("C3", "x") + "</row>", dimension="A1:A1")
    _table, rows = rows_of(small_claim)
    # a row with no value comes back as wide as the header (the reader streams: the sheet's
    # width is not known before its end)
    assert rows == [(2, ["", ""]), (3, ["", "", "x"])]
    huge_claim = workbook(header_row() + '<row r="2">' + cell("A2", "x") + "</row>", dimension="A1:XFD1048576")
    _table, rows = rows_of(huge_claim)
    assert rows == [(2, ["x", ""])]


def test_rows_and_cells_without_references_are_counted_as_calamine_counts_them():
    rows = "".join("<row>" + '<c t="inlineStr"><is><t>x</t></is></c>' * 3 + "</row>" for _ in range(12))
    with override_settings(KKMP_IMPORT_MAX_ROWS=10):
        assert "12" in refused(workbook(rows))  # row 12, found without any r attribute
    with override_settings(KKMP_IMPORT_MAX_COLUMNS=2):
        assert "C1" in refused(workbook(rows))  # the third cell of the first row
    table, read = rows_of(workbook('<row><c t="inlineStr"><is><t>h</t></is></c><c r="D1" t="inlineStr"><is><t>i</t></is></c>'
                                   '<c t="inlineStr"><is><t>j</t></is></c></row><row><c><v>1</v></c></row>'))
    assert table.headers == ["h", "", "", "i", "j"] and read == [(2, [1.0, "", "", "", ""])]


def test_styled_empty_cells_beyond_the_column_limit_do_not_count():
    # Excel writes formatted empty cells as <c r=".." s="1"/>: calamine drops them, and so do we
    data = workbook(header_row() + '<row r="2">' + cell("A2", "x") + '<c r="XFD2" s="1"/></row>')
    _table, rows = rows_of(data)
    assert rows == [(2, ["x", ""])]


def test_a_cell_inside_a_cell_is_refused():
    data = workbook(header_row() + '<row r="2"><c r="XFD2"><c r="A2"/><v>1</v></c></row>')
    assert refused(data) == str(XLSX_DAMAGED)


@pytest.fixture(scope="module")
def dense_sheet():
    """1,048,575 rows of one cell each, 5 MB zipped: built as raw XML, in half a second."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", WORKBOOK.format(sheets='<sheet name="S" sheetId="1" r:id="rId1"/>'))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(relationships=(
            '<Relationship Id="rId1" Type="x" Target="worksheets/sheet1.xml"/>')))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<worksheet xmlns="{NS}"><dimension ref="A1:A1"/><sheetData>'.encode())
            part.write(header_row().encode())
            for start in range(2, 1_048_576, 50_000):
                part.write(b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i)
                                    for i in range(start, min(start + 50_000, 1_048_576))))
            part.write(b"</sheetData></worksheet>")
    return out.getvalue()


@override_settings(KKMP_IMPORT_MAX_ROWS=1_000_000)
def test_a_dense_sheet_of_1048575_rows_is_refused(dense_sheet):
    # the old reader took 18 s and 820 MB; the time and memory are measured in `make bench`
    assert len(dense_sheet) < 6 * 1024 * 1024
    message = refused(dense_sheet)
    assert "1,000,002" in message and "1,000,000" in message


@override_settings(KKMP_IMPORT_MAX_ROWS=1000)
def test_the_scan_stops_at_the_first_row_past_the_limit(dense_sheet):
    assert "1,002" in refused(dense_sheet)  # the row it stopped at: not after reading the million rows


def test_a_shared_strings_part_that_claims_four_billion_strings_is_refused():
    # calamine reserves room for uniqueCount strings before reading them: it aborted
    strings = (f'<sst xmlns="{NS}" count="4000000000" uniqueCount="4000000000">'
               "<si><t>kode_kelurahan</t></si><si><t>no_kk</t></si></sst>")
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    assert refused(workbook(rows, extra={"xl/sharedStrings.xml": strings})) == str(XLSX_DAMAGED)
    honest = strings.replace("4000000000", "2")
    table, _read = rows_of(workbook(rows, extra={"xl/sharedStrings.xml": honest}))
    assert table.headers == ["kode_kelurahan", "no_kk"]


# --- point 8: lying zip entries, DTDs past the first 2 KB -------------------------------------

def test_a_part_that_under_declares_its_size_is_refused_as_damaged():
    data = workbook(header_row() + '<row r="2">' + cell("A2", "x") + "</row>")
    under = declare(data, "xl/worksheets/sheet1.xml", 100)
    assert refused(under) == str(XLSX_DAMAGED)


def test_a_part_that_under_declares_its_size_with_a_matching_crc_is_refused_as_damaged():
    data = workbook(header_row() + '<row r="2">' + cell("A2", "x") + "</row>")
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    # zipfile stops at the declared size, and the CRC matches what it read: only the real size
    # (read on to the end of the deflate stream) tells
    under = declare(data, "xl/worksheets/sheet1.xml", 200, crc=zlib.crc32(sheet[:200]))
    assert refused(under) == str(XLSX_DAMAGED)


def test_a_part_that_over_declares_its_size_is_refused_as_damaged():
    data = workbook(header_row())
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/workbook.xml").file_size
    assert refused(declare(data, "xl/workbook.xml", size + 1000)) == str(XLSX_DAMAGED)


def test_a_bad_crc_and_a_truncated_archive_are_refused_as_damaged():
    data = workbook(header_row() + '<row r="2">' + cell("A2", "x") + "</row>")
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    bad = declare(data, "xl/worksheets/sheet1.xml", info.file_size, crc=info.CRC ^ 1)
    assert refused(bad) == str(XLSX_DAMAGED)
    flipped = bytearray(data)
    start = info.header_offset + 30 + len(info.filename)
    flipped[start + 5] ^= 0xFF  # the deflate stream itself
    assert refused(bytes(flipped)) == str(XLSX_DAMAGED)
    assert refused(data[: len(data) // 2]) == str(XLSX_DAMAGED)


def test_a_dtd_after_the_first_2048_bytes_of_a_part_is_found():
    styles = f'<?xml version="1.0"?>{" " * 3000}<!DOCTYPE s [<!ENTITY a "x">]><styleSheet xmlns="{NS}"/>'
    assert "DTD" in refused(workbook(header_row(), extra={"xl/styles.xml": styles}))


@pytest.mark.parametrize("split", [1, 4, 8])
def test_a_dtd_split_across_two_read_chunks_is_found(split):
    from imports.xlsx_checks import CHUNK

    marker = "<!DOCTYPE"
    padding = CHUNK - split  # the marker starts `split` bytes before the end of the first chunk
    head = '<?xml version="1.0"?><!--'
    core = head + "x" * (padding - len(head) - 3) + "-->" + marker + ' c []><c/>'
    assert core.index(marker) == CHUNK - split
    assert "DTD" in refused(workbook(header_row(), extra={"docProps/core.xml": core}))


@pytest.mark.parametrize("dtd", [b"<!doctype x>", "<!DOCTYPE x>".encode("utf-16-le"), b"<!ENTITY x 'y'>"])
def test_a_dtd_in_any_case_or_in_utf16_is_found(dtd):
    part = b'<?xml version="1.0"?>' + b" " * 5000 + dtd + b"<x/>"
    assert "DTD" in refused(workbook(header_row(), extra={"customXml/item1.xml": part}))


def test_a_dtd_in_the_sheet_itself_is_found():
    sheet = '<?xml version="1.0"?>' + " " * 4000 + '<!DOCTYPE w [<!ENTITY a "aaaa">]>' + sheet_xml(header_row())[21:]
    assert "DTD" in refused(workbook(sheet=sheet))


def test_part_names_a_reader_could_resolve_otherwise_are_refused():
    data = workbook(header_row(), extra={"XL/Worksheets/Sheet1.xml": sheet_xml(header_row())})
    assert refused(data) == str(XLSX_DAMAGED)  # two names for one part (calamine ignores case)
    assert "tidak aman" in refused(workbook(header_row(), extra={"xl/a&#49;.xml": "<x/>"}))


# --- the first sheet is the workbook's first, wherever it is --------------------------------

def test_the_first_sheet_is_found_through_the_workbook_not_by_its_name():
    decoy = sheet_xml(header_row() + '<row r="2">' + cell("A2", "decoy") + "</row>")
    attack = sheet_xml(header_row() + '<row r="1048576">' + cell("XFD1048576", "x") + "</row>")
    data = workbook(sheets={"xl/worksheets/sheet1.xml": decoy, "xl/worksheets/data.xml": attack}, first="worksheets/data.xml")
    assert "1,048,576" in refused(data)  # the old check looked at sheet1.xml only
    real = sheet_xml(header_row() + '<row r="2">' + cell("A2", "real") + "</row>")
    data = workbook(sheets={"xl/worksheets/sheet1.xml": decoy, "xl/worksheets/data.xml": real}, first="/xl/worksheets/data.xml")
    _table, rows = rows_of(data)
    assert rows == [(2, ["real", ""])]


def test_a_workbook_whose_first_sheet_is_missing_is_refused_as_damaged():
    data = workbook(sheets={"xl/worksheets/sheet1.xml": sheet_xml(header_row())}, first="worksheets/gone.xml")
    assert refused(data) == str(XLSX_DAMAGED)


# --- formulas ------------------------------------------------------------------------------------

def test_formula_cells_are_on_table_formulas(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([KODE, "6471050506150001", "Kepala 1", "6471051203900001", "Jl", "7", ""])
    sheet.append([KODE, "6471050506150002", '=CONCAT("Kep","ala")', "6471051203900002", "Jl", "=1+1", ""])
    book.save(tmp_path / "f.xlsx")
    table = read_table((tmp_path / "f.xlsx").read_bytes(), "f.xlsx")
    assert table.formulas == {(3, 2), (3, 5)}
    assert (3, 2) in table.formulas and (2, 2) not in table.formulas and 3 in table.formulas.rows
    assert len(table.formulas) == 2 and sorted(table.formulas) == [(3, 2), (3, 5)]


def test_formula_columns_count_from_the_tables_first_column():
    rows = ('<row r="2">' + cell("B2", "h1") + cell("C2", "h2") + '</row><row r="3">' + cell("B3", "a")
            + '<c r="C3"><f>1+1</f><v>2</v></c></row>')
    table, read = rows_of(workbook(rows))
    assert table.headers == ["h1", "h2"] and read == [(3, ["a", 2.0])]
    assert table.formulas == {(3, 1)}


def test_a_csv_has_no_formulas_and_a_sheet_of_formulas_costs_little():
    assert read_table(b"a,b\n=1+1,2\n", "x.csv").formulas == set()
    cells = FormulaCells()
    for row in range(1_000_000):
        cells._add(row, 3)
    cells._place((0, 0))
    assert len(cells) == 1_000_000 and (1_000_000, 3) in cells and (5, 2) not in cells


# --- reading stays what it was ----------------------------------------------------------------

def test_values_keep_calamine_types_and_row_numbers(tmp_path):
    from python_calamine import CalamineWorkbook

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["teks", "angka", "pecahan", "benar", "tanggal", "kosong"])
    sheet.append(["a", 7, 2.5, True, datetime(2025, 6, 30, 8, 15), None])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["b", 6471050506150001, -1.25, False, datetime(2024, 1, 1), ""])
    book.save(tmp_path / "t.xlsx")
    data = (tmp_path / "t.xlsx").read_bytes()
    table, rows = rows_of(data)
    direct = list(CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).iter_rows())
    assert table.headers == direct[0]
    assert rows == list(zip(range(2, 2 + len(direct) - 1), direct[1:]))
    assert [type(v) for v in rows[0][1]] == [type(v) for v in direct[1]]


def test_leading_empty_rows_keep_the_sheets_row_numbers():
    rows = '<row r="3">' + cell("A3", "h1") + cell("B3", "h2") + '</row><row r="5">' + cell("A5", "a") + "</row>"
    table, read = rows_of(workbook(rows))
    assert table.headers == ["h1", "h2"] and read == [(4, ["", ""]), (5, ["a", ""])]


def _reader_children():
    mine = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] == mine and b"xlsx_reader.py" in cmdline:
            found.append(entry.name)
    return found


def test_the_reader_process_ends_when_the_table_is_dropped_unread():
    # 3 MB of rows: more than the pipe holds, so the reader is still waiting to write
    rows = "".join(f'<row r="{i}">' + cell(f"A{i}", f"{i:06d}" * 170) + "</row>" for i in range(2, 3000))
    table = read_table(workbook(header_row() + rows), "x.xlsx")
    next(iter(table.rows))
    assert _reader_children()
    del table
    gc.collect()
    assert not _reader_children()


@override_settings(KKMP_IMPORT_READER_MEMORY_MB=64)
def test_a_workbook_beyond_the_readers_memory_is_refused_with_a_plain_message():
    # passes the pre-scan (a few cells), but each cell is 3 MB of text: the reader runs out of
    # memory in its own process, which ends; this one only refuses the file
    big = "x" * (3 * 1024 * 1024)
    rows = header_row() + "".join(f'<row r="{i}">' + cell(f"A{i}", big) + "</row>" for i in range(2, 8))
    message = refused(workbook(rows))
    assert "64 MB" in message and "CSV" in message
    assert not _reader_children()


def test_a_reader_killed_by_a_signal_or_too_slow_becomes_a_plain_refusal(dense_sheet):
    from imports.xlsx_read import _Reader

    # straight to the reader: a million rows take it more than the one second of CPU and
    # waiting it is given, so it is killed (SIGXCPU, or by the parent when it waited too long)
    reader = _Reader(dense_sheet, 1, check_xlsx(dense_sheet, 1_000_000))
    with pytest.raises(ImportFileError, match="MB"):
        while reader.recv()[0] != "end":
            pass
    assert reader.proc.returncode < 0  # a signal, in the child only
    slow = workbook(header_row() + "".join(f'<row r="{i}">' + cell(f"A{i}", "x") + "</row>" for i in range(2, 20000)))
    reader = _Reader(slow, 0.001, check_xlsx(slow))
    with pytest.raises(ImportFileError, match="MB"):
        reader.recv()
    assert not _reader_children()


# --- CSV ----------------------------------------------------------------------------------

def test_a_csv_line_of_megabytes_is_refused_with_its_row():
    data = b"a,b\n1,2\n" + b"x," * (1024 * 1024) + b"\n3,4\n"
    assert "3" in refused(data, "x.csv") and "1,048,576" in refused(data, "x.csv")
    assert "1" in refused(b"a," * (1024 * 1024) + b"\n", "x.csv")


def test_a_csv_cell_beyond_the_field_limit_is_refused_with_its_row():
    message = refused(b"a,b\n1,2\n3," + b"y" * 200_000 + b"\n", "x.csv")
    assert "3" in message and "131,072" in message


def test_a_row_of_quoted_cells_running_over_many_lines_is_bounded():
    cell_of_lines = b'"' + b"z\n" * 50_000 + b'"'  # 100,000 characters: under the field limit
    data = b"a,b\n" + b",".join([cell_of_lines] * 12) + b"\n"
    assert "1,048,576" in refused(data, "x.csv")


def test_csv_columns_beyond_the_limit_are_refused_unless_empty():
    with override_settings(KKMP_IMPORT_MAX_COLUMNS=3):
        assert "5" in refused(b"a,b,c\n1,2,3,4,5\n", "x.csv")
        table = read_table(b"a,b,c\n1,2,3,,,;\n".replace(b";", b""), "x.csv")
        assert list(table.rows) == [(2, ["1", "2", "3", "", "", ""])]


# --- through the command and the upload page ------------------------------------------------------

@pytest.fixture(scope="module")
def command_db(tmp_path_factory):
    """A migrated SQLite database with an admin, for `manage.py` in a child process."""
    folder = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}", "MEDIA_ROOT": str(folder / "media"),
           "KKMP_PROGRESS_DIR": str(folder / "progress"), "DEBUG": "on"}
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         ("from django.core.management import call_command; call_command('migrate', verbosity=0); "
          "from django.contrib.auth.models import User; User.objects.create_superuser('admin', None, 'x'); "
          "call_command('load_regions', verbosity=0)")],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )
    return folder, env


@pytest.mark.parametrize("attack", ["xfd", "under-declared"])
def test_the_import_command_refuses_the_attack_with_exit_status_1(command_db, attack):
    folder, env = command_db
    data = workbook(header_row() + '<row r="1048576">' + cell("XFD1048576", "x") + "</row>")
    if attack == "under-declared":
        data = declare(workbook(header_row()), "xl/worksheets/sheet1.xml", 100)
    path = folder / f"{attack}.xlsx"
    path.write_bytes(data)
    result = subprocess.run([sys.executable, "manage.py", "import_households", str(path), "--as", "admin"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1, (result.returncode, result.stderr)  # not -6 (SIGABRT)
    assert "Traceback" not in result.stderr and "Error" not in result.stderr.replace("CommandError", "")
    # (a household file may hold a city's residents, up to Excel's 1,048,576 rows: the cell is
    # refused by its column)
    assert ("XFD1048576" if attack == "xfd" else "XLSX") in result.stderr
    with sqlite3.connect(folder / "db.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM members_household").fetchone() == (0,)
        status, message = db.execute("SELECT status, message FROM imports_importbatch ORDER BY id DESC").fetchone()
    assert status == "invalid" and message.strip() in result.stderr


@pytest.mark.django_db
def test_the_upload_page_shows_the_refusal_and_the_batch_is_not_stuck(admin_client_, kelurahan_a, tmp_path):
    path = tmp_path / "serangan.xlsx"
    path.write_bytes(workbook(header_row() + '<row r="1048576">' + cell("XFD1048576", "x") + "</row>"))
    with open(path, "rb") as fh:
        response = admin_client_.post(reverse("imports:import_create"), {"kind": "households", "file": fh})
    batch = ImportBatch.objects.latest("pk")
    assert response.status_code == 302 and response.url == batch.get_absolute_url()
    assert batch.status == ImportBatch.Status.INVALID and "XFD1048576" in batch.message
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert "XFD1048576" in page and reverse("imports:import_commit", args=[batch.pk]) not in page
    assert not Household.objects.exists()


def test_check_xlsx_leaves_the_sheets_to_the_reader_which_refuses_at_the_first_cell_past_a_limit():
    # the parent no longer unpacks the sheet: the reader checks it as it reads it (one pass)
    data = workbook(header_row() + "".join(f'<row r="{i}">' + cell(f"A{i}", "x" * 500) + "</row>" for i in range(2, 4000))
                    + '<row r="1048576">' + cell("XFD1048576", "x") + "</row>")
    checked = check_xlsx(data, 10_000)
    assert (checked.max_height, checked.max_width) == (10_001, 200) and checked.sheet_bytes > 0
    table = read_table(data, "late.xlsx", 10_000)
    assert len(list(itertools.islice(table.rows, 1000))) == 1000  # the rows before it came first
    with pytest.raises(ImportFileError, match="1,048,576"):
        list(table.rows)
