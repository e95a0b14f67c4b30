"""Digits of other scripts (an Arabic-Indic or fullwidth keyboard, a copy from a PDF) are read
as the ASCII digits they mean, in one place (`members.values.ascii_digits`) used by every path:
one person is one NIK, however it was typed, and the duplicate check sees it."""

import pytest
from django.urls import reverse

from members.identity import check_nik, check_no_kk
from members.models import Member
from members.values import normalise_phone, normalise_rt_rw, number_query
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
URL = reverse("members:member_create")


def test_a_nik_typed_in_arabic_indic_digits_is_stored_in_ascii_and_the_same_nik_is_then_a_duplicate(officer_client, kelurahan_a):
    form = {"kelurahan": kelurahan_a.pk, "name": "Budi Santoso", "joined_on": "2025-09-01",
            "nik": make_nik(701).translate(ARABIC), "no_kk": make_no_kk(701).translate(FULLWIDTH),
            "phone": "0812 3456 7890".translate(ARABIC), "domicile_rt": "٧"}
    assert officer_client.post(URL, form).status_code == 302
    member = Member.objects.get()
    assert (member.nik, member.household.no_kk, member.phone, member.domicile_rt) == (
        make_nik(701), make_no_kk(701), "081234567890", "007")

    again = officer_client.post(URL, {**form, "name": "Budi S.", "nik": make_nik(701)})
    assert again.status_code == 200 and "nik" in again.context["form"].errors
    assert Member.objects.count() == 1


def test_characters_that_look_like_digits_but_are_not_decimal_are_refused():
    check = check_nik("647105120390000²")
    assert check.errors and check.value == "647105120390000²"
    assert normalise_rt_rw("²") == "²"  # left for the validation, which refuses it


def test_every_normaliser_reads_other_scripts_the_same_way():
    assert check_nik(make_nik(1).translate(ARABIC)).value == make_nik(1)
    assert check_no_kk(" " + make_no_kk(1).translate(FULLWIDTH) + "\u00a0").value == make_no_kk(1)
    assert normalise_rt_rw("٠٠٧") == normalise_rt_rw(7) == "007"
    assert normalise_phone("٠٨١٢") == "0812"
    assert number_query("٦٤٧١") == "6471"
