"""Rapat Anggota (the annual RAT and other members' meetings): the reads and writes behind
`koperasi.views.rapat` (docs/meetings.md).

Who may attend and vote is read from the status history, as of the meeting day: the active
members of the cooperative on that date (`Meeting.eligible`, `Member.objects.active_on`). A
member who joined after the meeting, or had left before it, is not eligible, whatever their
status today; one who left after the meeting still counts for it. The quorum is the
cooperative's rule (`Cooperative.quorum`) applied to that number.

Writes lock the meeting's row first: attendance, decisions and a change of the meeting date
are then checked and written one at a time, so a date cannot move under an attendance check,
and the votes of a decision are compared with a settled attendance. The unique (meeting,
member) constraint is the last word on a double scan (two phones at the door, or SQLite, which
has no row locks): the second one is told "already recorded", never a 500.

Refusals are `ValidationError`s with a message for the officer; nothing is written then.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Func, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.models import AuditEvent
from members.models import Member, MemberStatusChange

from .models import Attendance, Cooperative, Decision, Meeting
from .profile import cooperative_of

# The audit action of every write to a meeting, with the meeting (or, for attendance, the
# member) as the object and `change` saying what.
MEETING_CHANGED = AuditEvent.Action.MEETING_CHANGED

# A Kemendagri kelurahan code inside a member number (`64.71.05.1002-00012`), as in
# `koperasi.forms.OfficerForm`: another cooperative's number is told from the number itself.
KELURAHAN_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")

# Longer than any member number (`Member.member_number` holds 40 characters).
MEMBER_NUMBER_MAX = 40


def _d(day):
    """A date in a message, as the rest of the app writes it."""
    return day.strftime("%d-%m-%Y")


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


# --- Who attends, and the quorum -----------------------------------------------------------

def _status_on_meeting_day(member_ref):
    """The status of the member `member_ref` names, on the meeting day: the meeting is two
    levels out (meeting → member or attendance → status change)."""
    return Subquery(
        MemberStatusChange.objects.filter(member=OuterRef(member_ref), on__lte=OuterRef(OuterRef("held_on")))
        .order_by("-on", "-pk").values("status")[:1]
    )


def _count(queryset):
    """COUNT(*) of `queryset` as a subquery value, with no GROUP BY (one row, 0 when empty)."""
    return Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"))


def with_counts(meetings):
    """Annotate each meeting with `eligible_count` (active members of its cooperative on its
    date, as `Meeting.eligible` reads them), `present_count` (attendance of those members) and
    `recorded_count` (every attendance row: more than `present` only when a member's history was corrected
    after they were recorded, e.g. a join date moved past the meeting). One query for any
    number of meetings."""
    active = Member.Status.AKTIF
    eligible = Member.objects.filter(kelurahan_id=OuterRef("kelurahan_id")).annotate(
        status_then=_status_on_meeting_day("pk")).filter(status_then=active)
    present = Attendance.objects.filter(meeting=OuterRef("pk")).annotate(
        status_then=_status_on_meeting_day("member_id")).filter(status_then=active)
    recorded = Attendance.objects.filter(meeting=OuterRef("pk"))
    return meetings.annotate(eligible_count=_count(eligible), present_count=_count(present),
                             recorded_count=_count(recorded))


@dataclass(frozen=True)
class Quorum:
    """The attendance of a meeting against its quorum."""

    rule: str  # Cooperative.Quorum
    rule_label: str
    eligible: int
    present: int
    recorded: int
    needed: int

    @property
    def reached(self):
        """At least `needed` present, and someone present: a two-thirds rule applied to a
        cooperative of no active members would otherwise call an empty room quorate."""
        return self.present >= max(self.needed, 1)

    @property
    def missing(self):
        return max(max(self.needed, 1) - self.present, 0)

    @property
    def not_eligible_now(self):
        return self.recorded - self.present


def _quorum(cooperative, eligible, present, recorded):
    return Quorum(rule=cooperative.quorum, rule_label=cooperative.get_quorum_display(), eligible=eligible,
                  present=present, recorded=recorded, needed=cooperative.quorum_needed(eligible))


def quorum_of(meeting, cooperative=None):
    """The meeting's attendance and quorum, read now (two queries)."""
    cooperative = cooperative or cooperative_of(meeting.kelurahan)
    counts = with_counts(Meeting.objects.filter(pk=meeting.pk)).values_list(
        "eligible_count", "present_count", "recorded_count").get()
    return _quorum(cooperative, *(count or 0 for count in counts))


def meetings_of(kelurahan):
    """The cooperative's meetings, latest first, each with its `quorum` (two queries)."""
    cooperative = cooperative_of(kelurahan)
    meetings = list(with_counts(Meeting.objects.filter(kelurahan=kelurahan)))
    for meeting in meetings:
        meeting.quorum = _quorum(cooperative, meeting.eligible_count or 0, meeting.present_count or 0,
                                 meeting.recorded_count or 0)
    return meetings


def rat_held(kelurahan_ids, year, today=None):
    """{kelurahan id: date of its latest quorate RAT in `year`} for the dashboard's "RAT held
    this year". A RAT counts only once it has been held (not after today) and was quorate,
    by the cooperative's current quorum rule: one that missed its quorum decided nothing
    and has to be held again. Two queries, for any number of kelurahan."""
    today = today or timezone.localdate()
    meetings = with_counts(
        Meeting.objects.annual_in(year).filter(kelurahan_id__in=kelurahan_ids, held_on__lte=today)
    ).order_by().values_list("kelurahan_id", "held_on", "eligible_count", "present_count")
    rules = dict(Cooperative.objects.filter(kelurahan_id__in=kelurahan_ids).values_list("kelurahan_id", "quorum"))
    held = {}
    for kelurahan_id, held_on, eligible, present in meetings:
        rule = Cooperative(quorum=rules.get(kelurahan_id, Cooperative.Quorum.MORE_THAN_HALF))
        quorate = (present or 0) >= max(rule.quorum_needed(eligible or 0), 1)
        if quorate and (kelurahan_id not in held or held_on > held[kelurahan_id]):
            held[kelurahan_id] = held_on
    return held


# --- The meeting ---------------------------------------------------------------------------

MEETING_FIELDS = ("kind", "held_on", "place", "agenda", "notes")


def has_started(meeting, today=None):
    """Attendance and decisions are recorded from the meeting day on (a meeting may be
    planned ahead)."""
    return meeting.held_on <= (today or timezone.localdate())


@transaction.atomic
def save_meeting(*, kelurahan, values, meeting=None, by=None):
    """Create a meeting of `kelurahan`'s cooperative (`meeting` None) or change one, from
    `values` (field → value); return (meeting, changes) with changes {field: [before, after]}.
    The date may be in the future (planning). Refused: moving the date of a meeting that has
    attendance or decisions recorded: who was eligible depends on the date."""
    if meeting is None:
        meeting = Meeting(kelurahan=kelurahan, created_by=by if getattr(by, "is_authenticated", False) else None)
    else:
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk, kelurahan=kelurahan)
    changes = {}
    for name in MEETING_FIELDS:
        if name in values and getattr(meeting, name) != values[name]:
            changes[name] = [_plain(getattr(meeting, name)), _plain(values[name])]
    if meeting.pk and "held_on" in changes:
        attended, decided = meeting.attendance.count(), meeting.decisions.count()
        if attended or decided:
            raise ValidationError({"held_on": _(
                "The date cannot change once attendance or decisions are recorded (%(date)s: %(attended)d present, "
                "%(decided)d decisions): who may attend is read on the meeting date. Record a new meeting for another "
                "day.") % {"attended": attended, "decided": decided, "date": _d(meeting.held_on)}})
    if meeting.pk and not changes:
        return meeting, changes
    for name in changes:
        setattr(meeting, name, values[name])
    meeting.full_clean(exclude=["created_by"])
    meeting.save()
    return meeting, changes


# --- Attendance ----------------------------------------------------------------------------

def find_member(kelurahan, number):
    """The member of `kelurahan`'s cooperative with member number `number`: the whole number
    (any case) or only its sequence (12 or 00012 for …-00012). Refused: no such member; a
    number of another cooperative, told from the kelurahan code inside it (nothing is looked
    up there)."""
    number = (number or "").strip()
    if not number:
        raise ValidationError(_("Type the member number, or scan the member card."), code="empty")
    if len(number) > MEMBER_NUMBER_MAX:
        # A QR code from elsewhere (a web address, a payment code) read from the photo.
        raise ValidationError(_("This is not a member number: scan the QR code on the member card, or type the "
                                "number printed on it."), code="not_a_number")
    members = Member.objects.filter(kelurahan=kelurahan)
    member = members.filter(member_number=number).first() or members.filter(member_number__iexact=number).first()
    if member is None and number.isdigit() and len(number) <= 9:
        member = members.filter(member_seq=int(number)).first()
    if member is None:
        code = KELURAHAN_CODE.search(number)
        if code and code.group() != kelurahan.kode:
            raise ValidationError(
                _("%(number)s is a member number of another cooperative (kelurahan %(code)s): only members of this "
                  "cooperative attend its meetings.") % {"number": number, "code": code.group()},
                code="other_cooperative",
            )
        raise ValidationError(_("No member of this cooperative has the number %(number)s.") % {"number": number},
                              code="not_found")
    return member


def _check_eligible(meeting, member):
    """Refuse a member who was not an active member on the meeting day, saying why."""
    history = list(member.status_changes.filter(on__lte=meeting.held_on).order_by("-on", "-pk")[:1])
    status = history[0].status if history else None
    if status == Member.Status.AKTIF:
        return
    who = {"name": member.name, "number": member.member_number, "date": _d(meeting.held_on)}
    if status is None:
        first = member.status_changes.order_by("on", "pk").first()
        if first is None:  # no status history at all: the register cannot say they were active
            raise ValidationError(
                _("%(name)s (%(number)s) was not an active member on %(date)s by the register's status history.")
                % who, code="not_active")
        raise ValidationError(
            _("%(name)s (%(number)s) joined on %(since)s, after the meeting of %(date)s: only members active on the "
              "meeting day attend and vote.") % {**who, "since": _d(first.on)}, code="not_yet_member")
    if status == Member.Status.CALON:
        raise ValidationError(
            _("%(name)s (%(number)s) was an applicant (calon) on %(date)s, not yet an active member: only active "
              "members attend and vote.") % who, code="applicant")
    raise ValidationError(
        _("%(name)s (%(number)s) had left the cooperative (%(status)s, on %(since)s) before the meeting of "
          "%(date)s.") % {**who, "status": Member.Status(status).label, "since": _d(history[0].on)},
        code="left")


def _already(attendance):
    when = timezone.localtime(attendance.recorded_at)
    return ValidationError(
        _("%(name)s (%(number)s) is already recorded as present, at %(time)s on %(date)s (%(via)s).") % {
            "name": attendance.member.name, "number": attendance.member.member_number,
            "time": when.strftime("%H:%M"), "date": _d(when.date()), "via": attendance.get_via_display()},
        code="already_recorded")


def record_attendance(*, meeting, number, via=Attendance.Via.TYPED, by=None, today=None):
    """Record that the member with `number` (see `find_member`) is present at `meeting`;
    return the `Attendance`. Refused, with nothing saved: before the meeting day; a number not
    of this cooperative; a member not active on the meeting day (an applicant, not yet joined,
    left before it); a member already recorded (saying when)."""
    if via not in Attendance.Via.values:
        via = Attendance.Via.TYPED
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("kelurahan").get(pk=meeting.pk)
        if not has_started(meeting, today):
            raise ValidationError(
                _("The meeting is on %(date)s: attendance is recorded from the meeting day.") % {"date": _d(meeting.held_on)},
                code="not_yet")
        member = find_member(meeting.kelurahan, number)
        _check_eligible(meeting, member)
        existing = Attendance.objects.filter(meeting=meeting, member=member).select_related("member").first()
        if existing:
            raise _already(existing)
        try:
            with transaction.atomic():
                return Attendance.objects.create(
                    meeting=meeting, member=member, via=via,
                    recorded_by=by if getattr(by, "is_authenticated", False) else None)
        except IntegrityError:
            # The same card scanned on two phones at once (no row lock on SQLite).
            existing = Attendance.objects.filter(meeting=meeting, member=member).select_related("member").first()
            if existing is None:
                raise
            raise _already(existing) from None


# --- Decisions -----------------------------------------------------------------------------

def record_decision(*, meeting, subject, text="", votes_for=0, votes_against=0, abstentions=0, today=None):
    """Record a decision of `meeting` with its votes (one member, one vote); return it.
    Refused: before the meeting day; no vote counted; more votes than members present.
    A decision of a meeting that has not (yet) reached its quorum is recorded and shown as
    not valid (docs/meetings.md): attendance may still be typed in after the decisions."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("kelurahan").get(pk=meeting.pk)
        if not has_started(meeting, today):
            raise ValidationError(
                _("The meeting is on %(date)s: decisions are recorded from the meeting day.") % {"date": _d(meeting.held_on)},
                code="not_yet")
        decision = Decision(meeting=meeting, subject=subject, text=text, votes_for=votes_for,
                            votes_against=votes_against, abstentions=abstentions)
        if decision.votes < 1:
            raise ValidationError(_("Record the votes: for a decision by consensus (mufakat), count every member "
                                    "present as for."), code="no_votes")
        present = quorum_of(meeting).present
        if decision.votes > present:
            raise ValidationError(ngettext(
                "%(votes)d votes were counted but only %(present)d member is recorded as present: one member, one "
                "vote. Record the attendance first.",
                "%(votes)d votes were counted but only %(present)d members are recorded as present: one member, one "
                "vote. Record the attendance first.", present) % {"votes": decision.votes, "present": present},
                code="too_many_votes")
        decision.full_clean()
        decision.save()
        return decision
