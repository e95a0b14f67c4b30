"""A checked batch is written once, however often it is confirmed: two confirmations of the
same payments batch sent at the same moment (two tabs, a double tap, a retried request) or a
commit task run twice write every payment once, and the batch keeps the counts of that one
commit. Payments are the costly case (each row a ledger entry with a receipt), so they are what
these tests import; every kind goes through the same claim and lock."""

import threading
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from imports import services, tasks
from imports.models import ImportBatch
from koperasi.models import Entry
from members.models import Member
from members.services import register_member
from tests.factories import make_nik, make_no_kk
from tests.files import write_csv

HEADER = ["nomor_anggota", "nama", "tanggal", "jenis", "jumlah"]


def payments_batch(tmp_path, kelurahan, user, count=3):
    members = [
        register_member(kelurahan=kelurahan, nik=make_nik(i), name=f"Anggota {i}", joined_on=date(2025, 9, 1),
                        no_kk=make_no_kk(i), status=Member.Status.AKTIF)
        for i in range(1, count + 1)
    ]
    rows = [HEADER, *([m.member_number, m.name, "05/09/2025", "sukarela", "10.000"] for m in members)]
    path = write_csv(tmp_path / "setoran.csv", rows, delimiter=";")
    batch = services.create_batch(kind="payments", uploaded=SimpleUploadedFile(path.name, path.read_bytes()), user=user)
    services.validate_batch(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_new) == ("ready", count)
    return batch


@pytest.mark.django_db
def test_a_commit_run_again_on_a_committed_batch_writes_nothing(tmp_path, kelurahan_a, admin_user):
    batch = payments_batch(tmp_path, kelurahan_a, admin_user)
    services.commit_batch(batch, admin_user)
    batch.refresh_from_db()
    assert (batch.status, Entry.objects.count()) == ("committed", 3)

    assert services.commit_batch(batch, admin_user) is None  # the task, run a second time
    batch.refresh_from_db()
    assert (batch.status, batch.rows_new, Entry.objects.count()) == ("committed", 3, 3)


@pytest.mark.django_db
def test_the_confirm_button_pressed_again_after_the_import_says_so_and_writes_nothing(tmp_path, kelurahan_a, admin_user):
    batch = payments_batch(tmp_path, kelurahan_a, admin_user)
    client = Client()
    client.force_login(admin_user)
    url = reverse("imports:import_commit", args=[batch.pk])
    assert client.post(url).status_code == 302
    response = client.post(url, follow=True)
    assert "tidak dapat diimpor" in response.content.decode()
    assert Entry.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent sessions")
def test_two_confirmations_of_one_payments_batch_at_the_same_moment_record_each_payment_once(tmp_path, kelurahan_a, admin_user):
    batch = payments_batch(tmp_path, kelurahan_a, admin_user)
    # Each request has read the batch as "ready" (the confirm view's check) before either
    # writes: what two requests arriving together do.
    seen_ready = [ImportBatch.objects.get(pk=batch.pk) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def confirm(stale):
        try:
            start.wait()
            outcomes.append(tasks.start_commit(stale, admin_user))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(b,)) for b in seen_ready]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and sorted(outcomes) == [False, True]
    batch.refresh_from_db()
    assert (batch.status, batch.rows_new) == ("committed", 3)
    assert Entry.objects.count() == 3
    assert Entry.objects.values("receipt_number").distinct().count() == 3
