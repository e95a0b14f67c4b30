"""Two admins at once, on PostgreSQL (real concurrent sessions, one thread each)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from imports import services
from members.models import Household
from tests.factories import make_nik, make_no_kk

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and sessions"),
]


def test_two_admins_confirming_the_same_file_at_once_store_each_kk_once(admin_user, kelurahan_a):
    lines = ["kode_kelurahan,no_kk,nama_kepala_keluarga,nik_kepala_keluarga"]
    lines += [f"64.71.05.1002,{make_no_kk(i)},Kepala {i},{make_nik(i)}" for i in range(1, 501)]
    data = ("\n".join(lines) + "\n").encode()
    batches = []
    for _ in range(2):
        batch = services.create_batch(kind="households", uploaded=SimpleUploadedFile("kk.csv", data), user=admin_user)
        services.validate_batch(batch)
        assert batch.status == "ready"
        batches.append(batch)

    start = threading.Barrier(2)
    errors = []

    def confirm(batch):
        try:
            start.wait()
            services.commit_batch(batch, admin_user)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    for batch in batches:
        batch.refresh_from_db()
    assert Household.objects.count() == 500
    assert sorted((b.status, b.rows_new, b.rows_unchanged) for b in batches) == [("committed", 0, 500), ("committed", 500, 0)]
