"""No money entry is recorded twice (issue 24, point A): every payment, withdrawal and
correction form carries a one-time key, new each time it is shown and stored with the entry
(unique in the database), so the same form sent again (a double tap, the browser's resubmit
after a timeout on a weak signal) shows the first receipt instead of writing a second entry,
also when both arrive at the same moment (PostgreSQL, real parallel sessions)."""

import re
import uuid
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from koperasi import simpanan
from koperasi.models import Entry
from members.models import Member
from members.services import register_member
from tests.factories import make_nik, make_no_kk
from tests.members.test_concurrency import at_once

pytestmark = pytest.mark.django_db

JOINED = date(2025, 9, 1)


def member(kelurahan, serial=1, status=Member.Status.AKTIF):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=JOINED,
                           no_kk=make_no_kk(serial), status=status)


def form_of(client, url):
    """The form's fields as the page rendered them: its one-time key and its prefilled values."""
    page = client.get(url).content.decode()
    key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert key, "the form carries no one-time key"
    return {"form_key": key.group(1), "paid_on": timezone.localdate().isoformat(), "method": "tunai", "reference": ""}


def payment_url(saver, kind):
    return reverse("koperasi:payment", args=[saver.pk, kind])


def sent_twice(client, url, data):
    """The same POST twice, as a double tap or a resubmit sends it; both responses, followed."""
    return client.post(url, data, follow=True), client.post(url, data, follow=True)


def notices(response):
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize("kind, amount", [("sukarela", "25.000"), ("wajib", "10.000"), ("pokok", "50.000")])
def test_a_payment_sent_twice_is_recorded_once_and_the_repeat_shows_the_first_receipt(officer_client, kelurahan_a, kind,
                                                                                     amount):
    """Simpanan wajib and sukarela may rightly be paid twice the same day: only the key tells a
    repeat from a second payment. (A second pokok would also be refused by its own rule.)"""
    saver = member(kelurahan_a, status=Member.Status.CALON if kind == "pokok" else Member.Status.AKTIF)
    url = payment_url(saver, kind)
    data = {**form_of(officer_client, url), "amount": amount, "months": "1"}
    first, again = sent_twice(officer_client, url, data)
    entry = Entry.objects.get()
    assert entry.form_key == uuid.UUID(data["form_key"])
    assert first.redirect_chain[-1][0] == again.redirect_chain[-1][0] == entry.get_absolute_url()
    assert entry.receipt_number in again.content.decode()
    assert f"already saved: receipt {entry.receipt_number}" in notices(again)
    assert simpanan.balances(saver).total == entry.amount


def test_the_same_payment_with_a_new_form_is_recorded_again(officer_client, kelurahan_a):
    saver = member(kelurahan_a)
    url = payment_url(saver, "sukarela")
    for _ in range(2):
        officer_client.post(url, {**form_of(officer_client, url), "amount": "25000"})
    assert Entry.objects.count() == 2
    assert Entry.objects.values("form_key").distinct().count() == 2
    assert simpanan.balances(saver).sukarela == 50_000


def test_every_showing_of_the_form_has_a_new_key(officer_client, kelurahan_a):
    saver = member(kelurahan_a)
    keys = {form_of(officer_client, payment_url(saver, "sukarela"))["form_key"] for _ in range(3)}
    assert len(keys) == 3


def test_a_refused_payment_keeps_its_key_and_saves_once_corrected(officer_client, kelurahan_a):
    saver = member(kelurahan_a)
    url = payment_url(saver, "wajib")
    data = {**form_of(officer_client, url), "amount": "15000", "months": "1"}  # not the monthly Rp 10.000
    refused = officer_client.post(url, data)
    assert refused.status_code == 200 and data["form_key"] in refused.content.decode()
    first, again = sent_twice(officer_client, url, {**data, "amount": "10000"})
    assert Entry.objects.count() == 1
    assert first.redirect_chain[-1][0] == again.redirect_chain[-1][0]


def test_a_withdrawal_sent_twice_is_recorded_once(officer_client, kelurahan_a):
    saver = member(kelurahan_a)
    simpanan.record_payment(member=saver, kind="sukarela", amount=100_000, paid_on=JOINED)
    url = reverse("koperasi:withdrawal", args=[saver.pk])
    first, again = sent_twice(officer_client, url, {**form_of(officer_client, url), "amount": "30000"})
    withdrawal = Entry.objects.get(type=Entry.Type.WITHDRAWAL)
    assert again.redirect_chain[-1][0] == withdrawal.get_absolute_url()
    assert "already saved" in notices(again)
    assert simpanan.balances(saver).sukarela == 70_000


def test_a_correction_sent_twice_is_recorded_once_and_the_repeat_shows_it(officer_client, kelurahan_a):
    saver = member(kelurahan_a)
    entry = simpanan.record_payment(member=saver, kind="sukarela", amount=20_000, paid_on=JOINED)
    url = reverse("koperasi:correction", args=[entry.pk])
    first, again = sent_twice(officer_client, url, {**form_of(officer_client, url), "reason": "salah anggota"})
    correction = Entry.objects.get(type=Entry.Type.CORRECTION)
    assert first.redirect_chain[-1][0] == again.redirect_chain[-1][0] == correction.get_absolute_url()
    assert "already saved" in notices(again)


def test_a_key_of_another_members_entry_is_refused_and_names_nothing(officer_client, kelurahan_a):
    saver, other = member(kelurahan_a, 1), member(kelurahan_a, 2)
    theirs = simpanan.record_payment(member=other, kind="sukarela", amount=20_000, paid_on=JOINED, form_key=uuid.uuid4())
    url = payment_url(saver, "sukarela")
    response = officer_client.post(url, {**form_of(officer_client, url), "form_key": str(theirs.form_key), "amount": "5000"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "out of date" in page and theirs.receipt_number not in page and other.name not in page
    assert Entry.objects.count() == 1


def test_a_malformed_key_is_refused_with_a_message(officer_client, kelurahan_a):
    saver = member(kelurahan_a)
    url = payment_url(saver, "sukarela")
    response = officer_client.post(url, {**form_of(officer_client, url), "form_key": "x' or 1=1", "amount": "5000"})
    assert response.status_code == 200 and "out of date" in response.content.decode()
    assert not Entry.objects.exists()


def test_entries_written_without_a_form_have_no_key_and_may_be_many(kelurahan_a):
    """The payments import writes through `record_payment` without a key: NULL, unique only when set."""
    saver = member(kelurahan_a)
    for _ in range(3):
        simpanan.record_payment(member=saver, kind="sukarela", amount=5_000, paid_on=JOINED, import_batch_id=7)
    assert list(Entry.objects.values_list("form_key", flat=True)) == [None, None, None]


def test_the_database_refuses_a_key_twice(kelurahan_a):
    saver = member(kelurahan_a)
    key = uuid.uuid4()
    first = simpanan.record_payment(member=saver, kind="sukarela", amount=5_000, paid_on=JOINED, form_key=key)
    copy = Entry(member=saver, kelurahan=kelurahan_a, kind="sukarela", amount=5_000, paid_on=JOINED, form_key=key,
                 receipt_seq=first.receipt_seq + 1, receipt_number="KW-copy")
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


# --- at the same moment, on PostgreSQL ------------------------------------------------------

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and sessions")


@pytest.mark.parametrize("kind", ["sukarela", "wajib"])
@pytest.mark.django_db(transaction=True)
@on_postgresql
def test_the_same_form_posted_twice_at_once_records_one_entry(officer, kelurahan_a, kind):
    saver = member(kelurahan_a)
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(officer)
    url = payment_url(saver, kind)
    data = {**form_of(clients[0], url), "amount": "10000", "months": "1"}
    responses = at_once(*(lambda c=c: c.post(url, data) for c in clients))
    entry = Entry.objects.get()
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302], responses
    assert {r["Location"] for r in responses} == {entry.get_absolute_url()}
    assert simpanan.balances(saver).total == 10_000


@pytest.mark.django_db(transaction=True)
@on_postgresql
def test_one_key_for_members_of_two_cooperatives_at_once_is_recorded_once(kelurahan_a, kelurahan_b):
    """Different cooperatives, different locks: the database's unique key decides, and the
    refused one names nothing of the other entry."""
    key = uuid.uuid4()
    savers = [member(kelurahan_a, 1), member(kelurahan_b, 2)]
    results = at_once(*(lambda m=m: simpanan.record_payment(member=m, kind="sukarela", amount=5_000, paid_on=JOINED,
                                                            form_key=key) for m in savers))
    assert Entry.objects.count() == 1
    refused = [r for r in results if not isinstance(r, Entry)]
    assert [getattr(r, "code", r) for r in refused] == ["form_key_used"], results
