"""Every change to a member or household is recorded by django-simple-history (who, when,
before → after) and shown on the member's page; imports stay bulk and unrecorded there."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from members.models import Household, Member
from tests.factories import make_nik, make_no_kk
from tests.files import run_command, write_csv

pytestmark = pytest.mark.django_db


def register(client, kelurahan, **overrides):
    data = {
        "kelurahan": kelurahan.pk,
        "nik": make_nik(601),
        "name": "Siti Aminah",
        "no_kk": make_no_kk(601),
        "is_head_of_household": "on",
        "joined_on": "2025-09-01",
        **overrides,
    }
    assert client.post(reverse("members:member_create"), data).status_code == 302
    return Member.objects.get(nik=data["nik"])


def edit(client, member, **overrides):
    data = {
        "nik": member.nik,
        "name": member.name,
        "no_kk": member.household.no_kk if member.household_id else "",
        "is_head_of_household": "on" if member.is_head_of_household else "",
        "joined_on": member.joined_on.isoformat(),
        "version": Member.objects.get(pk=member.pk).updated_at.isoformat(),
        **overrides,
    }
    response = client.post(reverse("members:member_update", args=[member.pk]), {k: v for k, v in data.items() if v})
    assert response.status_code == 302, response.context["form"].errors


def test_registering_and_editing_record_who_and_what_changed(officer_client, officer, kelurahan_a):
    member = register(officer_client, kelurahan_a)
    edit(officer_client, member, name="Siti Aminah Rahman")
    records = list(member.history.order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~"]
    assert records[-1].history_user == officer
    assert (records[0].name, records[-1].name) == ("Siti Aminah", "Siti Aminah Rahman")


def test_the_member_page_shows_before_and_after(officer_client, kelurahan_a):
    member = register(officer_client, kelurahan_a)
    edit(officer_client, member, name="Siti Aminah Rahman")
    page = officer_client.get(member.get_absolute_url())
    history = page.context["history"]
    changed = [e for e in history if not e.created and e.subject == "member"]
    assert changed[0].who.username == "pengurus.a"
    assert ("Nama", "Siti Aminah", "Siti Aminah Rahman") in changed[0].changes
    assert "Siti Aminah Rahman" in page.content.decode()


def test_a_changed_kk_number_is_shown_masked_to_a_reviewer(officer_client, reviewer, kelurahan_a):
    member = register(officer_client, kelurahan_a)
    edit(officer_client, member, no_kk=make_no_kk(602))
    client = Client()
    client.force_login(reviewer)
    body = client.get(member.get_absolute_url()).content.decode()
    for number in (make_no_kk(601), make_no_kk(602), make_nik(601)):
        assert number not in body
    assert make_no_kk(602)[:4] + "••••••••" + make_no_kk(602)[-4:] in body
    # the officer sees the numbers themselves
    officer_body = officer_client.get(member.get_absolute_url()).content.decode()
    assert make_no_kk(601) in officer_body and make_no_kk(602) in officer_body


def test_household_changes_appear_on_the_members_page(officer_client, admin_user, kelurahan_a):
    member = register(officer_client, kelurahan_a)
    household = member.household
    household.address = "Jl. Baru 5"
    household._history_user = admin_user
    household.save()
    history = officer_client.get(member.get_absolute_url()).context["history"]
    assert any(
        e.subject == "household" and ("Alamat", "—", "Jl. Baru 5") in e.changes and e.who == admin_user for e in history
    )


def test_leaving_is_recorded_in_the_change_history_and_the_audit_trail(officer_client, kelurahan_a):
    member = register(officer_client, kelurahan_a)
    officer_client.post(reverse("members:member_leave", args=[member.pk]), {"status": "keluar", "left_on": "2025-10-01"})
    assert member.history.latest().status == "keluar"
    assert AuditEvent.objects.filter(action="member_changed", object_id=str(member.pk)).exists()
    assert AuditEvent.objects.filter(action="member_created", object_id=str(member.pk)).exists()


def test_a_household_import_and_its_undo_write_no_per_row_history(admin_user, tmp_path, kelurahan_a):
    from imports.models import ImportBatch
    from imports.pipeline import undo

    header = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]
    rows = [[kelurahan_a.kode, make_no_kk(i + 1), f"Kepala {i}", make_nik(i + 1), "Jl. A", "1", ""] for i in range(30)]
    _out, err, exc = run_command("import_households", write_csv(tmp_path / "kk.csv", [header, *rows]))
    assert exc is None, err
    assert Household.objects.count() == 30
    assert Household.history.count() == 0
    undo(ImportBatch.objects.get(), admin_user)
    assert Household.objects.count() == 0 and Household.history.count() == 0
