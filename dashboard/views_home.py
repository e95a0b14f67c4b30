"""The officer's home (issue 21): the page after sign-in for an account that keeps one or a few
kelurahan. Its first screen on a phone is their cooperative: the progress toward the target,
what to do today (each a count linking to the filtered list), and the actions they do most
(register a member, record a payment, scan a member card, find a member). Reviewers and
admins, and anyone keeping no kelurahan, get the city dashboard at `/` as before.

Thin views: the figures come from `dashboard.queries`/`dashboard.progress` (as a kelurahan's
page), the counts from `koperasi.queries.to_do`; the kelurahan from `Kelurahan.objects.for_user`
(reading) and `managed_by` (the actions)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from kelurahan.models import Kelurahan
from koperasi.meeting_forms import AttendanceForm, PhotoLimitHandler
from koperasi.models import Meeting
from koperasi.qr_photo import PHOTO_MAX_BYTES
from koperasi.queries import to_do
from koperasi.rapat import find_member
from members.models import Application

from . import counters
from .progress import Progress
from .queries import for_dashboard
from .views import _campaign, dashboard


def _is_officer(user):
    """An account that keeps kelurahan and does not read every one (a reviewer or an admin
    starts at the city dashboard)."""
    return not (user.is_superuser or user.has_perm("members.view_all_kelurahan"))


@login_required
def home(request):
    """`/`: an officer's own cooperative (the first of theirs by name), else the city dashboard."""
    if _is_officer(request.user):
        kept = list(Kelurahan.objects.managed_by(request.user).select_related("kecamatan__kabupaten_kota").order_by("nama")[:50])
        if kept:
            return _home(request, kept[0], kept)
    return dashboard(request)


@login_required
def home_kelurahan(request, pk):
    """One cooperative's home, for an officer keeping several (or a reviewer following one:
    the figures, without the actions). Outside the user's scope: 404."""
    kelurahan = Kelurahan.objects.for_user(request.user).select_related("kecamatan__kabupaten_kota").filter(pk=pk).first()
    if kelurahan is None:
        raise Http404
    kept = list(Kelurahan.objects.managed_by(request.user).select_related("kecamatan__kabupaten_kota").order_by("nama")[:50])
    return _home(request, kelurahan, kept)


def _home(request, kelurahan, kept):
    today = timezone.localdate()
    campaign, _campaigns = _campaign({}, kelurahan.kecamatan.kabupaten_kota, today)
    row = for_dashboard(Kelurahan.objects.filter(pk=kelurahan.pk), campaign).get()
    progress = Progress.of(row, campaign, today, counters.gained([kelurahan.pk], today).get(kelurahan.pk, 0))
    keeps = any(k.pk == kelurahan.pk for k in kept)
    counts = to_do(kelurahan.members.all(), today)
    counts["applications"] = Application.objects.filter(kelurahan=kelurahan).waiting().count()
    meeting = Meeting.objects.filter(kelurahan=kelurahan, held_on__gte=today).order_by("held_on", "pk").first()
    members = reverse("members:member_list")
    return render(request, "dashboard/home.html", {
        "kelurahan": kelurahan, "progress": progress, "campaign": progress.campaign, "today": today,
        "counts": counts, "meeting": meeting, "keeps": keeps,
        "others": [k for k in kept if k.pk != kelurahan.pk],
        "links": {
            "calon": f"{members}?kelurahan={kelurahan.pk}&status=calon",
            "pokok_unpaid": f"{members}?kelurahan={kelurahan.pk}&status=pokok_belum",
            "in_arrears": reverse("koperasi:arrears", args=[kelurahan.pk]),
            "applications": reverse("members:application_list") + "?status=masuk",
            "meetings": reverse("koperasi:meetings", args=[kelurahan.pk]),
        },
    })


@csrf_exempt  # checked by `_scan`, once the upload handler is in place
@login_required
def home_scan(request, pk):
    """Scan a member card to open the member's page: the phone's camera (static/js/scan.js,
    where the browser has a camera API and BarcodeDetector), a photo of the card read by the
    server (`koperasi.qr_photo`), or the member number typed. The upload's size is watched
    while it arrives, hence CSRF is checked once the handler is in place (as at a meeting)."""
    limit = PhotoLimitHandler(request)
    request.upload_handlers.insert(0, limit)
    return _scan(request, pk, limit)


@csrf_protect
def _scan(request, pk, limit):
    kelurahan = Kelurahan.objects.managed_by(request.user).select_related("kecamatan__kabupaten_kota").filter(pk=pk).first()
    if kelurahan is None:
        raise Http404
    form = AttendanceForm(request.POST or None, request.FILES or None, too_large=limit.too_large)
    if request.method == "POST" and form.is_valid():
        try:
            member = find_member(kelurahan, form.cleaned_data["number"])
        except ValidationError as exc:
            form.add_error("photo" if "photo" in request.FILES else "number", exc)
        else:
            messages.success(request, _("Card read: %(name)s (%(number)s).") % {"name": member.name, "number": member.member_number})
            return redirect(member)
    return render(request, "dashboard/home_scan.html", {
        "kelurahan": kelurahan, "form": form, "photo_max_mb": PHOTO_MAX_BYTES // (1024 * 1024),
    })
