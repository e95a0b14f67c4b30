"""The cooperative's profile, its pengurus and pengawas, and the SIMKOPDES export: thin views
over `koperasi.profile` (writes and reads) and `koperasi.exports` (the file). Every reader of
the kelurahan (`Kelurahan.objects.for_user`: its officers, DKUMKMP reviewers) sees the profile
and downloads the export; only its officers (`managed_by`) change anything. Out of scope is a
404, recorded as denied."""

import copy

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent, record
from kelurahan.models import Kelurahan
from kkmp.downloads import spreadsheet
from members.forms import DateInput
from members.views import _kelurahan_or_404, can_see_full_numbers

from .. import exports
from .. import profile as service
from ..forms import CooperativeForm, OfficerForm
from ..models import Officer


class EndTermForm(forms.Form):
    term_end = forms.DateField(label=gettext_lazy("Term ends on"), widget=DateInput(),
                               help_text=gettext_lazy("The first day they no longer serve."))


def _posted(request):
    """The form's data: a POST, even an empty one (then every required field says so), binds it."""
    return request.POST if request.method == "POST" else None


def _profile_url(kelurahan):
    return reverse("koperasi:cooperative", args=[kelurahan.pk])


@login_required
def cooperative_detail(request, pk):
    """The profile: legal data, the simpanan and meeting rules, the current pengurus and
    pengawas with their terms, and the officers of past terms."""
    kelurahan = _kelurahan_or_404(request, pk)
    can_change = Kelurahan.objects.managed_by(request.user).filter(pk=pk).exists()
    current, past = service.officers_of(kelurahan)
    return render(request, "koperasi/cooperative_detail.html", {
        "kelurahan": kelurahan,
        "cooperative": service.cooperative_of(kelurahan),
        "board": [o for o in current if not o.is_supervisor],
        "supervisors": [o for o in current if o.is_supervisor],
        "past": past,
        "can_change": can_change,
        "full_numbers": can_see_full_numbers(request.user, kelurahan),
        "today": timezone.localdate(),
    })


@login_required
def cooperative_edit(request, pk):
    kelurahan = _kelurahan_or_404(request, pk, managed=True)
    cooperative = service.cooperative_of(kelurahan)
    # The form gets its own copy: checking it writes the typed values onto its instance, and the
    # page above the form shows what is saved.
    form = CooperativeForm(_posted(request), instance=copy.copy(cooperative), pokok_fixed=service.pokok_is_fixed(kelurahan))
    if request.method == "POST" and form.is_valid():
        try:
            cooperative, changes = service.update_cooperative(kelurahan=kelurahan, values=form.values())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if changes:
                record(service.COOPERATIVE_CHANGED, request=request, obj=cooperative, kelurahan=kelurahan.pk,
                       fields=sorted(changes), changes=changes)
                messages.success(request, _("The cooperative's profile and rules are saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect(_profile_url(kelurahan))
    return render(request, "koperasi/cooperative_form.html", {"form": form, "kelurahan": kelurahan, "cooperative": cooperative})


@login_required
def officer_create(request, pk):
    """Add a pengurus or pengawas, chosen by member number among the cooperative's active members."""
    kelurahan = _kelurahan_or_404(request, pk, managed=True)
    form = OfficerForm(_posted(request), kelurahan=kelurahan)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            officer = service.appoint(kelurahan=kelurahan, member=form.instance.member, role=data["role"],
                                      term_start=data["term_start"], term_end=data["term_end"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            record(AuditEvent.Action.MEMBER_CHANGED, request=request, obj=officer.member, fields=["office"],
                   change="appointed", officer=officer.pk, role=officer.role, kelurahan=kelurahan.pk,
                   term_start=officer.term_start.isoformat(),
                   term_end=officer.term_end.isoformat() if officer.term_end else None)
            messages.success(request, _("%(name)s is recorded as %(role)s.")
                             % {"name": officer.member.name, "role": officer.get_role_display()})
            return redirect(_profile_url(kelurahan))
    return render(request, "koperasi/officer_form.html", {
        "form": form, "kelurahan": kelurahan, "cooperative": service.cooperative_of(kelurahan),
    })


@login_required
def officer_end(request, pk):
    """End a pengurus' or pengawas' term on a date (POST); GET shows the form on its own."""
    officer = (Officer.objects.filter(kelurahan__in=Kelurahan.objects.managed_by(request.user))
               .select_related("member", "kelurahan").filter(pk=pk).first())
    if officer is None:
        if Officer.objects.filter(pk=pk).exists():
            record(AuditEvent.Action.DENIED, request=request, object_type="officer", object_id=pk, path=request.path)
        raise Http404
    form = EndTermForm(_posted(request), initial={"term_end": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            officer = service.end_term(officer=officer, term_end=form.cleaned_data["term_end"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            record(AuditEvent.Action.MEMBER_CHANGED, request=request, obj=officer.member, fields=["office"],
                   change="term_ended", officer=officer.pk, role=officer.role, kelurahan=officer.kelurahan_id,
                   term_end=officer.term_end.isoformat())
            messages.success(request, _("The term of %(name)s as %(role)s ends on %(date)s.")
                             % {"name": officer.member.name, "role": officer.get_role_display(),
                                "date": officer.term_end.strftime("%d-%m-%Y")})
            return redirect(_profile_url(officer.kelurahan))
    return render(request, "koperasi/officer_end.html", {"form": form, "officer": officer, "kelurahan": officer.kelurahan})


@login_required
def simkopdes_xlsx(request, pk):
    """The cooperative's members in SIMKOPDES's member columns (docs/simkopdes.md), as XLSX:
    full NIK only for who may see full numbers (then it can be uploaded), masked otherwise."""
    kelurahan = _kelurahan_or_404(request, pk)
    show_full = can_see_full_numbers(request.user, kelurahan)
    content = exports.simkopdes_xlsx(kelurahan, show_full=show_full)
    record(AuditEvent.Action.EXPORT, request=request, obj=kelurahan, what="simkopdes members", format="xlsx",
           full_numbers=show_full)
    return spreadsheet(content, "xlsx", "simkopdes-anggota", kelurahan.kode, "" if show_full else "nik-tersamar")
