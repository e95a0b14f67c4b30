"""Hostile and broken files are refused before they are parsed, with a plain message."""

import io
import re
import zipfile

import pytest
from django.test import override_settings

from imports.files import read_table
from imports.table import ImportFileError
from tests.files import write_xlsx

HEADER = ["kode_kelurahan", "no_kk"]


def workbook_bytes(tmp_path, rows=None):
    return write_xlsx(tmp_path / "ok.xlsx", rows or [HEADER, ["64.71.05.1002", "6471050506150001"]]).read_bytes()


def rezip(data, replace=None, add=None):
    """A copy of an XLSX with some parts replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = (replace or {}).get(item.filename, source.read(item.filename))
            target.writestr(item.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def test_a_normal_workbook_is_read(tmp_path):
    table = read_table(workbook_bytes(tmp_path), "ok.xlsx")
    assert [str(h) for h in table.headers] == HEADER
    assert [row for _n, row in table.rows] == [["64.71.05.1002", "6471050506150001"]]


def test_a_zip_bomb_is_refused_before_parsing(tmp_path):
    bomb = rezip(workbook_bytes(tmp_path), add={"xl/media/padding.bin": b"\0" * (30 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024  # 30 MB of zeros pack into a few KB
    with pytest.raises(ImportFileError, match="bom zip"):
        read_table(bomb, "bomb.xlsx")


def test_xml_with_a_dtd_is_refused(tmp_path):
    data = workbook_bytes(tmp_path)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    evil = sheet.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><worksheet', 1)
    with pytest.raises(ImportFileError, match="DTD"):
        read_table(rezip(data, replace={"xl/worksheets/sheet1.xml": evil}), "evil.xlsx")


@pytest.mark.parametrize("name", ["../../etc/evil.xml", "/abs/path.xml", "xl\\..\\evil.xml"])
def test_part_names_that_leave_the_archive_are_refused(tmp_path, name):
    with pytest.raises(ImportFileError, match="tidak aman"):
        read_table(rezip(workbook_bytes(tmp_path), add={name: b"<x/>"}), "evil.xlsx")


def test_a_sheet_that_claims_millions_of_rows_is_read_for_what_it_holds(tmp_path):
    # the <dimension> a sheet claims is ignored (python-calamine ignores it too): what counts
    # is the used range the pre-scan finds, cell by cell
    data = workbook_bytes(tmp_path)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    claimed = re.sub(rb'<dimension ref="A1:B2"\s*/>', b'<dimension ref="A1:B5000000"/>', sheet)
    assert claimed != sheet
    table = read_table(rezip(data, replace={"xl/worksheets/sheet1.xml": claimed}), "big.xlsx")
    assert [row for _n, row in table.rows] == [["64.71.05.1002", "6471050506150001"]]


@override_settings(KKMP_IMPORT_MAX_ROWS=30)
def test_a_sheet_that_holds_more_rows_than_the_limit_is_refused_before_reading(tmp_path):
    data = workbook_bytes(tmp_path, [HEADER, *[["64.71.05.1002", str(i)] for i in range(50)]])
    with pytest.raises(ImportFileError) as exc:
        read_table(data, "big.xlsx")  # at the first row past the limit, before any reader
    assert "32" in str(exc.value) and "30" in str(exc.value)


@override_settings(KKMP_IMPORT_MAX_ROWS=3)
def test_more_data_rows_than_the_limit_are_refused(tmp_path):
    from imports.files import data_rows

    table = read_table(b"a,b\n" + b"1,2\n" * 4, "x.csv")
    with pytest.raises(ImportFileError, match="3"):
        list(data_rows(table))


@override_settings(KKMP_IMPORT_MAX_UPLOAD_MB=1)
def test_a_file_above_the_upload_limit_is_refused_with_both_sizes():
    with pytest.raises(ImportFileError) as exc:
        read_table(b"a,b\n" + b"1,2\n" * 400_000, "x.csv")
    assert "1.5" in str(exc.value) and "1 MB" in str(exc.value)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ImportFileError, match="XLSX"):
        read_table(out.getvalue(), "x.xlsx")


def test_defusedxml_is_installed_and_used_by_openpyxl():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
