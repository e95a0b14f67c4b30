"""Rapat Anggota (the annual RAT and other members' meetings): thin views over
`koperasi.rapat` (rules, writes, quorum) and `koperasi.meeting_forms` (docs/meetings.md).

Every reader of the kelurahan (`Kelurahan.objects.for_user`: its officers, DKUMKMP reviewers)
sees its meetings, the attendance, the decisions and the printable sheet and minutes; only its
officers (`managed_by`) plan, edit and record. Out of scope is a 404, recorded as denied."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from audit.models import AuditEvent, record
from kelurahan.models import Kelurahan
from members.views import _kelurahan_or_404

from .. import rapat as service
from ..meeting_forms import AttendanceForm, DecisionForm, MeetingForm, PhotoLimitHandler
from ..models import Meeting
from ..profile import cooperative_of
from ..qr_photo import PHOTO_MAX_BYTES

RECENT_ATTENDANCE = 20  # shown on the meeting's page; the attendance sheet has them all


def _meeting_or_404(request, pk, *, manage=False):
    """The meeting, if the user may read its kelurahan (or, with `manage`, keeps it); any
    other is a 404, recorded as denied when it exists (also a reviewer trying to write)."""
    scope = Kelurahan.objects.managed_by(request.user) if manage else Kelurahan.objects.for_user(request.user)
    meeting = (Meeting.objects.filter(kelurahan__in=scope).select_related("kelurahan__kecamatan", "created_by")
               .filter(pk=pk).first())
    if meeting is None:
        if Meeting.objects.filter(pk=pk).exists():
            record(AuditEvent.Action.DENIED, request=request, object_type="meeting", object_id=pk, path=request.path)
        raise Http404
    return meeting


def _may_change(request, kelurahan):
    return Kelurahan.objects.managed_by(request.user).filter(pk=kelurahan.pk).exists()


@login_required
def meeting_list(request, pk):
    """The cooperative's meetings, latest first, each with its attendance against the quorum."""
    kelurahan = _kelurahan_or_404(request, pk)
    return render(request, "koperasi/meeting_list.html", {
        "kelurahan": kelurahan,
        "cooperative": cooperative_of(kelurahan),
        "meetings": service.meetings_of(kelurahan),
        "can_change": _may_change(request, kelurahan),
        "today": timezone.localdate(),
    })


def _save(request, form, kelurahan, meeting=None):
    """Save the meeting form through the service; a refusal goes on the form's fields."""
    try:
        saved, changes = service.save_meeting(kelurahan=kelurahan, values=form.values(), meeting=meeting, by=request.user)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    if meeting is None:
        record(service.MEETING_CHANGED, request=request, obj=saved, change="meeting_created", kelurahan=kelurahan.pk,
               kind=saved.kind, held_on=saved.held_on.isoformat())
        messages.success(request, _("The meeting of %(date)s is recorded.") % {"date": saved.held_on.strftime("%d-%m-%Y")})
    elif changes:
        record(service.MEETING_CHANGED, request=request, obj=saved, change="meeting_changed", kelurahan=kelurahan.pk,
               fields=sorted(changes))
        messages.success(request, _("The meeting is saved."))
    else:
        messages.info(request, _("Nothing was changed."))
    return saved


@login_required
def meeting_create(request, pk):
    kelurahan = _kelurahan_or_404(request, pk, managed=True)
    form = MeetingForm(request.POST or None, initial={"kind": Meeting.Kind.RAT})
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, kelurahan)
        if saved:
            return redirect(saved)
    return render(request, "koperasi/meeting_form.html", {"form": form, "kelurahan": kelurahan, "meeting": None})


@login_required
def meeting_edit(request, pk):
    meeting = _meeting_or_404(request, pk, manage=True)
    form = MeetingForm(request.POST or None, instance=Meeting.objects.get(pk=meeting.pk))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, meeting.kelurahan, meeting)
        if saved:
            return redirect(saved)
    return render(request, "koperasi/meeting_form.html", {"form": form, "kelurahan": meeting.kelurahan, "meeting": meeting})


def _detail(request, meeting, *, attendance_form=None, decision_form=None):
    """The meeting's page: details, the running count against the quorum, the latest
    attendance, the decisions, and (for its officers, from the meeting day) the forms."""
    cooperative = cooperative_of(meeting.kelurahan)
    can_change = _may_change(request, meeting.kelurahan)
    started = service.has_started(meeting)
    may_record = can_change and started
    attendance = meeting.attendance.select_related("member", "recorded_by").order_by("-recorded_at", "-pk")
    return render(request, "koperasi/meeting_detail.html", {
        "meeting": meeting,
        "kelurahan": meeting.kelurahan,
        "cooperative": cooperative,
        "quorum": service.quorum_of(meeting, cooperative),
        "recent": attendance[:RECENT_ATTENDANCE],
        "decisions": meeting.decisions.all(),
        "can_change": can_change,
        "started": started,
        "attendance_form": (attendance_form or AttendanceForm()) if may_record else None,
        "decision_form": (decision_form or DecisionForm()) if may_record else None,
        "photo_max_mb": PHOTO_MAX_BYTES // (1024 * 1024),
    })


@login_required
def meeting_detail(request, pk):
    return _detail(request, _meeting_or_404(request, pk))


@csrf_exempt
@login_required
def meeting_attendance(request, pk):
    """Record a member present (POST): a typed number, a number read by the live scanner, or a
    photo of the card. The photo's size is watched while it arrives (`PhotoLimitHandler`),
    which must be installed before the request is parsed: hence CSRF is checked here, once
    that is done, rather than by the middleware (Django's documented pattern)."""
    limit = PhotoLimitHandler(request)
    request.upload_handlers.insert(0, limit)
    return _attendance(request, pk, limit)


@csrf_protect
def _attendance(request, pk, limit):
    meeting = _meeting_or_404(request, pk, manage=True)
    if request.method != "POST":
        return redirect(meeting)
    form = AttendanceForm(request.POST, request.FILES, too_large=limit.too_large)
    if not form.is_valid():
        return _detail(request, meeting, attendance_form=form)
    data = form.cleaned_data
    try:
        attendance = service.record_attendance(meeting=meeting, number=data["number"], via=data["via"], by=request.user)
    except ValidationError as exc:
        form.add_error("photo" if data["via"] == "qr" and "photo" in request.FILES else "number", exc)
        return _detail(request, meeting, attendance_form=form)
    member = attendance.member
    record(service.MEETING_CHANGED, request=request, obj=member, fields=["meeting_attendance"], change="attended",
           meeting=meeting.pk, kelurahan=meeting.kelurahan_id, via=attendance.via)
    quorum = service.quorum_of(meeting)
    messages.success(request, _("%(name)s (%(number)s) is present. %(present)d of %(eligible)d present; quorum %(needed)d: "
                                "%(state)s.") % {
        "name": member.name, "number": member.member_number, "present": quorum.present, "eligible": quorum.eligible,
        "needed": quorum.needed, "state": _("reached") if quorum.reached else _("not reached")})
    return redirect(f"{meeting.get_absolute_url()}#hadir")


@login_required
def meeting_decision(request, pk):
    """Record a decision with its votes (POST)."""
    meeting = _meeting_or_404(request, pk, manage=True)
    if request.method != "POST":
        return redirect(meeting)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decision = service.record_decision(meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            record(service.MEETING_CHANGED, request=request, obj=meeting, change="decision_recorded",
                   kelurahan=meeting.kelurahan_id, decision=decision.pk, votes_for=decision.votes_for,
                   votes_against=decision.votes_against, abstentions=decision.abstentions)
            messages.success(request, _("The decision “%(subject)s” is recorded.") % {"subject": decision.subject})
            return redirect(f"{meeting.get_absolute_url()}#keputusan")
    return _detail(request, meeting, decision_form=form)


@login_required
def meeting_attendance_sheet(request, pk):
    """The attendance sheet (daftar hadir) to print: every member recorded present, with their
    member number (no NIK), how and when, and the count against the quorum."""
    meeting = _meeting_or_404(request, pk)
    cooperative = cooperative_of(meeting.kelurahan)
    attendance = list(meeting.attendance.select_related("member").order_by("recorded_at", "pk"))
    record(AuditEvent.Action.EXPORT, request=request, obj=meeting, what="meeting attendance sheet", format="html",
           count=len(attendance))
    return render(request, "koperasi/meeting_attendance_sheet.html", {
        "meeting": meeting, "kelurahan": meeting.kelurahan, "cooperative": cooperative,
        "attendance": attendance, "quorum": service.quorum_of(meeting, cooperative),
    })


@login_required
def meeting_minutes(request, pk):
    """The minutes (notulen) to print: the meeting, attendance against the quorum, the
    decisions with their votes, the notes, and lines for the signatures."""
    meeting = _meeting_or_404(request, pk)
    cooperative = cooperative_of(meeting.kelurahan)
    return render(request, "koperasi/meeting_minutes.html", {
        "meeting": meeting, "kelurahan": meeting.kelurahan, "cooperative": cooperative,
        "quorum": service.quorum_of(meeting, cooperative), "decisions": meeting.decisions.all(),
    })
