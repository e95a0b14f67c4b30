"""Faults during an import, for real, on PostgreSQL: the importing process is killed, or its
database connection is cut, in the middle of the write transaction. The database then holds
the state before the import, the batch says it failed, and the next import works."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from imports.models import ImportBatch
from imports.services import fail_if_stalled
from members.models import Household
from tests.factories import UserFactory, make_nik, make_no_kk

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server to cut"),
]

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "kkmp-fault-test"


def write_households(path, count):
    lines = ["kode_kelurahan,no_kk,nama_kepala_keluarga,nik_kepala_keluarga,rt"]
    lines += [f"64.71.05.1002,{make_no_kk(i, day=i % 28 + 1)},Kepala {i},{make_nik(i % 9999 + 1, day=i % 28 + 1, month=i % 12 + 1)},{i % 40 + 1:03d}"
              for i in range(1, count + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def start_import(tmp_path, csv_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "PGAPPNAME": APP_NAME,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "KKMP_PROGRESS_DIR": str(tmp_path / "progress"),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_households", str(csv_path), "--as", "admin"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def importer_backend_in_write_transaction(process, timeout=120):
    """The pid of the importer's database session once it holds the import lock and has begun
    writing (its transaction has an id), or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                "WHERE a.application_name = %s AND l.locktype = 'advisory' AND l.granted "
                "AND a.backend_xid IS NOT NULL",
                [APP_NAME],
            )
            row = cursor.fetchone()
        if row:
            return row[0]
        time.sleep(0.02)
    pytest.fail("the import never reached its write transaction")


@pytest.fixture
def big_file(tmp_path, kelurahan_a):
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    return write_households(tmp_path / "kk.csv", 30_000)


def import_again_works(tmp_path):
    small = write_households(tmp_path / "small.csv", 50)
    process = start_import(tmp_path, small)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert Household.objects.count() == 50


def test_a_killed_import_leaves_nothing_and_the_batch_is_marked_failed(tmp_path, big_file, settings):
    process = start_import(tmp_path, big_file)
    importer_backend_in_write_transaction(process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.5)  # the server notices the lost client and rolls its transaction back

    assert Household.objects.count() == 0
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.COMMITTING  # nobody was left to say otherwise...
    settings.KKMP_IMPORT_STALL_MINUTES = 0  # ...until the stall limit passes (10 minutes by default)
    settings.CACHES = {**django_settings.CACHES, "imports": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path / "progress")}}
    fail_if_stalled(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    import_again_works(tmp_path)


def test_a_cut_database_connection_rolls_back_and_fails_the_batch_at_once(tmp_path, big_file):
    process = start_import(tmp_path, big_file)
    pid = importer_backend_in_write_transaction(process)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    out, err = process.communicate(timeout=60)

    assert process.returncode == 1
    # The log has the error (for the operator); the user's last line says what happened.
    assert "nothing was imported" in err.strip().splitlines()[-1] or "tidak ada yang diimpor" in err.strip().splitlines()[-1]
    assert Household.objects.count() == 0
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    import_again_works(tmp_path)
