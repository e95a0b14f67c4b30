"""Correcting the simpanan pokok an applicant's activation rested on (issue 24, point C): the
activation rule followed back. The member is an applicant (calon) again from the correction's
date, in the status history as every status change is, unless something recorded since needs
them active (simpanan wajib, an office), which refuses the correction and says why."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from koperasi import simpanan
from koperasi.models import Cooperative, Entry, Officer
from members.models import Member
from members.services import accept_member, register_member
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db

APPLIED = date(2025, 9, 1)
PAID = date(2025, 9, 5)


def applicant(kelurahan, serial=1, status=Member.Status.CALON):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Calon {serial}", joined_on=APPLIED,
                           no_kk=make_no_kk(serial), status=status)


def history(member):
    return list(member.status_changes.order_by("pk").values_list("status", "on"))


def status_now(member):
    return Member.objects.with_status_on(timezone.localdate()).get(pk=member.pk).status_on


def test_correcting_the_pokok_that_activated_an_applicant_makes_them_an_applicant_again(kelurahan_a):
    calon = applicant(kelurahan_a)
    entry = simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID)
    calon.refresh_from_db()
    assert calon.status == Member.Status.AKTIF
    correction = simpanan.correct_entry(entry=entry, reason="salah anggota")
    calon.refresh_from_db()
    today = timezone.localdate()
    assert (calon.status, calon.joined_on) == (Member.Status.CALON, today)
    assert history(calon) == [("calon", APPLIED), ("aktif", PAID), ("calon", today)]  # appended, nothing rewritten
    assert correction.receipt_number in calon.status_changes.latest("pk").reason
    assert status_now(calon) == Member.Status.CALON  # the status history agrees with the status
    assert not Member.objects.active_on(today).filter(pk=calon.pk).exists()
    assert Member.objects.active_on(PAID).filter(pk=calon.pk).exists()  # the past stands, as the ledger's does
    assert simpanan.balances(calon).pokok == 0


def test_the_correction_page_says_so_first_and_after(officer_client, kelurahan_a):
    calon = applicant(kelurahan_a)
    entry = simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID)
    url = reverse("koperasi:correction", args=[entry.pk])
    assert "applicant (calon) again" in officer_client.get(url).content.decode()
    response = officer_client.post(url, {"reason": "salah anggota"}, follow=True)
    assert "Calon 1 is an applicant (calon) again" in " ".join(str(m) for m in response.context["messages"])
    assert Member.objects.get(pk=calon.pk).status == Member.Status.CALON


def test_correcting_either_instalment_of_the_pokok_makes_them_an_applicant_again(kelurahan_a):
    calon = applicant(kelurahan_a)
    first = simpanan.record_payment(member=calon, kind="pokok", amount=20_000, paid_on=PAID)
    simpanan.record_payment(member=calon, kind="pokok", amount=30_000, paid_on=PAID)
    simpanan.correct_entry(entry=first, reason="jumlah salah")
    assert Member.objects.get(pk=calon.pk).status == Member.Status.CALON
    assert simpanan.balances(calon).pokok == 30_000


def test_paying_the_pokok_again_activates_them_again_from_that_day_on(kelurahan_a):
    calon = applicant(kelurahan_a)
    simpanan.correct_entry(entry=simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID), reason="tanggal salah")
    simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID)  # dated back: the acceptance is not
    calon.refresh_from_db()
    assert (calon.status, calon.joined_on) == (Member.Status.AKTIF, timezone.localdate())
    assert status_now(calon) == Member.Status.AKTIF


def test_with_the_rule_confirmed_by_the_pengurus_the_confirmation_is_followed_back_too(kelurahan_a):
    Cooperative.objects.create(kelurahan=kelurahan_a, activation=Cooperative.Activation.CONFIRMED)
    calon = applicant(kelurahan_a)
    entry = simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID)
    accept_member(member=calon, accepted_on=date(2025, 9, 8), reason="rapat pengurus")
    simpanan.correct_entry(entry=entry, reason="salah anggota")
    assert Member.objects.get(pk=calon.pk).status == Member.Status.CALON


def test_an_applicant_accepted_before_paying_stays_active(kelurahan_a):
    calon = applicant(kelurahan_a)
    accept_member(member=calon, accepted_on=date(2025, 9, 2))
    entry = simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID)
    simpanan.correct_entry(entry=entry, reason="salah ketik")
    assert Member.objects.get(pk=calon.pk).status == Member.Status.AKTIF


def test_a_member_registered_as_active_stays_active(kelurahan_a):
    anggota = applicant(kelurahan_a, status=Member.Status.AKTIF)
    entry = simpanan.record_payment(member=anggota, kind="pokok", paid_on=PAID)
    simpanan.correct_entry(entry=entry, reason="salah ketik")
    assert Member.objects.get(pk=anggota.pk).status == Member.Status.AKTIF
    assert len(history(anggota)) == 1


def refused(entry):
    before = (list(Entry.objects.values_list("pk", flat=True)), history(entry.member))
    with pytest.raises(ValidationError) as exc:
        simpanan.correct_entry(entry=entry, reason="salah anggota")
    assert (list(Entry.objects.values_list("pk", flat=True)), history(entry.member)) == before
    assert Member.objects.get(pk=entry.member_id).status == Member.Status.AKTIF
    return exc.value


def test_refused_while_simpanan_wajib_paid_since_needs_them_active_and_allowed_once_it_is_corrected(kelurahan_a):
    calon = applicant(kelurahan_a)
    entry = simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID)
    wajib = simpanan.record_payment(member=calon, kind="wajib", months=2, paid_on=PAID)
    error = refused(entry)
    assert error.code == "wajib_since_acceptance"
    assert "Rp 20.000" in error.messages[0] and "Correct those payments first" in error.messages[0]
    simpanan.correct_entry(entry=wajib, reason="ikut salah")
    simpanan.correct_entry(entry=entry, reason="salah anggota")
    assert Member.objects.get(pk=calon.pk).status == Member.Status.CALON


def test_refused_while_they_serve_as_pengurus(kelurahan_a):
    calon = applicant(kelurahan_a)
    entry = simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID)
    Officer.objects.create(kelurahan=kelurahan_a, member=calon, role=Officer.Role.BENDAHARA, term_start=date(2025, 9, 10))
    error = refused(entry)
    assert error.code == "serves" and "End their term first" in error.messages[0]
