"""The member pages' query counts, pinned at two sizes (tests/query_counts.py): the register
with and without filters and search, a member's page, the register and edit forms, and the
register's download and printouts, as an officer, a DKUMKMP reviewer and an admin use them.

Every page starts with 1: the session, 2: the user; an officer and a reviewer then load
3: their own and 4: their groups' permissions (the first `has_perm`, in
`Kelurahan.objects.for_user`); a superuser has every permission without a query. A reviewer's pages count one query more than
the comments below say: their region grants (`RegionGrant.of`, in `for_user`)."""

from datetime import date

import pytest
from django.urls import reverse

from koperasi import simpanan
from members.models import MemberStatusChange
from members.services import accept_member
from tests.factories import KelurahanFactory, UserFactory
from tests.query_counts import add_members, client_as, pin_queries

pytestmark = pytest.mark.django_db

LIST = reverse("members:member_list")


@pytest.fixture
def grow_both(officer, kelurahan_a, kelurahan_b):
    """Two members in each of kelurahan A (the officer's) and B; the function adds ten more to
    A and five to B (19 in all: one page of the list)."""
    add_members(kelurahan_a, 2, by=officer)
    add_members(kelurahan_b, 2)
    return lambda: (add_members(kelurahan_a, 10, by=officer), add_members(kelurahan_b, 5))


# The list: officer 5: the ids of the officer's kelurahan (Member.objects.for_user),
# 6: whether they read a kelurahan they do not keep (can_see_full_numbers), 7: the count (up to
# the cap), 8: the kelurahan to choose from, 9: whether RW is used, 10: whether they may add
# (managed_by), 11: the page of members with their kelurahan and household.
# Reviewer: no ids to read (every kelurahan), 5: whether any kelurahan is not theirs to keep,
# then 6-9 as the officer's 7-9 and 11 (a reviewer adds nothing: no query). Admin: no
# permissions and full numbers everywhere, 3: the count, 4: kelurahan, 5: RW, 6: may add, 7: page.
@pytest.mark.parametrize("role, expected", [("officer", 11), ("reviewer", 10), ("admin", 7)])
def test_the_member_list(request, role, expected, grow_both):
    small, large = pin_queries(client_as(request, role), LIST, expected, grow=grow_both)
    assert len(large.context["page"]) > len(small.context["page"])


# As the list, with the chosen kelurahan read once more to check the filter (officer 6,
# reviewer 5, admin 3).
@pytest.mark.parametrize("role, expected", [("officer", 12), ("reviewer", 11), ("admin", 8)])
def test_the_member_list_filtered_and_sorted(request, role, expected, grow_both, kelurahan_a):
    filters = {"status": "aktif", "rt": "1", "sort": "name", "joined": "2025-01", "kelurahan": kelurahan_a.pk}
    small, large = pin_queries(client_as(request, role), LIST, expected, grow=grow_both, data=filters)
    assert len(large.context["page"]) > len(small.context["page"]) > 0


# As the list; the count and the page join each member's account (koperasi.queries.in_arrears).
@pytest.mark.parametrize("role, expected", [("officer", 11), ("reviewer", 10), ("admin", 7)])
def test_the_member_list_of_members_in_arrears(request, role, expected, grow_both):
    small, large = pin_queries(client_as(request, role), LIST, expected, grow=grow_both, data={"status": "menunggak"})
    assert len(large.context["page"]) > len(small.context["page"]) > 0


# As the list, the count and the page filtered by name.
@pytest.mark.parametrize("role, expected", [("officer", 11), ("reviewer", 10), ("admin", 7)])
def test_the_member_list_searched_by_name(request, role, expected, grow_both):
    small, large = pin_queries(client_as(request, role), LIST, expected, grow=grow_both, data={"q": "anggota"})
    assert len(large.context["page"]) > len(small.context["page"]) > 0


# As the list, the count and the page by NIK or KK prefix (a UNION of two index look-ups):
# only who sees full numbers searches by part of one.
@pytest.mark.parametrize("role, expected", [("officer", 11), ("admin", 7)])
def test_the_member_list_searched_by_part_of_a_number(request, role, expected, grow_both):
    small, large = pin_queries(client_as(request, role), LIST, expected, grow=grow_both, data={"q": "647105"})
    assert len(large.context["page"]) > len(small.context["page"]) > 0


# A reviewer's whole-number search (members.lookups): 1-5 as the list, 6-7: their number
# searches in the last hour and day, 8: how many members it finds, 9: the audit event,
# 10: the count, 11: kelurahan, 12: RW, 13: the page; 14: the reviewer's region grants (for_user).
def test_the_member_list_searched_by_a_whole_number_with_masked_numbers(reviewer_client, grow_both, kelurahan_b):
    nik = kelurahan_b.members.earliest("pk").nik
    small, large = pin_queries(reviewer_client, LIST, 14, grow=grow_both, data={"q": nik})
    assert len(large.context["page"]) == len(small.context["page"]) == 1


@pytest.fixture
def member_a(officer, kelurahan_a, kelurahan_b):
    """An applicant of kelurahan A accepted by the officer, with the simpanan pokok and three
    months of simpanan wajib paid; two other members in A and one in B."""
    member = add_members(kelurahan_a, 3, by=officer)[2]  # the third is an applicant
    accept_member(member=member, accepted_on=date(2025, 1, 20), by=officer)
    simpanan.record_payment(member=member, kind="pokok", paid_on=date(2025, 1, 20), by=officer)
    simpanan.record_payment(member=member, kind="wajib", months=3, paid_on=date(2025, 2, 1), by=officer)
    add_members(kelurahan_b, 1)
    return member


@pytest.fixture
def grow_member(member_a, kelurahan_a):
    """Ten more entries in the member's ledger and rows in their status history and five more
    edits of the member and of their household, each by another user; ten more members in A."""
    def grow():
        member = member_a
        for i in range(10):
            clerk = UserFactory()
            simpanan.record_payment(member=member, kind="sukarela", amount=5_000 + i, paid_on=date(2025, 3, 1), by=clerk)
            MemberStatusChange.objects.create(member=member, status="aktif", on=date(2025, 1, 20),
                                              reason=f"Koreksi {i}", recorded_by=clerk)
        for i in range(5):
            member.refresh_from_db()
            member.phone, member._history_user = f"08123456{i:04d}", UserFactory()
            member.save()
            household = member.household
            household.head_name, household._history_user = f"Kepala {i}", UserFactory()
            household.save()
        add_members(kelurahan_a, 10)
    return grow


# Officer 5: the ids of their kelurahan, 6: the member with kelurahan, kecamatan and household,
# 7: whether they keep the member (managed_by), 8: the audit event of full numbers shown,
# 9: the member's history with its users, 10-11: the KK numbers and kelurahan names it names,
# 12: the household's history (in the reader's kelurahan), 13: the kelurahan names it names,
# 14: the cooperative (its rules), 15: the member's account (balances), 16: the ledger with
# who recorded each entry, 17: the status history with who recorded each change.
# Reviewer: no ids, no change, masked numbers (no audit event): 5: the member, 6-14 as 9-17.
# Admin: 3: the member, 4: whether they keep them, 5: the audit event, 6-14 as 9-17.
@pytest.mark.parametrize("role, expected", [("officer", 17), ("reviewer", 15), ("admin", 14)])
def test_the_member_page(request, role, expected, member_a, grow_member):
    url = reverse("members:member_detail", args=[member_a.pk])
    small, large = pin_queries(client_as(request, role), url, expected, grow=grow_member)
    assert len(large.context["history"]) > len(small.context["history"])


# Officer 5: whether they keep a kelurahan (managed_by), 6: the ids of the kelurahan they read
# (the form's duplicate checks), 7: the kelurahan they keep (one is chosen for them),
# 8: the same as the kelurahan field's choices, 9: the domicile kelurahan of their cities.
# Admin: 3: whether there is a kelurahan, 4: every kelurahan, 5: the choices, 6: domicile.
# The larger size gives the officer three more kelurahan.
@pytest.mark.parametrize("role, expected", [("officer", 9), ("admin", 6)])
def test_the_registration_form(request, role, expected, officer, grow_both):
    def grow():
        grow_both()
        for _ in range(3):
            KelurahanFactory().officers.add(officer)
    pin_queries(client_as(request, role), reverse("members:member_create"), expected, grow=grow)


# Officer 5: the member with kelurahan and household (managed_by), 6: the ids of the kelurahan
# they read, 7: the domicile kelurahan of their cities. Admin: 3: the member, 4: domicile.
@pytest.mark.parametrize("role, expected", [("officer", 7), ("admin", 4)])
def test_the_edit_form(request, role, expected, officer, member_a, grow_member):
    def grow():
        grow_member()
        for _ in range(3):
            KelurahanFactory().officers.add(officer)
    pin_queries(client_as(request, role), reverse("members:member_update", args=[member_a.pk]), expected, grow=grow)


# Officer 5: the kelurahan (for_user), 6: whether they keep it (full numbers), 7: its members
# with their households, 8: the audit event. Reviewer: 5: the kelurahan, 6: members, 7: audit
# (masked: no question). Admin: 3: the kelurahan, 4: members, 5: audit.
@pytest.mark.parametrize("role, expected", [("officer", 8), ("reviewer", 8), ("admin", 5)])
def test_the_register_download(request, role, expected, kelurahan_a, grow_both):
    url = reverse("members:register_xlsx", args=[kelurahan_a.pk])
    pin_queries(client_as(request, role), url, expected, grow=grow_both)


# 5: the kelurahan, 6: the audit event, 7: its active members with their households (admin 3-5).
@pytest.mark.parametrize("role, expected", [("officer", 7), ("reviewer", 8), ("admin", 5)])
def test_the_attendance_list_to_print(request, role, expected, kelurahan_a, grow_both):
    url = reverse("members:meeting_list", args=[kelurahan_a.pk])
    pin_queries(client_as(request, role), url, expected, grow=grow_both)


# 5: the kelurahan, 6: the count of active members (the pages of 80 cards), 7: this page's
# members with their households, 8: the audit event (admin 3-6).
@pytest.mark.parametrize("role, expected", [("officer", 8), ("reviewer", 9), ("admin", 6)])
def test_the_member_cards(request, role, expected, kelurahan_a, grow_both):
    url = reverse("members:kelurahan_cards", args=[kelurahan_a.pk])
    pin_queries(client_as(request, role), url, expected, grow=grow_both)


# Officer 5: the ids of their kelurahan, 6: the member with their kelurahan, 7: the audit
# event. Reviewer: 5: the member, 6: audit. Admin: 3: the member, 4: audit.
@pytest.mark.parametrize("role, expected", [("officer", 7), ("reviewer", 7), ("admin", 4)])
def test_one_member_card(request, role, expected, member_a, grow_member):
    url = reverse("members:member_card", args=[member_a.pk])
    pin_queries(client_as(request, role), url, expected, grow=grow_member)
