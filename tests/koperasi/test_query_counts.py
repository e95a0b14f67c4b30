"""The cooperative's pages' query counts, pinned at two sizes (tests/query_counts.py): the
payment forms and the receipt, the profile with its officers and the SIMKOPDES export, the
arrears list and file, and the meetings, as an officer, a DKUMKMP reviewer and an admin use
them (the forms: only who keeps the cooperative).

Every page starts with 1: the session, 2: the user; an officer and a reviewer then load
3: their own and 4: their groups' permissions (the first `has_perm`, in the scope rules); a
superuser has every permission without a query. A reviewer's pages count one query more than
the comments below say: their region grants (`RegionGrant.of`, in `for_user`). "Keeps" is `Kelurahan.objects.managed_by`:
for a reviewer it is empty, and asking costs no query."""

from datetime import date

import pytest
from django.urls import reverse

from koperasi import profile, rapat, simpanan
from koperasi.models import Entry, Meeting, Officer
from tests.factories import UserFactory
from tests.query_counts import add_members, client_as, pin_queries

pytestmark = pytest.mark.django_db

PAID = date(2025, 3, 1)


def url(name, *args):
    return reverse(f"koperasi:{name}", args=args)


@pytest.fixture
def paying(officer, kelurahan_a, kelurahan_b):
    """An active member of kelurahan A with two entries (pokok, wajib) and an applicant who
    paid part of the simpanan pokok (and a member in B); ten more entries of each by other
    users, and ten more members in A, at the larger size."""
    active, _other, applicant = add_members(kelurahan_a, 3, by=officer)
    simpanan.record_payment(member=applicant, kind="pokok", amount=1_000, paid_on=PAID, by=officer)
    add_members(kelurahan_b, 1)

    def grow():
        for i in range(10):
            clerk = UserFactory()
            simpanan.record_payment(member=active, kind="sukarela", amount=5_000 + i, paid_on=PAID, by=clerk)
            simpanan.record_payment(member=applicant, kind="pokok", amount=1_000, paid_on=PAID, by=clerk)
        add_members(kelurahan_a, 10, by=officer)
    return active, applicant, grow


# 5: the member with their kelurahan (kept by the user), 6: the cooperative (Cooperative.of:
# its amounts), 7: the member's account (balances, what remains of the simpanan pokok).
# Admin 3-5.
@pytest.mark.parametrize("role, expected", [("officer", 7), ("admin", 5)])
@pytest.mark.parametrize("kind", ["pokok", "wajib", "sukarela"])
def test_the_payment_form(request, role, expected, kind, paying):
    active, applicant, grow = paying
    member = applicant if kind == "pokok" else active
    pin_queries(client_as(request, role), url("payment", member.pk, kind), expected, grow=grow)


# 5: the member (kept by the user), 6: their account. Admin 3-4.
@pytest.mark.parametrize("role, expected", [("officer", 6), ("admin", 4)])
def test_the_withdrawal_form(request, role, expected, paying):
    active, _applicant, grow = paying
    pin_queries(client_as(request, role), url("withdrawal", active.pk), expected, grow=grow)


# 5: the entry with its member, kelurahan, kecamatan, who recorded it and the entry it
# reverses, 6: the cooperative, 7: the entry's correction, if any (`reversed_by`),
# 8: whether the user keeps the member (the Correct button). Reviewer 5-7. Admin 3-6.
@pytest.mark.parametrize("role, expected", [("officer", 8), ("reviewer", 8), ("admin", 6)])
def test_the_receipt(request, role, expected, paying):
    active, _applicant, grow = paying
    entry = Entry.objects.filter(member=active).latest("pk")
    pin_queries(client_as(request, role), url("receipt", entry.pk), expected, grow=grow)


# As the receipt; its correction found in 7, nobody is asked whether they may correct it.
@pytest.mark.parametrize("role, expected", [("officer", 7), ("reviewer", 8), ("admin", 5)])
def test_the_receipt_of_a_corrected_entry(request, role, expected, officer, paying):
    active, _applicant, grow = paying
    entry = Entry.objects.filter(member=active).latest("pk")
    simpanan.reverse_entry(entry=entry, reason="Salah ketik", by=officer)
    small, _large = pin_queries(client_as(request, role), url("receipt", entry.pk), expected, grow=grow)
    assert small.context["correction"] is not None


# 5: the entry with its member, kelurahan and who recorded it (of a member the user keeps).
# Admin 3.
@pytest.mark.parametrize("role, expected", [("officer", 5), ("admin", 3)])
def test_the_correction_form(request, role, expected, paying):
    active, _applicant, grow = paying
    entry = Entry.objects.filter(member=active).latest("pk")
    pin_queries(client_as(request, role), url("correction", entry.pk), expected, grow=grow)


# --- The profile, its officers and the SIMKOPDES export --------------------------------------

TERM = date(2025, 2, 1)


@pytest.fixture
def board(officer, kelurahan_a, kelurahan_b):
    """A ketua and a pengawas of kelurahan A's cooperative (with its legal name saved), and a
    member in B; at the larger size ten more pengurus and pengawas of A, some of past terms,
    and five more members."""
    profile.update_cooperative(kelurahan=kelurahan_a, values={"legal_name": "Koperasi Kelurahan Merah Putih Sepinggan"})
    ketua, pengawas = add_members(kelurahan_a, 2, by=officer)
    profile.appoint(kelurahan=kelurahan_a, member=ketua, role=Officer.Role.KETUA, term_start=TERM)
    profile.appoint(kelurahan=kelurahan_a, member=pengawas, role=Officer.Role.PENGAWAS, term_start=TERM)
    add_members(kelurahan_b, 1)

    def grow():
        for i, member in enumerate(add_members(kelurahan_a, 15, by=officer)):
            if member.status != "aktif":
                continue
            role = Officer.Role.PENGAWAS if i % 2 else Officer.Role.PENGURUS
            profile.appoint(kelurahan=kelurahan_a, member=member, role=role, term_start=TERM,
                            term_end=date(2025, 6, 1) if i % 3 == 0 else None)
    return grow


# Officer 5: the kelurahan (for_user), 6: whether they keep it (the buttons), 7: the officers
# with their members, 8: the cooperative's row, 9: whether they keep it, asked again (full
# numbers, can_see_full_numbers). Reviewer 5: kelurahan, 6: officers, 7: cooperative.
# Admin 3: kelurahan, 4: keeps it, 5: officers, 6: cooperative (full numbers: no question).
@pytest.mark.parametrize("role, expected", [("officer", 9), ("reviewer", 8), ("admin", 6)])
def test_the_cooperative_profile(request, role, expected, kelurahan_a, board):
    small, large = pin_queries(client_as(request, role), url("cooperative", kelurahan_a.pk), expected, grow=board)
    def officers(response):
        return sum(len(response.context[name]) for name in ("board", "supervisors", "past"))
    assert officers(large) > officers(small) == 2


# 5: the kelurahan (kept by the user), 6: the cooperative, 7: whether a member has paid
# simpanan pokok (its amount is then fixed). Admin 3-5.
@pytest.mark.parametrize("role, expected", [("officer", 7), ("admin", 5)])
def test_the_profile_form(request, role, expected, kelurahan_a, board):
    pin_queries(client_as(request, role), url("cooperative_edit", kelurahan_a.pk), expected, grow=board)


# 5: the kelurahan (kept by the user), 6: the cooperative. Admin 3-4.
@pytest.mark.parametrize("role, expected", [("officer", 6), ("admin", 4)])
def test_the_officer_form(request, role, expected, kelurahan_a, board):
    pin_queries(client_as(request, role), url("officer_create", kelurahan_a.pk), expected, grow=board)


# 5: the officer with their member and kelurahan (kept by the user). Admin 3.
@pytest.mark.parametrize("role, expected", [("officer", 5), ("admin", 3)])
def test_the_end_of_term_form(request, role, expected, board):
    ketua = Officer.objects.get(role=Officer.Role.KETUA)
    pin_queries(client_as(request, role), url("officer_end", ketua.pk), expected, grow=board)


# Officer 5: the kelurahan with its kecamatan, 6: whether they keep it (full NIK), 7: its
# kabupaten/kota and 8: its province (each read once, through the kecamatan), 9: every member
# with their account, 10: the cooperative, 11: the audit event. Reviewer: masked without a
# question, 5-10 as 5 and 7-11. Admin 3-8 likewise.
@pytest.mark.parametrize("role, expected", [("officer", 11), ("reviewer", 11), ("admin", 8)])
def test_the_simkopdes_export(request, role, expected, kelurahan_a, board):
    pin_queries(client_as(request, role), url("simkopdes_xlsx", kelurahan_a.pk), expected, grow=board)


# --- Arrears --------------------------------------------------------------------------------

@pytest.fixture
def owing(officer, kelurahan_a, kelurahan_b):
    """Two active members of A in arrears today (three months paid in 2025) and an applicant,
    and a member in B; ten more in A (seven in arrears) at the larger size."""
    add_members(kelurahan_a, 3, by=officer)
    add_members(kelurahan_b, 1)
    return lambda: add_members(kelurahan_a, 10, by=officer)


# Officer 5: the kelurahan, 6: the cooperative (its rules), 7: the members in arrears with
# their accounts and what is due (one query), 8: whether they keep it (the buttons), 9: the
# cooperative's kelurahan, for its name. Reviewer 5-7 and 9. Admin 3-7.
@pytest.mark.parametrize("role, expected", [("officer", 9), ("reviewer", 9), ("admin", 7)])
def test_the_arrears_list(request, role, expected, kelurahan_a, owing):
    small, large = pin_queries(client_as(request, role), url("arrears", kelurahan_a.pk), expected, grow=owing)
    assert len(large.context["rows"]) > len(small.context["rows"]) == 2


@pytest.mark.parametrize("role, expected", [("officer", 9), ("reviewer", 9), ("admin", 7)])
def test_the_arrears_list_of_a_past_month(request, role, expected, kelurahan_a, owing):
    small, large = pin_queries(client_as(request, role), url("arrears", kelurahan_a.pk), expected, grow=owing,
                               data={"bulan": "2025-09"})
    assert len(large.context["rows"]) > len(small.context["rows"]) == 2


# 5: the kelurahan, 6: the cooperative, 7: the members in arrears, 8: the audit event,
# 9: the cooperative's kelurahan, for its name (admin 3-7).
@pytest.mark.parametrize("role, expected", [("officer", 9), ("reviewer", 10), ("admin", 7)])
def test_the_arrears_download(request, role, expected, kelurahan_a, owing):
    pin_queries(client_as(request, role), url("arrears_xlsx", kelurahan_a.pk), expected, grow=owing)


# --- Rapat Anggota --------------------------------------------------------------------------

HELD = date(2025, 6, 14)


def _meeting_with(kelurahan, members, *, held_on=HELD, decisions=1, kind=Meeting.Kind.RAT):
    meeting, _changes = rapat.save_meeting(kelurahan=kelurahan, by=UserFactory(), values={
        "kind": kind, "held_on": held_on, "place": "Balai Kelurahan", "agenda": "Laporan pertanggungjawaban"})
    for member in members:
        if member.status == "aktif":
            rapat.record_attendance(meeting=meeting, number=member.member_number, by=UserFactory())
    for i in range(decisions):
        rapat.record_decision(meeting=meeting, subject=f"Keputusan {i + 1}", votes_for=1)
    return meeting


@pytest.fixture
def meetings(officer, kelurahan_a, kelurahan_b):
    """A RAT of kelurahan A attended by its two active members, with one decision (and a member
    in B); at the larger size ten more members attend it, four more decisions are taken, and
    four more meetings are recorded (one planned ahead)."""
    present = add_members(kelurahan_a, 3, by=officer)
    meeting = _meeting_with(kelurahan_a, present)
    add_members(kelurahan_b, 1)

    def grow():
        more = add_members(kelurahan_a, 15, by=officer)
        for member in more:
            if member.status == "aktif":
                rapat.record_attendance(meeting=meeting, number=member.member_number, by=UserFactory())
        for i in range(4):
            rapat.record_decision(meeting=meeting, subject=f"Keputusan tambahan {i + 1}", votes_for=1)
        for month in (1, 2, 3):
            _meeting_with(kelurahan_a, more[:month * 3], held_on=date(2025, 6 + month, 1), kind=Meeting.Kind.LUAR_BIASA)
        _meeting_with(kelurahan_a, [], held_on=date(2099, 1, 1), decisions=0)
    return meeting, grow


# Officer 5: the kelurahan, 6: the cooperative (the view's), 7: the cooperative again
# (meetings_of reads its own), 8: the meetings with their eligible, present and recorded
# counts (one query), 9: whether they keep it. Reviewer 5-8. Admin 3-7.
@pytest.mark.parametrize("role, expected", [("officer", 9), ("reviewer", 9), ("admin", 7)])
def test_the_meeting_list(request, role, expected, kelurahan_a, meetings):
    _meeting, grow = meetings
    small, large = pin_queries(client_as(request, role), url("meetings", kelurahan_a.pk), expected, grow=grow)
    assert len(large.context["meetings"]) > len(small.context["meetings"]) == 1


# Officer 5: the meeting with its kelurahan, kecamatan and who recorded it, 6: the cooperative,
# 7: whether they keep it (the forms), 8: the quorum (the counts), 9: the latest attendance
# with each member and who recorded them, 10: the decisions. Reviewer 5-6 and 8-10. Admin 3-8.
@pytest.mark.parametrize("role, expected", [("officer", 10), ("reviewer", 10), ("admin", 8)])
def test_the_meeting_page(request, role, expected, meetings):
    meeting, grow = meetings
    small, large = pin_queries(client_as(request, role), url("meeting_detail", meeting.pk), expected, grow=grow)
    assert (small.context["quorum"].present, len(small.context["decisions"])) == (2, 1)
    assert (large.context["quorum"].present, len(large.context["decisions"])) == (12, 5)


# 5: the meeting, 6: the cooperative, 7: every attendance with its member, 8: the audit event,
# 9: the quorum (admin 3-7).
@pytest.mark.parametrize("role, expected", [("officer", 9), ("reviewer", 10), ("admin", 7)])
def test_the_attendance_sheet(request, role, expected, meetings):
    meeting, grow = meetings
    small, large = pin_queries(client_as(request, role), url("meeting_attendance_sheet", meeting.pk), expected, grow=grow)
    assert len(large.context["attendance"]) > len(small.context["attendance"]) == 2


# 5: the meeting, 6: the cooperative, 7: the quorum, 8: the decisions (admin 3-6).
@pytest.mark.parametrize("role, expected", [("officer", 8), ("reviewer", 9), ("admin", 6)])
def test_the_minutes(request, role, expected, meetings):
    meeting, grow = meetings
    pin_queries(client_as(request, role), url("meeting_minutes", meeting.pk), expected, grow=grow)


# 5: the kelurahan (kept by the user). Admin 3.
@pytest.mark.parametrize("role, expected", [("officer", 5), ("admin", 3)])
def test_the_meeting_form(request, role, expected, kelurahan_a, meetings):
    _meeting, grow = meetings
    pin_queries(client_as(request, role), url("meeting_create", kelurahan_a.pk), expected, grow=grow)


# 5: the meeting (of a kelurahan the user keeps), 6: the meeting again, the form's own copy.
# Admin 3-4.
@pytest.mark.parametrize("role, expected", [("officer", 6), ("admin", 4)])
def test_the_meeting_edit_form(request, role, expected, meetings):
    meeting, grow = meetings
    pin_queries(client_as(request, role), url("meeting_edit", meeting.pk), expected, grow=grow)
