"""Officers registering at the same moment, in real concurrent PostgreSQL sessions."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from members.models import Member
from members.services import register_member
from tests.factories import make_nik, make_no_kk

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and sessions"),
]


def at_once(*calls):
    """Run the calls in threads released together; return what each returned or raised."""
    start, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        try:
            start.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def registration(kelurahan, serial, nik_serial=None, kk_serial=None):
    return lambda: register_member(
        kelurahan=kelurahan,
        nik=make_nik(nik_serial or serial),
        name=f"Anggota {serial}",
        joined_on=date(2025, 9, 1),
        no_kk=make_no_kk(kk_serial or serial),
    )


def test_two_officers_registering_at_once_get_consecutive_member_numbers(kelurahan_a):
    results = at_once(*(registration(kelurahan_a, i) for i in range(1, 5)))
    assert all(isinstance(r, Member) for r in results), results
    assert sorted(Member.objects.values_list("member_seq", flat=True)) == [1, 2, 3, 4]


def test_the_same_nik_registered_twice_at_once_in_two_kelurahan_makes_one_member(kelurahan_a, kelurahan_b):
    results = at_once(registration(kelurahan_a, 1), registration(kelurahan_b, 2, nik_serial=1))
    assert Member.objects.filter(nik=make_nik(1)).count() == 1
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1
    assert [e.code for e in refused[0].error_dict["nik"]] == ["unique"]


def test_the_same_new_kk_registered_twice_at_once_links_both_members_to_one_household(kelurahan_a, kelurahan_b):
    results = at_once(registration(kelurahan_a, 1, kk_serial=9), registration(kelurahan_b, 2, kk_serial=9))
    assert all(isinstance(r, Member) for r in results), results
    assert Member.objects.values("household").distinct().count() == 1


def test_an_import_and_an_officer_at_the_same_moment_keep_member_numbers_gap_free(kelurahan_a, tmp_path):
    from django.contrib.auth import get_user_model

    from tests.files import run_command, write_csv

    get_user_model().objects.create_superuser("admin", None, "x")
    header = ["kode_kelurahan", "nik", "nama", "tanggal_masuk"]
    rows = [[kelurahan_a.kode, make_nik(100 + i), f"Impor {i}", "2025-09-01"] for i in range(50)]
    path = write_csv(tmp_path / "anggota.csv", [header, *rows])
    results = at_once(
        lambda: run_command("import_members", path),
        registration(kelurahan_a, 1),
        registration(kelurahan_a, 2),
    )
    assert results[0][2] is None, results[0]
    assert all(isinstance(r, Member) for r in results[1:]), results
    seqs = sorted(Member.objects.filter(kelurahan=kelurahan_a).values_list("member_seq", flat=True))
    assert seqs == list(range(1, 53))
    assert Member.objects.values("member_number").distinct().count() == 52
