"""The simpanan pages as an officer and a reviewer use them: paying from the member page, the
receipt, a refusal in the form, a correction, a withdrawal, and who may do what."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from koperasi import simpanan
from koperasi.models import Entry
from members.models import Member
from members.services import register_member
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db

JOINED = date(2025, 9, 1)


def applicant(kelurahan, serial=1):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Calon {serial}", joined_on=JOINED,
                           no_kk=make_no_kk(serial), status=Member.Status.CALON)


def pay(client, member, kind, **data):
    data = {"paid_on": timezone.localdate().isoformat(), "method": "tunai", "reference": "", **data}
    return client.post(reverse("koperasi:payment", args=[member.pk, kind]), data, follow=True)


def test_an_officer_pays_the_pokok_from_the_member_page_and_gets_the_receipt(officer_client, kelurahan_a):
    member = applicant(kelurahan_a)
    page = officer_client.get(member.get_absolute_url()).content.decode()
    url = reverse("koperasi:payment", args=[member.pk, "pokok"])
    assert url in page  # the first tap
    form = officer_client.get(url)
    assert form.context["form"]["amount"].value() == 50_000  # prefilled: the second tap is Save
    response = pay(officer_client, member, "pokok", amount="50.000")
    entry = Entry.objects.get()
    assert response.redirect_chain[-1][0] == entry.get_absolute_url()
    page = response.content.decode()
    assert "KKMP Sepinggan" in page and member.member_number in page
    assert "lima puluh ribu rupiah" in page.lower()
    assert entry.receipt_number in page
    member.refresh_from_db()
    assert member.status == Member.Status.AKTIF
    assert [str(m) for m in response.context["messages"]][-1].startswith("Calon 1")


def test_a_second_pokok_is_refused_in_the_form_and_nothing_is_written(officer_client, kelurahan_a):
    member = applicant(kelurahan_a)
    pay(officer_client, member, "pokok", amount="50000")
    response = pay(officer_client, member, "pokok", amount="50000")
    assert response.status_code == 200
    assert "already fully paid" in " ".join(response.context["form"].non_field_errors())
    assert Entry.objects.count() == 1


@pytest.mark.parametrize("data, field, message", [
    ({"amount": "0"}, "amount", ""),
    ({"amount": "-5000"}, "amount", ""),
    ({"amount": "abc"}, "amount", ""),
    ({"amount": "10000", "paid_on": "2999-01-01"}, "paid_on", "future"),
    ({"amount": "10000", "method": "bitcoin"}, "method", ""),
])
def test_bad_input_in_the_payment_form_gets_a_message_on_its_field(officer_client, kelurahan_a, data, field, message):
    member = register_member(kelurahan=kelurahan_a, nik=make_nik(2), name="Aktif", joined_on=JOINED, no_kk=make_no_kk(2))
    response = pay(officer_client, member, "sukarela", **data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not Entry.objects.exists()


def test_no_payment_for_a_former_member(officer_client, kelurahan_a):
    from members.services import record_leaving
    member = register_member(kelurahan=kelurahan_a, nik=make_nik(3), name="Pergi", joined_on=JOINED, no_kk=make_no_kk(3))
    record_leaving(member=member, status=Member.Status.KELUAR, left_on=date(2025, 10, 1))
    response = pay(officer_client, member, "sukarela", amount="10000")
    assert "former member" in " ".join(response.context["form"].non_field_errors())
    assert not Entry.objects.exists()


def test_a_correction_reverses_the_entry_from_the_receipt(officer_client, kelurahan_a):
    member = applicant(kelurahan_a)
    pay(officer_client, member, "pokok", amount="50000")
    entry = Entry.objects.get()
    page = officer_client.get(entry.get_absolute_url()).content.decode()
    assert reverse("koperasi:correction", args=[entry.pk]) in page
    response = officer_client.post(reverse("koperasi:correction", args=[entry.pk]), {"reason": "salah anggota"}, follow=True)
    reversal = Entry.objects.exclude(pk=entry.pk).get()
    assert reversal.amount == -50_000 and reversal.reverses == entry
    assert "salah anggota" in response.content.decode()
    assert simpanan.balances(member).pokok == 0
    again = officer_client.post(reverse("koperasi:correction", args=[entry.pk]), {"reason": "lagi"})
    assert again.status_code == 200 and Entry.objects.count() == 2  # corrected once only


def test_the_reviewer_reads_the_receipt_but_cannot_pay_or_correct(client, reviewer, kelurahan_a):
    member = applicant(kelurahan_a)
    entry = simpanan.record_payment(member=member, kind="pokok", paid_on=JOINED)
    client.force_login(reviewer)
    page = client.get(entry.get_absolute_url())
    assert page.status_code == 200 and reverse("koperasi:correction", args=[entry.pk]) not in page.content.decode()
    assert reverse("koperasi:payment", args=[member.pk, "wajib"]) not in client.get(member.get_absolute_url()).content.decode()
    assert client.get(reverse("koperasi:payment", args=[member.pk, "wajib"])).status_code == 404
    assert pay(client, member, "sukarela", amount="10000").status_code == 404
    assert client.post(reverse("koperasi:correction", args=[entry.pk]), {"reason": "x"}).status_code == 404
    assert Entry.objects.count() == 1


def test_an_officer_of_another_cooperative_gets_404_and_it_is_recorded(client, officer_b, kelurahan_a):
    member = applicant(kelurahan_a)
    entry = simpanan.record_payment(member=member, kind="pokok", paid_on=JOINED)
    other = officer_b
    client.force_login(other)
    assert client.get(entry.get_absolute_url()).status_code == 404
    assert pay(client, member, "sukarela", amount="10000").status_code == 404
    assert client.get(reverse("koperasi:payment", args=[member.pk, "nonsense"])).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, actor=other).count() >= 2
    assert Entry.objects.count() == 1


def test_a_withdrawal_over_the_balance_is_refused(officer_client, kelurahan_a):
    member = register_member(kelurahan=kelurahan_a, nik=make_nik(4), name="Aktif", joined_on=JOINED, no_kk=make_no_kk(4))
    pay(officer_client, member, "sukarela", amount="30000")
    data = {"amount": "40000", "paid_on": timezone.localdate().isoformat(), "method": "tunai"}
    response = officer_client.post(reverse("koperasi:withdrawal", args=[member.pk]), data)
    assert response.status_code == 200 and simpanan.balances(member).sukarela == 30_000
    data["amount"] = "20000"
    response = officer_client.post(reverse("koperasi:withdrawal", args=[member.pk]), data, follow=True)
    assert simpanan.balances(member).sukarela == 10_000
    assert "dua puluh ribu rupiah" in response.content.decode().lower()
