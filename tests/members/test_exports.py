"""Exports of a kelurahan's register: XLSX (neutralised, numbers as text), the printable
Rapat Anggota list, member cards with a QR code; scoped and audited."""

import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from members.resources import qr_svg
from tests.factories import MemberFactory, make_nik

pytestmark = pytest.mark.django_db


def workbook_rows(response):
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_an_officer_downloads_the_register_as_xlsx(officer_client, kelurahan_a, kelurahan_b):
    MemberFactory(kelurahan=kelurahan_a, member_seq=1, name="Ani", nik=make_nik(1), domicile_rt="007")
    MemberFactory(kelurahan=kelurahan_a, member_seq=2, name="=HYPERLINK(\"http://x\")", nik=make_nik(2),
                  status="keluar", left_on=date(2025, 10, 1))
    MemberFactory(kelurahan=kelurahan_b, member_seq=1, name="Lain", nik=make_nik(3))
    response = officer_client.get(reverse("members:register_xlsx", args=[kelurahan_a.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="daftar-anggota-64-71-05-1002.xlsx"'
    rows = workbook_rows(response)
    members = rows[2:]
    assert [r[0] for r in members] == ["64.71.05.1002-00001", "64.71.05.1002-00002"]
    assert members[0][1] == "Ani" and members[0][2] == make_nik(1) and members[0][10] == "007"
    assert members[1][1] == "'=HYPERLINK(\"http://x\")"  # shown, never run
    assert members[1][14].date() == date(2025, 10, 1)
    event = AuditEvent.objects.get(action="export")
    assert (event.object_type, event.object_id, event.detail["what"]) == ("kelurahan", str(kelurahan_a.pk), "member register")


def test_a_reviewer_gets_the_register_with_masked_numbers(reviewer_client, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a, nik=make_nik(1))
    rows = workbook_rows(reviewer_client.get(reverse("members:register_xlsx", args=[kelurahan_a.pk])))
    assert rows[2][2] == member.nik[:4] + "••••••••" + member.nik[-4:]
    assert member.household.no_kk not in str(rows)


@pytest.mark.parametrize("name", ["members:register_xlsx", "members:meeting_list", "members:kelurahan_cards"])
def test_another_kelurahans_exports_are_a_404_and_recorded(officer_client, kelurahan_b, name):
    MemberFactory(kelurahan=kelurahan_b)
    assert officer_client.get(reverse(name, args=[kelurahan_b.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="kelurahan").exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_meeting_list_has_the_active_members_and_a_signature_column(officer_client, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, member_seq=1, name="Ani Aktif", domicile_address="Jl. Mawar 3", domicile_rt="004")
    MemberFactory(kelurahan=kelurahan_a, member_seq=2, name="Keluar Dulu", status="keluar", left_on=date(2025, 10, 1))
    MemberFactory(kelurahan=kelurahan_a, member_seq=3, name="Calon Baru", status="calon")
    response = officer_client.get(reverse("members:meeting_list", args=[kelurahan_a.pk]))
    body = response.content.decode()
    assert [m.name for m in response.context["members"]] == ["Ani Aktif"]
    assert "Jl. Mawar 3, RT 004" in body and "01-09-2025" in body
    assert 'class="signature' in body
    assert "<script" not in body
    assert AuditEvent.objects.filter(action="export", detail__what="meeting list").exists()


def test_member_cards_come_eight_to_a_sheet_with_the_member_number_as_qr(officer_client, kelurahan_a):
    for i in range(9):
        MemberFactory(kelurahan=kelurahan_a, member_seq=i + 1, nik=make_nik(i + 1))
    response = officer_client.get(reverse("members:kelurahan_cards", args=[kelurahan_a.pk]))
    assert [len(sheet) for sheet in response.context["sheets"]] == [8, 1]
    body = response.content.decode()
    assert body.count('class="member-card"') == 9
    assert qr_svg("64.71.05.1002-00009") in body
    assert "<script" not in body and "script-src 'self'" in response["Content-Security-Policy"]


def test_one_members_card_for_a_reviewer(kelurahan_a, reviewer):
    member = MemberFactory(kelurahan=kelurahan_a)
    client = Client()
    client.force_login(reviewer)
    response = client.get(reverse("members:member_card", args=[member.pk]))
    assert response.status_code == 200
    assert qr_svg(member.member_number) in response.content.decode()
    assert AuditEvent.objects.filter(action="export", object_type="member", object_id=str(member.pk)).exists()


def test_a_kelurahan_name_with_characters_excel_refuses_in_a_sheet_name_still_exports(officer_client, kelurahan_a):
    kelurahan_a.nama = "Gunung/Samarinda: [Baru]?"
    kelurahan_a.save()
    response = officer_client.get(reverse("members:register_xlsx", args=[kelurahan_a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_large_cooperatives_cards_come_80_to_a_page(officer_client, kelurahan_a):
    for i in range(1, 83):
        MemberFactory(kelurahan=kelurahan_a, member_seq=i, nik=make_nik(i))
    url = reverse("members:kelurahan_cards", args=[kelurahan_a.pk])
    first = officer_client.get(url)
    assert sum(len(sheet) for sheet in first.context["sheets"]) == 80
    assert "?halaman=2" in first.content.decode()
    second = officer_client.get(url, {"halaman": 2})
    assert [c["member"].member_seq for sheet in second.context["sheets"] for c in sheet] == [81, 82]
