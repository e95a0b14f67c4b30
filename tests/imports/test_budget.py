"""What an upload may cost the request that receives it (issue 24, point 3): one time budget for
all its reading, the workbook's checks run once per file (the error file reuses them), a
workbook that unpacks to far more than its size goes to the task worker, and a batch whose
worker died is marked failed at once."""

import io
import subprocess
import sys
import zipfile

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from imports import services, tasks, xlsx_read
from imports.files import data_rows, read_table
from imports.models import ImportBatch
from imports.table import ImportFileError, time_budget
from tests.population import write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga"]


def padded_workbook(empty_cells):
    """A header, one invalid row, then `empty_cells` empty `<c/>` cells inside sheetData, and a
    stored (uncompressed) part as large as the sheet so that the unpack ratio looks harmless:
    the attack of issue 24, at a size a test can afford."""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>kode_kelurahan</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>no_kk</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c>'
             '<c r="B2" t="inlineStr"><is><t>123</t></is></c>' + "<c/>" * empty_cells + "</row></sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/media/padding.bin", b"\0" * (len(sheet) // 50), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def batch_of(data, name, user):
    return services.create_batch(kind="households", uploaded=SimpleUploadedFile(name, data), user=user)


def test_a_small_workbook_that_unpacks_to_far_more_goes_to_the_task_worker(admin_user, tmp_path):
    crafted = padded_workbook(2_000_000)  # 8 MB of empty cells in a file of a few hundred KB
    assert len(crafted) < 1_000_000
    assert tasks.runs_in_background(batch_of(crafted, "padded.xlsx", admin_user))
    normal = write_workbook(tmp_path / "kk.xlsx", {"Sheet1": [HEADER, *[["64.71.05.1002", str(i), "A", "B"] for i in range(2000)]]})
    assert not tasks.runs_in_background(batch_of(normal.read_bytes(), "kk.xlsx", admin_user))


def test_every_read_of_a_request_spends_from_one_budget():
    data = padded_workbook(200_000)
    with time_budget(0):  # spent: the checks stop at once, with the limits message
        with pytest.raises(ImportFileError, match="batas server"):
            list(data_rows(read_table(data, "x.xlsx")))
    with time_budget(30), time_budget(3600):  # an inner budget never extends the outer one
        from imports.table import seconds_left
        assert seconds_left() <= 30


@override_settings(KKMP_IMPORT_BACKGROUND_BYTES=100_000_000)
def test_the_error_file_reuses_the_first_reads_checks(admin_user, kelurahan_a, monkeypatch, tmp_path):
    path = write_workbook(tmp_path / "kk.xlsx", {"Sheet1": [HEADER, ["64.71.05.1002", "bukan nomor", "A", "B"]]})
    checks = []
    real = xlsx_read.check_xlsx
    monkeypatch.setattr(xlsx_read, "check_xlsx", lambda *args, **kw: checks.append(1) or real(*args, **kw))
    batch = batch_of(path.read_bytes(), "kk.xlsx", admin_user)
    tasks.start_validation(batch)
    batch.refresh_from_db()
    assert batch.status == "invalid" and batch.error_file
    assert len(checks) == 1  # the check, then the error file, read the sheet once through the checks


def test_a_batch_whose_worker_process_is_gone_is_marked_failed_at_once(admin_user):
    batch = batch_of(b"kode_kelurahan,no_kk\n", "kk.csv", admin_user)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.VALIDATING)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = services._started(child.pid)
    child.wait()  # the worker, killed a moment ago (by gunicorn's timeout, say)
    state = {"stage": "check", "done": 1, "total": 2, "at": 0, "worker": [services.socket.gethostname(), child.pid, started]}
    caches["imports"].set(services.progress_key(batch.pk), {**state, "at": __import__("time").time()}, 3600)
    batch.refresh_from_db()
    services.fail_if_stalled(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED


def test_a_batch_whose_worker_is_alive_is_left_running(admin_user):
    batch = batch_of(b"kode_kelurahan,no_kk\n", "kk.csv", admin_user)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.VALIDATING)
    services.progress_reporter(batch.pk)("check", 1, 2)  # this process: alive
    batch.refresh_from_db()
    services.fail_if_stalled(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATING
