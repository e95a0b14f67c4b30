"""Officers register and keep the members of their own kelurahan, and nobody else's."""

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from members.models import Household, Member
from tests.factories import HouseholdFactory, MemberFactory, UserFactory, make_nik, make_no_kk

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "kelurahan": "",
        "nik": make_nik(501),
        "name": "Siti Aminah",
        "sex": "",
        "birth_date": "",
        "no_kk": make_no_kk(501),
        "is_head_of_household": "on",
        "joined_on": "2025-09-01",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_officer_registers_a_member_with_the_next_member_number(officer_client, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, member_seq=1)
    response = officer_client.post(reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk))
    member = Member.objects.get(nik=make_nik(501))
    assert response.status_code == 302
    assert response.url == member.get_absolute_url()
    assert member.member_number == "64.71.05.1002-00002"
    assert member.kelurahan == kelurahan_a
    assert member.status == Member.Status.AKTIF


def test_birth_date_and_sex_default_to_what_the_nik_encodes(officer_client, kelurahan_a):
    officer_client.post(
        reverse("members:member_create"),
        form_data(kelurahan=kelurahan_a.pk, nik=make_nik(502, female=True, day=29, month=2, yy=0)),
    )
    member = Member.objects.get()
    assert (member.birth_date, member.sex) == (date(2000, 2, 29), "P")


def test_registering_a_head_creates_the_household_with_its_head(officer_client, kelurahan_a):
    officer_client.post(reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk))
    household = Household.objects.get(no_kk=make_no_kk(501))
    assert household.kelurahan == kelurahan_a
    assert (household.head_nik, household.head_name) == (make_nik(501), "Siti Aminah")
    assert Member.objects.get().household == household


def test_registering_links_an_existing_household(officer_client, kelurahan_a):
    household = HouseholdFactory(kelurahan=kelurahan_a, no_kk=make_no_kk(777))
    officer_client.post(
        reverse("members:member_create"),
        form_data(kelurahan=kelurahan_a.pk, no_kk=make_no_kk(777), is_head_of_household=None),
    )
    assert Member.objects.get().household == household
    assert Household.objects.count() == 1


def test_a_nik_already_a_member_elsewhere_is_refused_naming_nothing(officer_client, kelurahan_a, kelurahan_b):
    """Refused, but another cooperative's member is not named (see tests/members/test_probing.py)."""
    MemberFactory(kelurahan=kelurahan_b, nik=make_nik(501))
    response = officer_client.post(reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk))
    assert response.status_code == 200
    assert response.context["form"].has_error("nik", "unique_elsewhere")
    assert "Manggar" not in str(response.context["form"].errors)
    assert Member.objects.count() == 1


def test_a_nik_already_a_member_here_is_refused_with_its_number(officer_client, kelurahan_a):
    other = MemberFactory(kelurahan=kelurahan_a, nik=make_nik(501))
    response = officer_client.post(reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk))
    assert other.member_number in " ".join(response.context["form"].errors["nik"])
    assert Member.objects.count() == 1


def test_an_invalid_nik_is_refused_with_the_reason(officer_client, kelurahan_a):
    response = officer_client.post(
        reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk, nik="6471051203900000")
    )
    assert response.status_code == 200
    assert "0000" in " ".join(response.context["form"].errors["nik"])
    assert not Member.objects.exists()


def test_an_officer_cannot_register_into_another_kelurahan(officer_client, kelurahan_a, kelurahan_b):
    response = officer_client.post(reverse("members:member_create"), form_data(kelurahan=kelurahan_b.pk))
    assert response.status_code == 200
    assert "kelurahan" in response.context["form"].errors
    assert not Member.objects.exists()


def test_an_officer_edits_a_member(officer_client, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a)
    response = officer_client.post(
        reverse("members:member_update", args=[member.pk]),
        form_data(nik=member.nik, name="Nama Baru", no_kk=member.household.no_kk, is_head_of_household=None,
                  version=member.updated_at.isoformat()),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "Nama Baru"
    assert member.kelurahan == kelurahan_a


@pytest.mark.parametrize("status", ["keluar", "meninggal", "diberhentikan"])
def test_an_officer_records_that_a_member_left_and_the_member_is_kept(officer_client, kelurahan_a, status):
    member = MemberFactory(kelurahan=kelurahan_a)
    response = officer_client.post(
        reverse("members:member_leave", args=[member.pk]), {"status": status, "left_on": "2025-10-01"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.left_on) == (status, date(2025, 10, 1))


def test_leaving_before_joining_is_refused(officer_client, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a, joined_on=date(2025, 9, 1))
    response = officer_client.post(
        reverse("members:member_leave", args=[member.pk]), {"status": "keluar", "left_on": "2025-08-01"}
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.status == "aktif"


def test_the_member_list_shows_only_the_officers_kelurahan(officer_client, kelurahan_a, kelurahan_b):
    mine = MemberFactory(kelurahan=kelurahan_a, name="Anggota Saya")
    MemberFactory(kelurahan=kelurahan_b, name="Anggota Lain")
    response = officer_client.get(reverse("members:member_list"))
    assert list(response.context["page"]) == [mine]
    assert "Anggota Lain" not in response.content.decode()


def test_the_member_list_searches_by_nik_kk_and_name(officer_client, kelurahan_a):
    a = MemberFactory(kelurahan=kelurahan_a, name="Budi Santoso")
    b = MemberFactory(kelurahan=kelurahan_a, name="Citra Lestari")
    url = reverse("members:member_list")
    assert list(officer_client.get(url, {"q": "budi"}).context["page"]) == [a]
    assert list(officer_client.get(url, {"q": b.nik}).context["page"]) == [b]
    assert list(officer_client.get(url, {"q": a.household.no_kk}).context["page"]) == [a]


@pytest.mark.parametrize("name", ["member_detail", "member_update", "member_leave"])
def test_an_officer_gets_404_for_another_kelurahans_member(officer_client, kelurahan_b, name):
    other = MemberFactory(kelurahan=kelurahan_b)
    assert officer_client.get(reverse(f"members:{name}", args=[other.pk])).status_code == 404
    assert officer_client.post(
        reverse(f"members:{name}", args=[other.pk]),
        {"name": "Diubah", "status": "keluar", "left_on": "2025-10-01"},
    ).status_code == 404
    other.refresh_from_db()
    assert other.status == "aktif" and other.name != "Diubah"


def test_an_officer_without_a_kelurahan_sees_nothing_and_cannot_register(client, roles, kelurahan_a):
    from members.services import OFFICER_GROUP
    from tests.factories import UserFactory

    user = UserFactory()
    user.groups.add(roles[OFFICER_GROUP])
    MemberFactory(kelurahan=kelurahan_a)
    client.force_login(user)
    assert list(client.get(reverse("members:member_list")).context["page"]) == []
    assert client.get(reverse("members:member_create")).status_code == 403


def test_a_reviewer_reads_every_kelurahan_with_masked_numbers_and_cannot_change(reviewer_client, kelurahan_a, kelurahan_b):
    member = MemberFactory(kelurahan=kelurahan_b)
    response = reviewer_client.get(reverse("members:member_list"))
    body = response.content.decode()
    assert member.name in body
    assert member.nik not in body
    assert member.nik[:4] + " •••• •••• " + member.nik[-4:] in body  # grouped (issue 21)
    assert reviewer_client.get(reverse("members:member_create")).status_code == 403
    assert reviewer_client.get(reverse("members:member_update", args=[member.pk])).status_code == 404


def test_members_cannot_be_deleted_in_the_admin(admin_client_, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a)
    response = admin_client_.post(f"/admin/members/member/{member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a)
    for url in [reverse("members:member_list"), reverse("members:member_detail", args=[member.pk])]:
        response = client.get(url)
        assert response.status_code == 302 and "/masuk/" in response.url


def test_the_admin_exports_members_with_indonesian_columns_and_no_formulas(admin_client_, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a, name="=CMD()")
    fields = {f"memberresource_{f}": "on" for f in ["nomor_anggota", "nama", "nik", "no_kk"]}
    response = admin_client_.post("/admin/members/member/export/", {"format": "0", "resource": "0", **fields})
    lines = response.content.decode().splitlines()
    assert lines[0] == "nomor_anggota,nik,nama,no_kk"
    assert lines[1] == f"{member.member_number},{member.nik},'=CMD(),{member.household.no_kk}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram index")
def test_the_name_search_can_use_the_trigram_index(kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, name="Budi Santoso")
    sql, params = Member.objects.search("santo").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: make the planner show its options
        # ...but not a walk of a whole btree on name (the list's sort indexes), which avoids a
        # sequential scan too: the trigram index is reached by a bitmap scan.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "members_member_name_upper_trgm" in plan


def test_two_officers_editing_the_same_member_lose_no_update(officer_client, officer, kelurahan_a, client):
    """The second save, made on a form opened before the first save, is refused and shows
    what the other officer saved; saving again after looking keeps the second officer's text."""
    member = MemberFactory(kelurahan=kelurahan_a, name="Siti Aminah")
    url = reverse("members:member_update", args=[member.pk])
    opened = officer_client.get(url).context["form"]["version"].value()
    colleague = UserFactory(username="pengurus.a2")
    colleague.groups.add(*officer.groups.all())
    kelurahan_a.officers.add(colleague)
    client.force_login(colleague)
    first = client.post(url, form_data(nik=member.nik, name="Siti Aminah Putri", no_kk=member.household.no_kk,
                                       is_head_of_household=None, version=opened))
    assert first.status_code == 302

    second = officer_client.post(url, form_data(nik=member.nik, name="Sitti Aminah", no_kk=member.household.no_kk,
                                                is_head_of_household=None, version=opened))
    assert second.status_code == 200
    member.refresh_from_db()
    assert member.name == "Siti Aminah Putri"  # the first save stands
    page = second.content.decode()
    assert "Siti Aminah Putri" in page and "Sitti Aminah" in page
    rearmed = second.context["form"]["version"].value()
    assert rearmed != opened

    third = officer_client.post(url, form_data(nik=member.nik, name="Sitti Aminah", no_kk=member.household.no_kk,
                                               is_head_of_household=None, version=rearmed))
    assert third.status_code == 302
    member.refresh_from_db()
    assert member.name == "Sitti Aminah"


def test_a_second_head_for_one_kk_is_refused(officer_client, kelurahan_a):
    first = officer_client.post(reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk))
    assert first.status_code == 302
    second = officer_client.post(
        reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk, nik=make_nik(502), name="Budi")
    )
    assert second.status_code == 200
    assert "64.71.05.1002-00001" in second.content.decode()
    assert Member.objects.count() == 1
    as_member = officer_client.post(
        reverse("members:member_create"),
        form_data(kelurahan=kelurahan_a.pk, nik=make_nik(502), name="Budi", is_head_of_household=None),
    )
    assert as_member.status_code == 302 and Member.objects.count() == 2


def test_registering_a_head_does_not_write_into_another_kelurahans_household(admin_client_, kelurahan_a, kelurahan_b):
    # Only the administrator links another kelurahan's KK (officers: tests/members/test_other_kelurahan_kk.py).
    elsewhere = HouseholdFactory(kelurahan=kelurahan_b, no_kk=make_no_kk(501), head_name="", head_nik="")
    response = admin_client_.post(reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk))
    assert response.status_code == 302
    elsewhere.refresh_from_db()
    assert (elsewhere.head_name, elsewhere.head_nik) == ("", "")
    assert Member.objects.get().household == elsewhere  # the member is still linked to their KK


def test_an_edit_without_the_version_it_was_opened_at_is_refused(officer_client, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a, name="Tetap")
    response = officer_client.post(
        reverse("members:member_update", args=[member.pk]),
        form_data(nik=member.nik, name="Diubah", no_kk=member.household.no_kk, is_head_of_household=None),
    )
    assert response.status_code == 200 and "version" in response.context["form"].errors
    member.refresh_from_db()
    assert member.name == "Tetap"
