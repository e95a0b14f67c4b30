"""The streaming XLSX reader (`imports/xlsx_sheet.py`, run in the isolated reader) reads real
workbooks as python-calamine, which read them before, did: openpyxl's (shared strings, numbers,
dates, booleans, formulas, rich text), OpenSID/SIAK-style ones (inline strings, date cells,
skipped cells) and the XML wrinkles a writer may use. Every workbook is written by the test;
calamine reads the same bytes as the reference.
"""

import io
import zipfile
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
from django.test import override_settings
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from python_calamine import CalamineWorkbook

from imports.files import data_rows, read_table
from imports.table import ImportFileError
from imports.xlsx_cells import Refused, Styles
from imports.xlsx_scan import XLSX_DAMAGED
from imports.xlsx_sheet import SheetReader
from tests.imports.test_upload_attacks import NS, declare, workbook
from tests.population import write_workbook


def ours(data):
    """Headers and rows as the import reads them, every sheet."""
    out = []
    for table in read_table(data, "t.xlsx").sheets():
        out.append([table.headers, *[row for _n, row in table.rows]])
    return out


def calamine(data):
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [list(book.get_sheet_by_index(i).iter_rows()) for i in range(len(book.sheet_names))]


def test_an_openpyxl_workbook_reads_as_calamine_read_it(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["teks", "angka", "pecahan", "benar", "waktu", "tanggal", "jam", "durasi", "rumus", "kaya"])
    sheet.append(["a & b <c>", 7, 2.5, True, datetime(2025, 6, 30, 8, 15), date(2024, 1, 1), time(8, 30),
                  timedelta(hours=30), "=1+1", CellRichText(["Ke", TextBlock(InlineFont(b=True), "pala")])])
    sheet.append([None] * 10)
    sheet.append(["  spasi  ", 6471050506150001, -1.25, False, datetime(1900, 1, 1), date(1900, 3, 1), None, None,
                  '=CONCAT("a","b")', "baris\nbaru"])
    sheet.append(["a & b <c>", None, None, None, None, None, None, None, None, "x"])  # a shared string again
    sheet["D7"] = "jauh"  # a row further down, one cell
    book.save(tmp_path / "o.xlsx")
    data = (tmp_path / "o.xlsx").read_bytes()
    mine, reference = ours(data), calamine(data)
    assert mine == reference
    assert [type(v) for v in mine[0][1]] == [type(v) for v in reference[0][1]]
    assert mine[0][1][9] == "Kepala"
    table = read_table(data, "o.xlsx")
    list(table.rows)
    assert sorted(table.formulas) == [(2, 8), (4, 8)]


def test_shared_strings_as_excel_writes_them_read_as_calamine_read_them():
    # openpyxl writes inline strings; Excel and LibreOffice write a shared strings part
    strings = (f'<?xml version="1.0"?><sst xmlns="{NS}" count="6" uniqueCount="5">'
               '<si><t>kode_kelurahan</t></si><si><t xml:space="preserve"> no kk </t></si>'
               '<si><r><rPr><b/><color rgb="FF000000"/></rPr><t>Ke</t></r><r><t>pala</t></r>'
               '<rPh sb="0" eb="2"><t>ke</t></rPh><phoneticPr fontId="1"/></si>'
               "<si><t>A &amp; B &#x263A;</t></si><si><t/></si></sst>")
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s" s="0"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
            '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>0</v></c></row>')
    data = workbook(rows, extra={"xl/sharedStrings.xml": strings})
    assert ours(data) == calamine(data) == [[["kode_kelurahan", " no kk "], ["Kepala", "A & B \u263a"], ["", "kode_kelurahan"]]]
    mixed = rows.replace('<c r="B3" t="s"><v>0</v></c>', '<c r="B3"><v>5</v></c>')  # a block of strings and a number
    data = workbook(mixed, extra={"xl/sharedStrings.xml": strings})
    assert ours(data) == calamine(data)


def test_a_shared_string_index_past_the_strings_is_refused_as_damaged():
    strings = f'<sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>a</t></si></sst>'
    data = workbook('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>7</v></c></row>',
                    extra={"xl/sharedStrings.xml": strings})
    with pytest.raises(ImportFileError) as exc:
        list(read_table(data, "x.xlsx").rows)
    assert str(exc.value) == str(XLSX_DAMAGED)


def test_an_opensid_or_siak_style_workbook_of_inline_strings_reads_as_calamine_read_it(tmp_path):
    rows = [["NO", "NIK", "NO_KK", "NAMA_LGKP", "TGL_LHR", "ALAMAT", "NO_RT", "NO_RW"],
            ["1", "6471050101900001", "\u00a06471050101100001", "SITI & ANAK", date(1990, 1, 1), "", 7, "-"],
            ["2", "6471050101900002", " 6471050101100001", "BUDI", "01-02-1985", "JL. <MERDEKA>", "007", ""],
            ["3", "", "", "", "", "", "", ""],
            ["4", "6471050101900003", "6471050101100002", "A" * 40, date(2001, 12, 31), "X", 12.5, "000"]]
    path = write_workbook(tmp_path / "siak.xlsx", {"Sheet1": rows, "Kedua": rows[:2]})
    data = path.read_bytes()
    assert ours(data) == calamine(data)
    assert ours(data)[0][1][4] == date(1990, 1, 1) and ours(data)[0][1][6] == 7.0


def sheet_bytes(rows):
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>{rows}</sheetData></worksheet>'


WRINKLES = [
    # entities and character references, in inline strings and formula text
    '<row r="1"><c r="A1" t="inlineStr"><is><t>h&amp;1 &#x41;&#66;</t></is></c><c r="B1" t="inlineStr"><is><t>h2</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>h3</t></is></c></row>'
    '<row r="2"><c r="A2" t="str"><f>A1</f><v>&lt;x&gt; &quot;y&quot;</v></c><c r="B2" t="b"><v>1</v></c>'
    '<c r="C2" t="e"><v>#DIV/0!</v></c></row>',
    # rich text runs (phonetic runs aside), xml:space, a row skipped, a cell skipped
    '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>c</t></is></c></row>'
    '<row r="3" spans="1:3"><c r="A3" t="inlineStr"><is><r><rPr><b/><color rgb="FFFF0000"/></rPr><t xml:space="preserve">Ke </t></r>'
    '<r><t>pala</t></r><rPh sb="0" eb="1"><t>x</t></rPh></is></c><c r="C3" s="0"><v>3</v></c></row>',
    # cells and rows without references, a styled empty cell, self-closing rows
    '<row><c t="inlineStr"><is><t>h1</t></is></c><c t="inlineStr"><is><t>h2</t></is></c></row>'
    '<row r="2" ht="20" customHeight="1"/><row><c><v>1</v></c><c s="1"/><c r="B3"><v>2</v></c></row>'
    '<row><c r="A4" t="inlineStr"><is><t>later</t></is></c></row>',
    # ISO dates, empty values, numbers in other spellings, comments and CDATA inside a row
    '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c><c r="B1" t="inlineStr"><is><t>e</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>f</t></is></c></row>'
    '<row r="2"><c r="A2" t="d"><v>2025-06-30</v></c><c r="B2"><v></v></c><c r="C2"><v>1E3</v></c></row>'
    '<row r="3"><!-- a note --><c r="A3" t="inlineStr"><is><t><![CDATA[<raw> & text]]></t></is></c>'
    '<c r="B3" t="inlineStr"><is><t/></is></c><c r="C3"><v>-0.5</v></c></row>',
]


@pytest.mark.parametrize("rows", WRINKLES)
def test_xml_a_writer_may_use_reads_as_calamine_read_it(rows):
    data = workbook(sheet=sheet_bytes(rows))
    assert ours(data) == calamine(data)


def test_prefixed_element_names_read_as_calamine_read_them():
    sheet = ('<?xml version="1.0"?><x:worksheet xmlns:x="' + NS + '"><x:sheetData>'
             '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>h</x:t></x:is></x:c><x:c r="B1"><x:v>2</x:v></x:c></x:row>'
             '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>v</x:t></x:is></x:c></x:row>'
             "</x:sheetData></x:worksheet>")
    data = workbook(sheet=sheet)
    assert ours(data) == calamine(data) == [[["h", 2.0], ["v", ""]]]


SHEET = sheet_bytes(
    "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>nama {i} &amp; co</t></is></c>'
            f'<c r="C{i}"><v>{i}</v></c><c r="D{i}" s="1"><v>45000</v></c></row>' for i in range(1, 40))
    + '<row r="41"><c r="A41" t="inlineStr"><is><r><t>ka</t></r><r><t>ya</t></r></is></c></row>'
).encode()


def read_sheet(chunks):
    reader = SheetReader([], Styles([None, "date"]), max_height=100, max_width=10, row_max_xml=1 << 20)
    rows = []
    for chunk in chunks:
        rows += reader.feed(chunk)
    return rows + reader.close()


@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_the_sheet_reads_the_same_whatever_the_chunks_it_is_unpacked_in(size):
    whole = read_sheet([SHEET])
    assert len(whole) == 40 and whole[0] == (1, ["nama 1 & co", "", 1.0, date(2023, 3, 15)])
    assert whole[-1] == (41, ["kaya", "", "", ""])
    assert read_sheet(SHEET[i:i + size] for i in range(0, len(SHEET), size)) == whole


def test_the_fast_path_and_the_parser_agree_cell_for_cell():
    fast = read_sheet([SHEET])
    # the same rows, each with a comment: every row goes through expat
    slow = read_sheet([SHEET.replace(b"</row>", b"<!-- x --></row>")])
    assert slow == fast


def refusal(rows, **settings):
    with override_settings(**settings), pytest.raises(ImportFileError) as exc:
        list(data_rows(read_table(workbook(sheet=sheet_bytes(rows)), "x.xlsx")))
    return str(exc.value)


def test_rows_out_of_order_are_refused_as_damaged():
    rows = ('<row r="2"><c r="A2" t="inlineStr"><is><t>b</t></is></c></row>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>')
    assert refusal(rows) == str(XLSX_DAMAGED)
    with pytest.raises(Refused):
        read_sheet([sheet_bytes(rows).encode()])


def test_text_between_rows_is_ignored_and_a_cell_there_read_by_its_reference_as_calamine_does():
    data = workbook(sheet=sheet_bytes('<row r="1"><c r="A1"><v>1</v></c></row>stray<row r="2"><c r="A2"><v>2</v></c></row>'))
    assert ours(data) == calamine(data) == [[[1.0], [2.0]]]
    data = workbook(sheet=sheet_bytes('<row r="1"><c r="A1"><v>1</v></c></row><c r="A2"><v>2</v></c>'))
    assert ours(data) == calamine(data) == [[[1.0], [2.0]]]


def test_a_sheet_that_is_not_well_formed_is_refused_as_damaged():
    data = workbook(sheet=sheet_bytes('<row r="1"><c r="A1"><v>1</v></row>'))
    with pytest.raises(ImportFileError, match="rusak"):
        list(read_table(data, "x.xlsx").rows)


@override_settings(KKMP_IMPORT_MAX_UNCOMPRESSED_MB=1)
def test_a_sheet_that_unpacks_past_the_budget_while_declaring_less_is_refused_as_a_zip_bomb():
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 60_000))
    data = declare(workbook(sheet=sheet_bytes(rows)), "xl/worksheets/sheet1.xml", 1000)
    with pytest.raises(ImportFileError, match="bom zip"):
        list(read_table(data, "x.xlsx").rows)


def test_a_workbook_whose_second_sheet_is_missing_is_refused_as_damaged():
    data = workbook(sheet=sheet_bytes('<row r="1"><c r="A1"><v>1</v></c></row>'))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as z:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                content = content.replace(b"</sheets>", b'<sheet name="B" sheetId="2" r:id="rId9"/></sheets>')
            z.writestr(info.filename, content)
    with pytest.raises(ImportFileError) as exc:
        read_table(out.getvalue(), "x.xlsx")
    assert str(exc.value) == str(XLSX_DAMAGED)


@override_settings(KKMP_IMPORT_MAX_UNCOMPRESSED_MB=1)
def test_a_workbook_declaring_more_than_the_unpacked_limit_is_refused_before_reading():
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 60_000))
    with pytest.raises(ImportFileError) as exc:
        read_table(workbook(sheet=sheet_bytes(rows)), "x.xlsx")
    assert "CSV" in str(exc.value) and "1 MB" in str(exc.value)


def test_cells_left_of_the_headers_first_cell_have_no_header_and_are_not_read():
    rows = ('<row r="1"><c r="B1" t="inlineStr"><is><t>h1</t></is></c><c r="C1" t="inlineStr"><is><t>h2</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>stray</t></is></c><c r="C2"><v>2</v></c></row>')
    assert ours(workbook(sheet=sheet_bytes(rows))) == [[["h1", "h2"], ["", 2.0]]]
