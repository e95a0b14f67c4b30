"""The public way in: each cooperative's join page (what membership means, with the simpanan
pokok and wajib of its rules, and the short application form), the thank-you page, the status
page of a follow-up code; and for its officers the printable poster with the QR code and the
WhatsApp share link.

Nothing public ever tells what the register holds: the form checks only the shape of what was
typed (`members.application_forms`), storing does the same work whatever the NIK or KK
(`members.applications.submit_application`), and the answer is always the same thank-you.
The status page says only received, accepted or not accepted, for a random code."""

from urllib.parse import quote

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kelurahan.models import Kelurahan
from members import applications
from members.application_forms import ApplicationForm
from members.models import CONSENT_VERSION, Application
from members.models.application import CODE_ALPHABET, CODE_LENGTH, new_code
from members.views import _kelurahan_or_404

from ..profile import cooperative_of

# `?dari=` of the links we hand out: the poster's QR and the WhatsApp share link.
SOURCES = {"poster": Application.Source.POSTER, "wa": Application.Source.SHARED}


def _open_kelurahan_or_404(kode):
    """A kelurahan whose cooperative takes applications: one with an officer to read them."""
    kelurahan = Kelurahan.objects.filter(kode=kode[:20], officers__isnull=False).select_related("kecamatan").first()
    if kelurahan is None:
        raise Http404
    return kelurahan


def join_url(request, kelurahan, source=""):
    url = request.build_absolute_uri(reverse("join:join", args=[kelurahan.kode]))
    return f"{url}?dari={source}" if source else url


def _join_context(kelurahan):
    return {
        "kelurahan": kelurahan,
        "cooperative": cooperative_of(kelurahan),
        "consent_version": CONSENT_VERSION,
        "retention_days": settings.KKMP_APPLICATION_RETENTION_DAYS,
        "rejected_retention_days": settings.KKMP_REJECTED_APPLICATION_RETENTION_DAYS,
    }


def join(request, kode):
    """The join page and its form (no account). Invalid input is shown field by field (the
    shape of a NIK, KK, phone, RT); a valid one always gets the thank-you page."""
    kelurahan = _open_kelurahan_or_404(kode)
    context = _join_context(kelurahan)
    if request.method == "POST":
        if not applications.attempt_allowed(request):
            return render(request, "koperasi/join.html", {**context, "refusal": applications.address_limit_message()},
                          status=429)
        form = ApplicationForm(request.POST)
        if form.is_robot:
            # The honeypot: the same answer as a stored application, nothing stored.
            return redirect("join:join_thanks", kode=kelurahan.kode, code=new_code())
        if form.is_valid():
            try:
                application = applications.submit_application(
                    request=request, kelurahan=kelurahan, data=form.cleaned_data, source=form.cleaned_data["source"]
                )
            except applications.LimitReached as limit:
                return render(request, "koperasi/join.html", {**context, "form": form, "refusal": limit.message}, status=429)
            return redirect("join:join_thanks", kode=kelurahan.kode, code=application.code)
    else:
        form = ApplicationForm(initial={"source": SOURCES.get(request.GET.get("dari", ""), Application.Source.DIRECT)})
    return render(request, "koperasi/join.html", {**context, "form": form})


def join_thanks(request, kode, code):
    """The one public answer to an application: thank you, the pengurus will contact you, and
    the code to follow it with. Reads nothing about the code (the same for any code)."""
    kelurahan = _open_kelurahan_or_404(kode)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise Http404
    return render(request, "koperasi/join_thanks.html", {"kelurahan": kelurahan, "code": code,
                                                         "cooperative": cooperative_of(kelurahan)})


def _clean_code(text):
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:CODE_LENGTH * 2]


@never_cache
def application_status(request, code=""):
    """Received, accepted or not accepted: all the status page says, for a code typed or
    linked; nothing personal. Look-ups count against the address's hourly attempts. A waiting
    application can be withdrawn here (it is deleted)."""
    if not code and request.GET.get("kode"):
        return redirect("join:application_status", code=_clean_code(request.GET["kode"]) or "-")
    code = _clean_code(code)
    context = {"code": code}
    if code:
        if not applications.attempt_allowed(request, "status"):
            return render(request, "koperasi/application_status.html",
                          {"refusal": applications.address_limit_message()}, status=429)
        if request.method == "POST" and request.POST.get("withdraw"):
            context["withdrawn"] = applications.withdraw_application(request=request, code=code)
        else:
            found = Application.objects.filter(code=code).select_related("kelurahan").only(
                "status", "kelurahan__nama").first()
            context.update(status=found.status if found else "", kelurahan=found.kelurahan if found else None,
                           statuses=Application.Status)
    return render(request, "koperasi/application_status.html", context)


@login_required
def poster(request, pk):
    """The A4 poster of a cooperative the officer keeps: its name, a large QR code of its join
    page (`?dari=poster`), the short link, the simpanan amounts; and the WhatsApp share link."""
    kelurahan = _kelurahan_or_404(request, pk, managed=True)
    poster_link = join_url(request, kelurahan, "poster")
    shared_link = join_url(request, kelurahan, "wa")
    share_text = _("Join KKMP %(name)s, our kelurahan's cooperative: apply from your phone in two minutes. %(link)s") % {
        "name": kelurahan.nama, "link": shared_link}
    return render(request, "koperasi/poster.html", {
        **_join_context(kelurahan),
        "qr": segno.make(poster_link, error="m", micro=False).svg_inline(scale=1, border=4, omitsize=True,
                                                                         svgclass="poster-qr"),
        "short_link": join_url(request, kelurahan),
        "whatsapp_share": f"https://wa.me/?text={quote(share_text)}",
        "officers_assigned": kelurahan.officers.exists(),
    })
