"""The import pages: upload → checked preview → confirm → (undo), with the error file."""

import io
import os

import openpyxl
import pytest
from django.urls import reverse

from imports.models import ImportBatch
from kelurahan.models import HouseholdCount
from members.models import Household
from tests.factories import HouseholdFactory, MemberFactory, make_nik, make_no_kk
from tests.files import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]


def rows(n, start=1, kode="64.71.05.1002"):
    return [[kode, make_no_kk(i), f"Kepala {i}", make_nik(i), f"Jl. Mawar {i}", "7", ""] for i in range(start, start + n)]


def upload(client, path, kind="households", **extra):
    with open(path, "rb") as fh:
        return client.post(reverse("imports:import_create"), {"kind": kind, "file": fh, **extra})


def latest():
    return ImportBatch.objects.latest("pk")


def confirm(client, batch):
    return client.post(reverse("imports:import_commit", args=[batch.pk]))


def test_an_upload_is_checked_and_previewed_without_writing(admin_client_, tmp_path, kelurahan_a):
    response = upload(admin_client_, write_csv(tmp_path / "kk.csv", [HEADER, *rows(3)]))
    batch = latest()
    assert response.url == batch.get_absolute_url()
    assert (batch.status, batch.rows_new, batch.rows_invalid) == ("ready", 3, 0)
    assert batch.sha256 and batch.created_by.username == "admin"
    assert not Household.objects.exists()
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert 'data-count="new">3<' in page
    assert reverse("imports:import_commit", args=[batch.pk]) in page


def test_confirming_writes_the_whole_batch(admin_client_, tmp_path, kelurahan_a):
    upload(admin_client_, write_csv(tmp_path / "kk.csv", [HEADER, *rows(3)]))
    confirm(admin_client_, latest())
    batch = latest()
    assert batch.status == "committed" and batch.committed_by.username == "admin"
    assert Household.objects.count() == 3
    ids = sorted(Household.objects.values_list("pk", flat=True))
    assert batch.created_ids == [[ids[0], ids[-1]]] and ids == list(range(ids[0], ids[-1] + 1))


def test_the_preview_shows_changed_rows_before_and_after(admin_client_, tmp_path, kelurahan_a):
    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(2)]))
    confirm(admin_client_, latest())
    changed = rows(2)
    changed[1][4] = "Jl. Melati 9"
    upload(admin_client_, write_csv(tmp_path / "b.csv", [HEADER, *changed]))
    batch = latest()
    assert (batch.rows_new, batch.rows_updated, batch.rows_unchanged) == (0, 1, 1)
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert "<del>Jl. Mawar 2</del> → <ins>Jl. Melati 9</ins>" in page


def test_a_file_with_errors_offers_no_confirmation_and_an_error_file(admin_client_, tmp_path, kelurahan_a):
    data = rows(3)
    data[1][1] = "6.47105E+15"
    upload(admin_client_, write_csv(tmp_path / "kk.csv", [HEADER, *data]))
    batch = latest()
    assert batch.status == "invalid" and batch.rows_invalid == 1
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert reverse("imports:import_commit", args=[batch.pk]) not in page
    assert "Excel" in page
    assert confirm(admin_client_, batch).status_code == 302
    assert not Household.objects.exists()
    response = admin_client_.get(reverse("imports:import_errors", args=[batch.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    table = list(sheet.values)
    assert table[0][:3] == ("baris", "yang salah", "kode_kelurahan")
    assert len(table) == 2
    assert table[1][0] == 3 and "no_kk" in table[1][1] and table[1][3] == "6.47105E+15"


def test_a_missing_column_is_named_on_the_page(admin_client_, tmp_path, kelurahan_a):
    upload(admin_client_, write_csv(tmp_path / "kk.csv", [["kelurahan_id", "n"], ["1", "2"]]))
    batch = latest()
    assert batch.status == "invalid"
    assert "no_kk" in batch.message
    assert "Traceback" not in admin_client_.get(batch.get_absolute_url()).content.decode()


def test_undo_deletes_created_rows_and_restores_changed_values_exactly(admin_client_, tmp_path, kelurahan_a):
    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(2)]))
    confirm(admin_client_, latest())
    before = {h.no_kk: (h.address, h.updated_at) for h in Household.objects.all()}
    changed = rows(3)
    changed[0][4] = "Jl. Baru"
    upload(admin_client_, write_csv(tmp_path / "b.csv", [HEADER, *changed]))
    second = latest()
    confirm(admin_client_, second)
    assert Household.objects.count() == 3
    admin_client_.post(reverse("imports:import_undo", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == "undone" and second.undone_by.username == "admin"
    assert {h.no_kk: (h.address, h.updated_at) for h in Household.objects.all()} == before


def test_undo_is_refused_after_a_later_import_changed_the_same_rows(admin_client_, tmp_path, kelurahan_a):
    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(2)]))
    first = latest()
    confirm(admin_client_, first)
    changed = rows(2)
    changed[0][4] = "Jl. Baru"
    upload(admin_client_, write_csv(tmp_path / "b.csv", [HEADER, *changed]))
    confirm(admin_client_, latest())
    response = admin_client_.post(reverse("imports:import_undo", args=[first.pk]), follow=True)
    first.refresh_from_db()
    assert first.status == "committed"
    assert f"#{latest().pk}" in response.content.decode()
    assert Household.objects.count() == 2


def test_undo_deletes_only_the_rows_the_batch_created(admin_client_, tmp_path, kelurahan_a):
    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(3)]))
    batch = latest()
    confirm(admin_client_, batch)
    by_hand = HouseholdFactory(kelurahan=kelurahan_a, no_kk=make_no_kk(900))  # an officer's: the next id
    admin_client_.post(reverse("imports:import_undo", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "undone"
    assert list(Household.objects.all()) == [by_hand]


def test_undo_is_refused_when_someone_edited_a_created_household(admin_client_, tmp_path, kelurahan_a):
    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(2)]))
    batch = latest()
    confirm(admin_client_, batch)
    household = Household.objects.first()
    household.address = "Jl. Diubah"
    household.save()
    response = admin_client_.post(reverse("imports:import_undo", args=[batch.pk]), follow=True)
    batch.refresh_from_db()
    assert batch.status == "committed"
    assert Household.objects.count() == 2
    assert response.status_code == 200


def test_undo_is_refused_when_members_joined_a_created_household(admin_client_, tmp_path, kelurahan_a):
    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(1)]))
    batch = latest()
    confirm(admin_client_, batch)
    MemberFactory(kelurahan=kelurahan_a, household=Household.objects.get())
    admin_client_.post(reverse("imports:import_undo", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "committed"
    assert Household.objects.count() == 1


def test_household_counts_go_through_the_same_flow(admin_client_, tmp_path, kelurahan_a):
    path = write_csv(tmp_path / "c.csv", [["kode_kelurahan", "jumlah_kk", "per_tanggal", "sumber"], ["Sepinggan", "3505", "2025-06-30", "DKB"]])
    upload(admin_client_, path, kind="household_counts")
    confirm(admin_client_, latest())
    assert HouseholdCount.objects.get().count == 3505
    admin_client_.post(reverse("imports:import_undo", args=[latest().pk]))
    assert not HouseholdCount.objects.exists()


def test_a_per_person_file_without_kelurahan_uses_the_kelurahan_chosen_on_upload(admin_client_, tmp_path, kelurahan_a):
    header = ["nama", "nik", "no_kk", "kk_level", "rt", "rw", "alamat"]
    people = [
        ["Budi", make_nik(1), make_no_kk(1), "1", "3", "1", "Jl. A"],
        ["Siti", make_nik(2, female=True), make_no_kk(1), "3", "3", "1", ""],
    ]
    upload(admin_client_, write_csv(tmp_path / "opensid.csv", [header, *people]), kelurahan="64.71.05.1002")
    batch = latest()
    assert batch.status == "ready", batch.message
    assert batch.layout == "opensid_people"
    confirm(admin_client_, batch)
    household = Household.objects.get()
    assert (household.kelurahan, household.head_name, household.rt, household.rw) == (kelurahan_a, "Budi", "003", "001")


def test_large_files_are_checked_and_written_by_the_task_worker(
    admin_client_, tmp_path, kelurahan_a, settings, django_capture_on_commit_callbacks
):
    settings.KKMP_IMPORT_BACKGROUND_BYTES = 10  # every file goes to the worker (immediate in tests)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(admin_client_, write_xlsx(tmp_path / "kk.xlsx", [HEADER, *rows(5)], text_columns=("B", "D")))
    assert len(callbacks) == 1  # the check was handed to the worker after the upload committed
    batch = latest()
    assert batch.status == "ready"
    with django_capture_on_commit_callbacks(execute=True):
        confirm(admin_client_, batch)
    assert latest().status == "committed"
    assert Household.objects.count() == 5


def test_a_running_batch_shows_its_progress_and_refreshes(admin_client_, tmp_path, kelurahan_a):
    from django.core.cache import caches

    from imports.services import progress_key

    batch = ImportBatch.objects.create(kind="households", file_name="x.csv", created_by=latest_admin(), status="validating")
    caches["imports"].set(progress_key(batch.pk), {"stage": "check", "done": 50, "total": 200})
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' in page
    assert 'value="25"' in page
    assert admin_client_.get(reverse("imports:import_progress", args=[batch.pk])).json()["progress"]["percent"] == 25


def latest_admin():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


@pytest.mark.parametrize("kind", ["households", "household_counts"])
def test_templates_download_with_the_expected_columns(admin_client_, kind):
    from imports.pipeline import IMPORTS

    response = admin_client_.get(reverse("imports:import_template", args=[kind, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert list(next(sheet.values)) == IMPORTS[kind].template_headers
    csv_text = admin_client_.get(reverse("imports:import_template", args=[kind, "csv"])).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == ",".join(IMPORTS[kind].template_headers)


def test_officers_and_reviewers_cannot_import(officer_client, tmp_path, kelurahan_a):
    assert officer_client.get(reverse("imports:import_list")).status_code == 403
    response = upload(officer_client, write_csv(tmp_path / "kk.csv", [HEADER, *rows(1)]))
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_the_admin_changelist_links_to_the_import_pages(admin_client_):
    page = admin_client_.get("/admin/members/household/").content.decode()
    assert reverse("imports:import_create") + "?jenis=households" in page


def test_a_batch_whose_worker_died_is_marked_failed_and_the_next_import_works(admin_client_, tmp_path, kelurahan_a):
    from datetime import timedelta

    from django.utils import timezone

    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(2)]))
    stuck = latest()
    ImportBatch.objects.filter(pk=stuck.pk).update(status="committing", updated_at=timezone.now() - timedelta(hours=1))
    page = admin_client_.get(stuck.get_absolute_url()).content.decode()
    stuck.refresh_from_db()
    assert stuck.status == "failed"
    assert 'http-equiv="refresh"' not in page
    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(2)]))
    confirm(admin_client_, latest())
    assert Household.objects.count() == 2


def test_imports_and_undos_are_in_the_audit_trail(admin_client_, tmp_path, kelurahan_a):
    from audit.models import AuditEvent

    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *rows(2)]))
    batch = latest()
    confirm(admin_client_, batch)
    admin_client_.post(reverse("imports:import_undo", args=[batch.pk]))
    events = AuditEvent.objects.filter(object_type="importbatch", object_id=str(batch.pk)).order_by("pk")
    assert [e.action for e in events] == ["import_committed", "import_undone"]
    assert events[0].detail["sha256"] == batch.sha256 and events[0].detail["new"] == 2


def test_old_import_files_and_previews_are_purged_but_the_record_stays(admin_client_, tmp_path, kelurahan_a):
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    data = rows(2)
    data[1][1] = "6.47105E+15"
    upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, *data]))
    old = latest()
    upload(admin_client_, write_csv(tmp_path / "b.csv", [HEADER, *rows(1)]))
    recent = latest()
    ImportBatch.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    files = [old.file.path, old.error_file.path]
    call_command("purge_import_files", stdout=StringIO())
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.file and not old.error_file and old.preview == {}
    assert old.sha256 and old.rows_total == 2  # the record stays
    assert not any(os.path.exists(f) for f in files)
    assert recent.file and recent.preview
