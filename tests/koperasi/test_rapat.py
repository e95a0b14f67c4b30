"""Rapat Anggota: meetings planned and held, attendance typed or read from the member card's
QR code (a photo decoded on the server), the quorum on the meeting day, decisions with their
votes, the printed sheet and minutes, and "RAT held this year" for the dashboard. Every
refusal says why and saves nothing; reviewers read, only the cooperative's officers write
(docs/meetings.md)."""

import io
import struct
import zlib
from datetime import date, timedelta

import pytest
import segno
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from koperasi import qr_photo, rapat
from koperasi.models import Attendance, Cooperative, Decision, Meeting
from members.models import Member
from members.services import accept_member, record_leaving, register_member
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db

JOINED = date(2025, 9, 1)
MEETING_DAY = date(2026, 3, 14)



def url(name, *args):
    return reverse(f"koperasi:{name}", args=args)


def member(kelurahan, serial, *, status=Member.Status.AKTIF, joined_on=JOINED, name=None):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=name or f"Anggota {serial}",
                           joined_on=joined_on, no_kk=make_no_kk(serial), status=status)


def members(kelurahan, count, start=1):
    return [member(kelurahan, serial) for serial in range(start, start + count)]


def meeting(kelurahan, held_on=MEETING_DAY, kind=Meeting.Kind.RAT):
    return Meeting.objects.create(kelurahan=kelurahan, kind=kind, held_on=held_on, place="Balai Kelurahan",
                                  agenda="Laporan pertanggungjawaban 2025")


def body(response):
    return response.content.decode()


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def attendance():
    return list(Attendance.objects.values_list("meeting_id", "member_id"))


def qr_png(text, *, scale=8, micro=False):
    buf = io.BytesIO()
    segno.make(text, micro=micro).save(buf, kind="png", scale=scale)
    return buf.getvalue()


def png_header_only(width, height):
    """A tiny PNG file that claims `width` x `height` pixels (a decompression bomb's header)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def upload(content, name="kartu.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)



# --- The quorum on the meeting day ------------------------------------------------------------

@pytest.mark.parametrize(("rule", "eligible", "needed"), [
    ("1/2", 6, 4), ("1/2", 7, 4), ("2/3", 6, 4), ("2/3", 7, 5), ("3/4", 6, 5), ("3/4", 7, 6), ("3/4", 8, 6),
])
def test_the_quorum_follows_the_cooperatives_rule(kelurahan_a, rule, eligible, needed):
    Cooperative.objects.create(kelurahan=kelurahan_a, quorum=rule)
    people = members(kelurahan_a, eligible)
    rat = meeting(kelurahan_a)
    for person in people[:needed - 1]:
        rapat.record_attendance(meeting=rat, number=person.member_number)
    quorum = rapat.quorum_of(rat)
    assert (quorum.eligible, quorum.present, quorum.needed, quorum.reached, quorum.missing) == (
        eligible, needed - 1, needed, False, 1)
    rapat.record_attendance(meeting=rat, number=people[needed - 1].member_number)
    quorum = rapat.quorum_of(rat)
    assert (quorum.present, quorum.reached, quorum.missing) == (needed, True, 0)


@pytest.mark.parametrize("rule", ["1/2", "2/3", "3/4"])
def test_an_empty_room_is_never_quorate(kelurahan_a, rule):
    """Two thirds of no active members is none: still, nobody present decides nothing."""
    Cooperative.objects.create(kelurahan=kelurahan_a, quorum=rule)
    quorum = rapat.quorum_of(meeting(kelurahan_a))
    assert (quorum.eligible, quorum.present, quorum.reached) == (0, 0, False)


def test_eligible_members_are_those_active_on_the_meeting_day(kelurahan_a, kelurahan_b):
    present_then = members(kelurahan_a, 3)
    record_leaving(member=present_then[2], status=Member.Status.KELUAR, left_on=MEETING_DAY + timedelta(days=1))
    left_before = member(kelurahan_a, 10)
    record_leaving(member=left_before, status=Member.Status.MENINGGAL, left_on=MEETING_DAY - timedelta(days=1))
    member(kelurahan_a, 11, joined_on=MEETING_DAY + timedelta(days=1))  # joined after the meeting
    calon = member(kelurahan_a, 12, status=Member.Status.CALON)  # applicant on the day
    accepted_on_the_day = member(kelurahan_a, 13, status=Member.Status.CALON)
    accept_member(member=accepted_on_the_day, accepted_on=MEETING_DAY)
    member(kelurahan_b, 20)  # another cooperative
    rat = meeting(kelurahan_a)
    expected = {*(m.pk for m in present_then), accepted_on_the_day.pk}
    assert set(rat.eligible().values_list("pk", flat=True)) == expected
    assert rapat.quorum_of(rat).eligible == 4 == rat.eligible().count()
    assert calon.pk not in expected


# --- Attendance: typed, sequence digits, QR photo ----------------------------------------------

def test_an_officer_types_the_full_member_number_and_sees_the_running_count(officer_client, kelurahan_a):
    people = members(kelurahan_a, 3)
    rat = meeting(kelurahan_a)
    response = officer_client.post(url("meeting_attendance", rat.pk), {"number": f"  {people[0].member_number} "},
                                   follow=True)
    assert response.status_code == 200
    assert attendance() == [(rat.pk, people[0].pk)]
    assert Attendance.objects.get().via == Attendance.Via.TYPED
    assert messages_of(response) == [
        "Anggota 1 (64.71.05.1002-00001) is present. 1 of 3 present; quorum 2: not reached."]
    page = body(response)
    assert 'data-figure="present">1<' in page and 'data-figure="eligible">3<' in page and 'data-figure="needed">2<' in page
    event = AuditEvent.objects.filter(object_type="member", object_id=str(people[0].pk)).latest("pk")
    assert (event.detail["change"], event.detail["meeting"], event.detail["via"]) == ("attended", rat.pk, "ketik")


def test_the_member_number_is_matched_whatever_its_case(officer_client, kelurahan_a, settings):
    settings.KKMP_MEMBER_NUMBER_PATTERN = "KKMP-{kode}-{seq:05d}"
    person = member(kelurahan_a, 1)
    assert person.member_number == "KKMP-64.71.05.1002-00001"
    rat = meeting(kelurahan_a)
    officer_client.post(url("meeting_attendance", rat.pk), {"number": "kkmp-64.71.05.1002-00001"})
    assert attendance() == [(rat.pk, person.pk)]


@pytest.mark.parametrize("typed", ["2", "00002", "000000002"])
def test_only_the_sequence_digits_are_enough(officer_client, kelurahan_a, typed):
    people = members(kelurahan_a, 2)
    rat = meeting(kelurahan_a)
    officer_client.post(url("meeting_attendance", rat.pk), {"number": typed})
    assert attendance() == [(rat.pk, people[1].pk)]


def test_the_live_scanner_submits_the_number_with_via_qr(officer_client, kelurahan_a):
    person = member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    officer_client.post(url("meeting_attendance", rat.pk), {"number": person.member_number, "via": "qr"})
    assert Attendance.objects.get().via == Attendance.Via.QR


@pytest.mark.parametrize("micro", [False, None])  # the card's code (never micro); segno's own choice
def test_a_photo_of_the_member_cards_qr_code_is_read_on_the_server(officer_client, kelurahan_a, micro):
    people = members(kelurahan_a, 2)
    rat = meeting(kelurahan_a)
    response = officer_client.post(url("meeting_attendance", rat.pk),
                                   {"via": "qr", "photo": upload(qr_png(people[1].member_number, micro=micro))}, follow=True)
    assert attendance() == [(rat.pk, people[1].pk)]
    assert Attendance.objects.get().via == Attendance.Via.QR
    assert messages_of(response)[0].startswith("Anggota 2 (64.71.05.1002-00002) is present.")


def test_a_large_phone_photo_is_shrunk_before_the_code_is_looked_for(officer_client, kelurahan_a):
    """A 4000 x 3000 JPEG with the card's QR code in it, as a phone takes it."""
    person = member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    photo = Image.new("RGB", (4000, 3000), "#8a7f70")
    code = Image.open(io.BytesIO(qr_png(person.member_number, scale=30))).convert("RGB")
    photo.paste(code, (1500, 900))
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=85)
    officer_client.post(url("meeting_attendance", rat.pk), {"photo": upload(buf.getvalue(), "IMG_0001.jpg", "image/jpeg")})
    assert attendance() == [(rat.pk, person.pk)]


def refused(client, rat, data, field="photo"):
    """Post attendance; the page comes back (no 500, no redirect) with the field's message."""
    before = attendance()
    response = client.post(url("meeting_attendance", rat.pk), data)
    assert response.status_code == 200
    assert attendance() == before
    return response.context["attendance_form"].errors[field]


def test_a_file_that_is_not_an_image_is_refused_cleanly(officer_client, kelurahan_a):
    member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    errors = refused(officer_client, rat, {"photo": upload(b"%PDF-1.4 not a photo", "kartu.pdf", "application/pdf")})
    assert errors == ["The file is not an image, or is damaged: take a photo of the member card's QR code again."]
    truncated = qr_png("64.71.05.1002-00001")[:200]
    assert refused(officer_client, rat, {"photo": upload(truncated)}) == errors


@pytest.mark.parametrize(("width", "height"), [(5_000, 5_000), (9_000, 9_000), (20_000, 20_000), (100_000, 100_000)])
def test_an_image_of_huge_dimensions_is_refused_from_its_header(officer_client, kelurahan_a, width, height):
    """24 million pixels for a PNG (decoded whole), below Pillow's bomb warning at 89 million
    and its error at twice that: each is refused without decoding a pixel."""
    member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    (error,) = refused(officer_client, rat, {"photo": upload(png_header_only(width, height))})
    assert error.startswith("The image is too large")


def test_a_photo_over_10_mb_is_refused_while_it_arrives(officer_client, kelurahan_a):
    member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    big = qr_png("64.71.05.1002-00001") + b"\0" * (qr_photo.PHOTO_MAX_BYTES + 1)
    assert refused(officer_client, rat, {"photo": upload(big)}) == [
        "The photo is larger than 10 MB: take it again at a lower resolution, or type the member number."]
    with pytest.raises(ValidationError, match="larger than 10 MB"):  # the service checks too
        qr_photo.read_qr(upload(big))


def test_a_photo_without_a_qr_code_says_so(officer_client, kelurahan_a):
    member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(buf, "PNG")
    (error,) = refused(officer_client, rat, {"photo": upload(buf.getvalue())})
    assert error.startswith("No QR code found in the photo")


def test_nothing_typed_is_a_message(officer_client, kelurahan_a):
    rat = meeting(kelurahan_a)
    response = officer_client.post(url("meeting_attendance", rat.pk), {"number": "   "})
    assert response.status_code == 200
    assert response.context["attendance_form"].non_field_errors() == ["Type the member number, or scan the member card."]


# --- Attendance refused ------------------------------------------------------------------------

def test_refusals_say_why_and_save_nothing(officer_client, kelurahan_a, kelurahan_b):
    present, _second, _third, gone = members(kelurahan_a, 4)
    record_leaving(member=gone, status=Member.Status.KELUAR, left_on=date(2026, 1, 31))
    calon = member(kelurahan_a, 5, status=Member.Status.CALON)
    late = member(kelurahan_a, 6, joined_on=date(2026, 4, 1))
    other = member(kelurahan_b, 7)
    rat = meeting(kelurahan_a)
    officer_client.post(url("meeting_attendance", rat.pk), {"number": present.member_number})

    def refusal(number):
        return refused(officer_client, rat, {"number": number}, field="number")

    assert refusal("99") == ["No member of this cooperative has the number 99."]
    assert refusal("64.71.05.1002-00099") == ["No member of this cooperative has the number 64.71.05.1002-00099."]
    assert refusal(other.member_number) == [
        "64.71.01.1001-00001 is a member number of another cooperative (kelurahan 64.71.01.1001): only members of "
        "this cooperative attend its meetings."]
    assert refusal(calon.member_number) == [
        "Anggota 5 (64.71.05.1002-00005) was an applicant (calon) on 14-03-2026, not yet an active member: only "
        "active members attend and vote."]
    assert refusal(late.member_number) == [
        "Anggota 6 (64.71.05.1002-00006) joined on 01-04-2026, after the meeting of 14-03-2026: only members active "
        "on the meeting day attend and vote."]
    assert refusal(gone.member_number) == [
        "Anggota 4 (64.71.05.1002-00004) had left the cooperative (resigned, on 31-01-2026) before the meeting of "
        "14-03-2026."]
    (again,) = refusal("1")
    when = timezone.localtime(Attendance.objects.get().recorded_at)
    assert again == (f"Anggota 1 (64.71.05.1002-00001) is already recorded as present, at {when:%H:%M} on "
                     f"{when:%d-%m-%Y} (member number typed).")
    assert attendance() == [(rat.pk, present.pk)]


def test_attendance_waits_for_the_meeting_day(officer_client, kelurahan_a):
    person = member(kelurahan_a, 1)
    planned = meeting(kelurahan_a, held_on=timezone.localdate() + timedelta(days=7))
    page = body(officer_client.get(url("meeting_detail", planned.pk)))
    assert "attendance and decisions are recorded from the meeting day on" in page
    assert 'name="number"' not in page
    response = officer_client.post(url("meeting_attendance", planned.pk), {"number": person.member_number})
    assert response.status_code == 200 and attendance() == []
    with pytest.raises(ValidationError, match="attendance is recorded from the meeting day"):
        rapat.record_attendance(meeting=planned, number=person.member_number)


def test_a_double_scan_that_slips_past_the_check_is_told_already_recorded(kelurahan_a, monkeypatch):
    """The unique constraint's IntegrityError (two phones at once; SQLite has no row lock) is a
    message, not a 500, and leaves one row."""
    person = member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    rapat.record_attendance(meeting=rat, number=person.member_number, via="qr")
    real_filter = Attendance.objects.filter
    calls = []

    def first_check_misses(*args, **kwargs):
        calls.append(kwargs)
        return Attendance.objects.none() if len(calls) == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(Attendance.objects, "filter", first_check_misses)
    with pytest.raises(ValidationError, match=r"already recorded as present, at .* \(member card QR scanned\)"):
        rapat.record_attendance(meeting=rat, number=person.member_number)
    monkeypatch.undo()
    assert attendance() == [(rat.pk, person.pk)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and sessions")
def test_the_same_card_scanned_on_two_phones_at_once_is_recorded_once(kelurahan_a):
    from tests.members.test_concurrency import at_once

    person = member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    results = at_once(*[lambda: rapat.record_attendance(meeting=rat, number=person.member_number, via="qr")] * 3)
    assert sum(isinstance(r, Attendance) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 2, results
    assert Attendance.objects.count() == 1


# --- Decisions ---------------------------------------------------------------------------------

def decide(client, rat, **votes):
    data = {"subject": "Pengesahan laporan 2025", "text": "", "votes_for": 0, "votes_against": 0, "abstentions": 0,
            **votes}
    return client.post(url("meeting_decision", rat.pk), data, follow=True)


def test_decisions_are_recorded_with_their_votes_and_shown_valid_once_quorate(officer_client, kelurahan_a):
    people = members(kelurahan_a, 4)  # more than half: 3
    rat = meeting(kelurahan_a)
    for person in people[:2]:
        rapat.record_attendance(meeting=rat, number=person.member_number)
    response = decide(officer_client, rat, votes_for=2)
    assert messages_of(response) == ["The decision “Pengesahan laporan 2025” is recorded."]
    assert "Not quorate: decisions are not valid." in body(response)
    assert "not valid (not quorate)" in body(officer_client.get(url("meeting_minutes", rat.pk)))
    rapat.record_attendance(meeting=rat, number=people[2].member_number)
    decide(officer_client, rat, subject="Pembagian SHU", votes_for=1, votes_against=2)
    page = body(officer_client.get(url("meeting_detail", rat.pk)))
    assert "Not quorate: decisions are not valid." not in page
    assert ">carried<" in page and ">not carried<" in page
    assert list(Decision.objects.values_list("votes_for", "votes_against", "abstentions")) == [(2, 0, 0), (1, 2, 0)]


def test_more_votes_than_members_present_are_refused(officer_client, kelurahan_a):
    people = members(kelurahan_a, 3)
    rat = meeting(kelurahan_a)
    for person in people[:2]:
        rapat.record_attendance(meeting=rat, number=person.member_number)
    response = decide(officer_client, rat, votes_for=2, votes_against=1)
    assert response.status_code == 200
    assert response.context["decision_form"].non_field_errors() == [
        "3 votes were counted but only 2 members are recorded as present: one member, one vote. Record the "
        "attendance first."]
    assert decide(officer_client, rat).context["decision_form"].non_field_errors()[0].startswith("Record the votes")
    form = decide(officer_client, rat, votes_for=-1, votes_against="x").context["decision_form"]
    assert set(form.errors) == {"votes_for", "votes_against"}
    assert Decision.objects.count() == 0


def test_decisions_wait_for_the_meeting_day(kelurahan_a):
    planned = meeting(kelurahan_a, held_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError, match="decisions are recorded from the meeting day"):
        rapat.record_decision(meeting=planned, subject="x", votes_for=1)
    assert Decision.objects.count() == 0


# --- Planning and editing the meeting ----------------------------------------------------------

MEETING_FORM = {"kind": "rat", "held_on": "", "place": "Aula Kelurahan Sepinggan",
                "agenda": "1. Laporan pengurus\n2. Pengesahan SHU", "notes": ""}


def test_an_officer_plans_a_meeting_ahead_and_edits_its_minutes(officer_client, kelurahan_a):
    ahead = timezone.localdate() + timedelta(days=30)
    response = officer_client.post(url("meeting_create", kelurahan_a.pk), {**MEETING_FORM, "held_on": ahead.isoformat()},
                                   follow=True)
    rat = Meeting.objects.get()
    assert (rat.kelurahan, rat.held_on, rat.created_by.username) == (kelurahan_a, ahead, "pengurus.a")
    assert response.redirect_chain[-1][0] == rat.get_absolute_url()
    officer_client.post(url("meeting_edit", rat.pk), {**MEETING_FORM, "held_on": ahead.isoformat(), "notes": "Dibuka 09.00."})
    rat.refresh_from_db()
    assert rat.notes == "Dibuka 09.00."
    assert AuditEvent.objects.filter(object_type="meeting", object_id=str(rat.pk)).count() == 2
    assert body(officer_client.get(url("meetings", kelurahan_a.pk))).count(rat.get_absolute_url()) == 1


def test_the_date_cannot_move_once_attendance_is_recorded(officer_client, kelurahan_a):
    person = member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    rapat.record_attendance(meeting=rat, number=person.member_number)
    response = officer_client.post(url("meeting_edit", rat.pk), {**MEETING_FORM, "held_on": "2026-03-21"})
    assert response.status_code == 200
    assert response.context["form"].errors["held_on"][0].startswith(
        "The date cannot change once attendance or decisions are recorded (14-03-2026: 1 present, 0 decisions)")
    rat.refresh_from_db()
    assert (rat.held_on, rat.place) == (MEETING_DAY, "Balai Kelurahan")


def test_a_bad_meeting_form_is_shown_again(officer_client, kelurahan_a):
    response = officer_client.post(url("meeting_create", kelurahan_a.pk), {**MEETING_FORM, "held_on": "31-02-2026",
                                                                          "kind": "arisan"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"held_on", "kind"}
    assert Meeting.objects.count() == 0


# --- Scope: reviewers read, officers of other cooperatives do not ------------------------------

def test_a_reviewer_reads_everything_and_changes_nothing(reviewer_client, kelurahan_a):
    person = member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    rapat.record_attendance(meeting=rat, number=person.member_number)
    for name, arg in [("meetings", kelurahan_a.pk), ("meeting_detail", rat.pk), ("meeting_attendance_sheet", rat.pk),
                      ("meeting_minutes", rat.pk)]:
        response = reviewer_client.get(url(name, arg))
        assert response.status_code == 200, name
        assert "Anggota 1" in body(response) or name in ("meetings", "meeting_minutes")
    page = body(reviewer_client.get(url("meeting_detail", rat.pk)))
    assert 'name="number"' not in page and url("meeting_edit", rat.pk) not in page
    assert url("meeting_create", kelurahan_a.pk) not in body(reviewer_client.get(url("meetings", kelurahan_a.pk)))
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count()
    for name, arg, data in [("meeting_create", kelurahan_a.pk, {**MEETING_FORM, "held_on": "2026-03-01"}),
                            ("meeting_edit", rat.pk, {**MEETING_FORM, "held_on": "2026-03-01"}),
                            ("meeting_attendance", rat.pk, {"number": "1"}),
                            ("meeting_decision", rat.pk, {"subject": "x", "votes_for": 1})]:
        assert reviewer_client.post(url(name, arg), data).status_code == 404, name
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count() == denied + 4
    assert (Meeting.objects.count(), Attendance.objects.count(), Decision.objects.count()) == (1, 1, 0)


def test_another_cooperatives_officer_gets_404_and_a_denied_event(officer_b_client, kelurahan_a):
    rat = meeting(kelurahan_a)
    for name, arg in [("meetings", kelurahan_a.pk), ("meeting_create", kelurahan_a.pk), ("meeting_detail", rat.pk),
                      ("meeting_edit", rat.pk), ("meeting_attendance_sheet", rat.pk), ("meeting_minutes", rat.pk)]:
        assert officer_b_client.get(url(name, arg)).status_code == 404, name
    events = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED)
    assert set(events.values_list("object_type", flat=True)) == {"kelurahan", "meeting"}
    assert events.count() == 6


# --- Printed pages -----------------------------------------------------------------------------

def test_the_attendance_sheet_lists_names_and_member_numbers_and_no_nik(officer_client, kelurahan_a):
    people = members(kelurahan_a, 3)
    rat = meeting(kelurahan_a)
    for person in people[:2]:
        rapat.record_attendance(meeting=rat, number=person.member_number)
    page = body(officer_client.get(url("meeting_attendance_sheet", rat.pk)))
    assert "Anggota 1" in page and "64.71.05.1002-00002" in page and "Anggota 3" not in page
    assert "Present: 2 of 3 active members on the meeting day. Quorum (more than half of the active members): 2." in page
    assert "Quorate." in page and "data-print" in page
    assert all(p.nik not in page and p.nik[:6] + "**" not in page for p in people)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_type="meeting").count() == 1


def test_the_minutes_show_the_count_against_the_quorum_and_the_votes(officer_client, kelurahan_a):
    Cooperative.objects.create(kelurahan=kelurahan_a, quorum="2/3", legal_name="Koperasi Kelurahan Merah Putih Sepinggan")
    people = members(kelurahan_a, 3)
    rat = meeting(kelurahan_a)
    for person in people[:2]:
        rapat.record_attendance(meeting=rat, number=person.member_number)
    rapat.record_decision(meeting=rat, subject="Pengesahan laporan 2025", votes_for=2)
    page = body(officer_client.get(url("meeting_minutes", rat.pk)))
    assert "Koperasi Kelurahan Merah Putih Sepinggan" in page
    assert "2 of 3 active members present; the quorum (at least two thirds of the active members) is 2." in page
    assert "The meeting was quorate." in page and "Pengesahan laporan 2025" in page and ">carried<" in page
    assert all(p.nik not in page for p in people)


# --- "RAT held this year" ----------------------------------------------------------------------

def test_rat_held_counts_only_quorate_annual_meetings_in_two_queries(kelurahan_a, kelurahan_b, django_assert_num_queries):
    a = members(kelurahan_a, 3)
    b = members(kelurahan_b, 2, start=10)
    early = meeting(kelurahan_a, held_on=date(2026, 2, 1))
    late = meeting(kelurahan_a, held_on=date(2026, 3, 1))
    for person in a[:2]:
        rapat.record_attendance(meeting=early, number=person.member_number)
        rapat.record_attendance(meeting=late, number=person.member_number)
    not_quorate = meeting(kelurahan_b)
    rapat.record_attendance(meeting=not_quorate, number=b[0].member_number)  # 1 of 2: more than half is 2
    other_kind = meeting(kelurahan_b, kind=Meeting.Kind.LUAR_BIASA)
    for person in b:
        rapat.record_attendance(meeting=other_kind, number=person.member_number)
    last_year = meeting(kelurahan_b, held_on=date(2025, 12, 1))
    for person in b:
        rapat.record_attendance(meeting=last_year, number=person.member_number)
    with django_assert_num_queries(2):
        held = rapat.rat_held([kelurahan_a.pk, kelurahan_b.pk], 2026)
    assert held == {kelurahan_a.pk: date(2026, 3, 1)}
    assert rapat.rat_held([kelurahan_b.pk], 2025) == {kelurahan_b.pk: date(2025, 12, 1)}
    Cooperative.objects.create(kelurahan=kelurahan_a, quorum="3/4")  # 2 of 3 is no longer enough
    assert rapat.rat_held([kelurahan_a.pk, kelurahan_b.pk], 2026) == {}


def test_with_counts_agrees_with_meeting_eligible(kelurahan_a, kelurahan_b):
    members(kelurahan_a, 4)
    gone = member(kelurahan_a, 9)
    record_leaving(member=gone, status=Member.Status.KELUAR, left_on=date(2026, 2, 15))
    members(kelurahan_b, 2, start=20)
    meetings = [meeting(kelurahan_a, held_on=date(2026, 2, 1)), meeting(kelurahan_a), meeting(kelurahan_b)]
    counted = {m.pk: m.eligible_count for m in rapat.with_counts(Meeting.objects.all())}
    assert counted == {m.pk: m.eligible().count() for m in meetings} == {meetings[0].pk: 5, meetings[1].pk: 4,
                                                                         meetings[2].pk: 2}
