"""The import pages' query counts, pinned at two sizes (tests/query_counts.py): the list of
batches, a batch's page in each state (checked with changed rows, refused with invalid rows,
confirmed, undone), the upload form and a batch's progress, as the admin uses them. The batches
are made as an admin makes them: uploaded on the page, checked, confirmed, undone (the tasks
run in the request in tests). At the larger size, another admin uploads a file of 12 rows, or
ten more files.

Every page starts with 1: the session, 2: the user (an admin: no permissions to load)."""

import pytest
from django.test import Client
from django.urls import reverse

from imports.models import ImportBatch
from tests.factories import UserFactory, make_nik, make_no_kk
from tests.files import write_csv
from tests.query_counts import pin_queries

pytestmark = pytest.mark.django_db

HEADER = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]


def households(count, *, start=1, street="Mawar", kode="64.71.05.1002"):
    return [[kode, make_no_kk(i), f"Kepala {i}", make_nik(i), f"Jl. {street} {i}", "7", ""] for i in range(start, start + count)]


class Uploads:
    """Files uploaded as an admin does, each checked at once (tasks run in the request)."""

    def __init__(self, tmp_path):
        self.tmp_path, self.n = tmp_path, 0

    def __call__(self, client, rows, *, kind="households"):
        self.n += 1
        path = write_csv(self.tmp_path / f"file-{self.n}.csv", [HEADER, *rows])
        with open(path, "rb") as fh:
            response = client.post(reverse("imports:import_create"), {"kind": kind, "file": fh})
        assert response.status_code == 302, response.content[:500]
        return ImportBatch.objects.latest("pk")

    def confirmed(self, client, rows):
        batch = self(client, rows)
        client.post(reverse("imports:import_commit", args=[batch.pk]))
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.COMMITTED, batch.message
        return batch


@pytest.fixture
def uploads(tmp_path):
    return Uploads(tmp_path)


def another_admin():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_import_list(admin_client_, kelurahan_a, uploads):
    uploads.confirmed(admin_client_, households(2))
    uploads(admin_client_, households(2, start=3))

    def grow():
        for i in range(10):
            uploads(another_admin(), households(2, start=10 + 2 * i))
    # 3: the count (the pages of 25), 4: this page's batches with who uploaded each.
    small, large = pin_queries(admin_client_, reverse("imports:import_list"), 4, grow=grow)
    assert (len(small.context["page"]), len(large.context["page"])) == (2, 12)


def latest_page():
    return ImportBatch.objects.latest("pk").get_absolute_url()


def test_a_batch_with_changed_rows(admin_client_, kelurahan_a, uploads):
    uploads.confirmed(admin_client_, households(14))
    uploads(admin_client_, households(2, street="Melati"))
    # 3: the batch with who uploaded, confirmed and undid it (the preview is stored on it).
    small, large = pin_queries(admin_client_, latest_page, 3,
                               grow=lambda: uploads(another_admin(), households(12, street="Anggrek")))
    assert (small.context["batch"].rows_updated, large.context["batch"].rows_updated) == (2, 12)
    assert "Anggrek 12" in large.content.decode()


def test_a_batch_with_invalid_rows(admin_client_, kelurahan_a, uploads):
    def invalid(count):
        rows = households(count)
        for row in rows:
            row[1] = "6.47105E+15"
        return rows
    uploads(admin_client_, invalid(2))
    # 3: the batch (its problems are stored on it).
    small, large = pin_queries(admin_client_, latest_page, 3, grow=lambda: uploads(another_admin(), invalid(12)))
    assert (small.context["batch"].rows_invalid, large.context["batch"].rows_invalid) == (2, 12)


def test_a_confirmed_batch(admin_client_, kelurahan_a, uploads):
    uploads.confirmed(admin_client_, households(2))
    # 3: the batch with who uploaded and confirmed it.
    small, large = pin_queries(admin_client_, latest_page, 3,
                               grow=lambda: uploads.confirmed(another_admin(), households(12, start=3)))
    assert (small.context["can_undo"], small.context["batch"].rows_new, large.context["batch"].rows_new) == (True, 2, 12)


def test_an_undone_batch(admin_client_, kelurahan_a, uploads):
    def undone(client, rows):
        batch = uploads.confirmed(client, rows)
        client.post(reverse("imports:import_undo", args=[batch.pk]))
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.UNDONE
    undone(admin_client_, households(2))
    # 3: the batch with who uploaded, confirmed and undid it.
    pin_queries(admin_client_, latest_page, 3, grow=lambda: undone(another_admin(), households(12, start=3)))


def test_the_upload_form(admin_client_, kelurahan_a, uploads):
    uploads(admin_client_, households(2))
    # Nothing else: the kinds and the form come from the code.
    pin_queries(admin_client_, reverse("imports:import_create"), 2, grow=lambda: uploads(another_admin(), households(12)))


def test_a_batch_s_progress(admin_client_, kelurahan_a, uploads):
    uploads(admin_client_, households(2))
    # 3: the batch (its progress is in the cache).
    pin_queries(admin_client_, lambda: reverse("imports:import_progress", args=[ImportBatch.objects.latest("pk").pk]), 3,
                grow=lambda: uploads(another_admin(), households(12)))
