"""Amounts in rupiah as Indonesians write them (issue 24, point D): a dot separates thousands
and is followed by exactly three digits, so `1000.50` is refused instead of read as Rp 100.050;
only the digits 0-9 count; a huge number is "too large", never a traceback. One function
(`koperasi.amounts.parse_rupiah`) reads the payment form's amount and the payments import's."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from imports import payments, services
from koperasi.amounts import MAX_AMOUNT, parse_rupiah
from koperasi.forms import PaymentForm
from koperasi.models import Entry
from members.services import register_member
from tests.factories import make_nik, make_no_kk
from tests.files import write_csv

pytestmark = pytest.mark.django_db

HUGE = "1" * 10_000  # more digits than int() converts (4300) without a ValueError


@pytest.mark.parametrize("typed, rupiah", [
    ("1.000.000", 1_000_000),
    ("1000000", 1_000_000),
    ("Rp 1.000.000", 1_000_000),
    ("Rp1.000.000", 1_000_000),
    ("  Rp 1.000.000  ", 1_000_000),
    ("rp. 50.000", 50_000),
    ("Rp 50.000,-", 50_000),
    ("50.000,00", 50_000),
    ("50 000", 50_000),
    ("Rp\u00a020.000", 20_000),
    ("999", 999),
    ("1.000.000.000.000", MAX_AMOUNT),
])
def test_an_amount_written_the_indonesian_way_is_read_in_whole_rupiah(typed, rupiah):
    assert parse_rupiah(typed) == rupiah


@pytest.mark.parametrize("typed", ["1000.50", "1.00", "1.0000", "1.000.00", "1000.500", "Rp 1.5", "2.5E+04"])
def test_a_dot_not_followed_by_exactly_three_digits_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        parse_rupiah(typed)
    assert refused.value.code == "thousands"
    assert "exactly three digits" in refused.value.messages[0]


@pytest.mark.parametrize("typed", [
    "\u0661\u0660\u0660\u0660\u0660",  # Arabic-Indic 10000
    "\u06f1\u06f0\u06f0\u06f0\u06f0",  # Extended Arabic-Indic (Persian) 10000
    "\uff11\uff10\uff10\uff10\uff10",  # fullwidth 10000
    "Rp 10.\u0660\u0660\u0660",  # one look-alike among ASCII digits
])
def test_digits_other_than_0_to_9_are_refused_with_a_message(typed):
    with pytest.raises(ValidationError) as refused:
        parse_rupiah(typed)
    assert refused.value.code == "digits"
    assert "0 to 9" in refused.value.messages[0]


@pytest.mark.parametrize("typed", [HUGE, "Rp " + HUGE, "1.000.000.000.001", "9" * 14, 10**12 + 1, 1e15])
def test_an_amount_beyond_the_largest_is_too_large(typed):
    with pytest.raises(ValidationError) as refused:
        parse_rupiah(typed)
    assert refused.value.code == "too_large"
    assert refused.value.messages == ["The amount is too large: at most Rp 1.000.000.000.000."]


@pytest.mark.parametrize("typed, code", [
    ("", "missing"), ("lima puluh ribu", "invalid"), ("50,000", "comma"), ("10.000,50", "fraction"),
    ("-10000", "negative"), ("(50.000)", "negative"), ("0", "not_positive"), (True, "invalid"), (10000.5, "fraction"),
])
def test_what_is_not_a_whole_positive_amount_is_refused(typed, code):
    with pytest.raises(ValidationError) as refused:
        parse_rupiah(typed)
    assert refused.value.code == code


def member(kelurahan):
    return register_member(kelurahan=kelurahan, nik=make_nik(1), name="Anggota 1", joined_on=date(2025, 9, 1),
                           no_kk=make_no_kk(1))


def test_the_payment_page_refuses_1000_50_and_records_nothing(officer_client, kelurahan_a):
    saver = member(kelurahan_a)
    data = {"amount": "1000.50", "paid_on": timezone.localdate().isoformat(), "method": "tunai"}
    response = officer_client.post(reverse("koperasi:payment", args=[saver.pk, "sukarela"]), data)
    assert response.status_code == 200
    assert "exactly three digits" in " ".join(response.context["form"].errors["amount"])
    assert not Entry.objects.exists()


def test_the_payment_page_says_a_10000_digit_amount_is_too_large(officer_client, kelurahan_a):
    saver = member(kelurahan_a)
    data = {"amount": HUGE, "paid_on": timezone.localdate().isoformat(), "method": "tunai"}
    response = officer_client.post(reverse("koperasi:payment", args=[saver.pk, "sukarela"]), data)
    assert response.status_code == 200
    assert "too large" in " ".join(response.context["form"].errors["amount"])
    assert not Entry.objects.exists()


@pytest.mark.parametrize("typed", ["1000.50", "\uff15\uff10\uff10\uff10\uff10", HUGE, "Rp 1.000.000", "1.000.000"])
def test_the_form_and_the_import_read_an_amount_alike(typed):
    form = PaymentForm({"amount": typed, "paid_on": "2025-09-05", "method": "tunai"}, kind=Entry.Kind.SUKARELA)
    form.is_valid()
    imported, problem = payments.parse_amount(typed)
    assert form.cleaned_data.get("amount") == imported
    assert form.errors.get("amount", [None]) == [problem]


def test_an_import_row_of_1000_50_is_a_problem_of_its_amount(tmp_path, kelurahan_a, admin_user):
    saver = member(kelurahan_a)
    header = ["nomor_anggota", "nama", "tanggal", "jenis", "jumlah"]
    rows = [header, [saver.member_number, saver.name, "05/09/2025", "sukarela", "1.000.000"],
            [saver.member_number, saver.name, "05/09/2025", "sukarela", "1000.50"],
            [saver.member_number, saver.name, "05/09/2025", "sukarela", HUGE]]
    path = write_csv(tmp_path / "setoran.csv", rows, delimiter=";")
    batch = services.create_batch(kind="payments", uploaded=SimpleUploadedFile(path.name, path.read_bytes()),
                                  user=admin_user)
    services.validate_batch(batch)
    batch.refresh_from_db()
    assert [(p["row"], p["column"]) for p in batch.preview["problems"]] == [(3, "jumlah"), (4, "jumlah")]
    assert "exactly three digits" in batch.preview["problems"][0]["message"]
    assert "too large" in batch.preview["problems"][1]["message"]
    assert not Entry.objects.exists()
