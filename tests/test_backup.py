"""The backup commands of docs/backup.md restore every household exactly."""

import sqlite3
import subprocess

import pytest
from django.db import connection

from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHECKSUM_SQL = (
    "SELECT count(*), {md5}(coalesce({agg}, '')) FROM "
    "(SELECT no_kk || '|' || head_name || '|' || head_nik || '|' || address || '|' || rt || '|' || rw || '|' || kelurahan_id AS line "
    "FROM members_household ORDER BY no_kk) AS t"
)


def pg_summary(cursor):
    cursor.execute(CHECKSUM_SQL.format(md5="md5", agg="string_agg(line, ',')"))
    return cursor.fetchone()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump/pg_restore")
def test_a_pg_dump_restores_every_household(kelurahan_a, tmp_path):
    import psycopg2

    HouseholdFactory.create_batch(25, kelurahan=kelurahan_a)
    settings = connection.settings_dict
    dsn = {"host": settings["HOST"] or "127.0.0.1", "port": str(settings["PORT"] or 5432), "user": settings["USER"]}
    args = ["-h", dsn["host"], "-p", dsn["port"], "-U", dsn["user"]]
    dump, restored = tmp_path / "kkmp.dump", f"{settings['NAME']}_restore"
    with connection.cursor() as cursor:
        original = pg_summary(cursor)
    subprocess.run(["pg_dump", *args, "-Fc", "-f", str(dump), settings["NAME"]], check=True)
    subprocess.run(["dropdb", *args, "--if-exists", restored], check=True)
    subprocess.run(["createdb", *args, restored], check=True)
    try:
        subprocess.run(["pg_restore", *args, "--no-owner", "-d", restored, str(dump)], check=True)
        other = psycopg2.connect(dbname=restored, **dsn)
        try:
            with other.cursor() as cursor:
                assert pg_summary(cursor) == original
        finally:
            other.close()
    finally:
        subprocess.run(["dropdb", *args, "--if-exists", restored], check=True)
    assert original[0] == 25


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's online backup")
def test_an_sqlite_backup_restores_every_household(kelurahan_a, tmp_path):
    HouseholdFactory.create_batch(25, kelurahan=kelurahan_a)
    connection.ensure_connection()
    target = sqlite3.connect(tmp_path / "backup.sqlite3")
    connection.connection.backup(target)  # what `sqlite3 db.sqlite3 ".backup backup.sqlite3"` does
    lines = "SELECT no_kk || '|' || head_name || '|' || head_nik || '|' || address || '|' || rt || '|' || rw || '|' || kelurahan_id FROM members_household ORDER BY no_kk"
    with connection.cursor() as cursor:
        cursor.execute(lines)
        original = cursor.fetchall()
    assert target.execute(lines).fetchall() == original
    assert len(original) == 25

