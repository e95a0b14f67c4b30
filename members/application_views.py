"""The officers' queue of applications to join (sent by residents from the public join page):
the list of their own kelurahan's applications, one application with the checks the
registration form would make, accepting (registering the member through that form),
rejecting with a reason, and a WhatsApp click-to-chat link. Every opening is audited."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent, record
from kelurahan.models import Kelurahan

from . import applications, lookups
from .application_forms import RejectForm
from .forms import MemberForm
from .models import Application, Household, Member
from .views import checked_form, record_elsewhere, register_from_form

STATUS_FILTERS = frozenset(Application.Status.values)


def _application_or_404(request, pk, *, waiting=False):
    """An application of a kelurahan the user keeps; another one is a 404, recorded as denied."""
    scope = Application.objects.managed_by(request.user).select_related("kelurahan__kecamatan", "member", "decided_by")
    if waiting:
        scope = scope.waiting()
    application = scope.filter(pk=pk).first()
    if application is None:
        if Application.objects.filter(pk=pk).exists():
            record(AuditEvent.Action.DENIED, request=request, object_type="application", object_id=pk, path=request.path)
        raise Http404
    return application


@login_required
def application_list(request):
    """The applications of the kelurahan the officer keeps, newest first, waiting ones by
    default, each flagged with what matches within its own cooperative."""
    status = request.GET.get("status", "masuk")
    applications_ = Application.objects.managed_by(request.user).for_queue().with_matches()
    if status in STATUS_FILTERS:
        applications_ = applications_.filter(status=status)
    page = Paginator(applications_, 25).get_page(request.GET.get("page"))
    return render(request, "members/application_list.html", {
        "page": page, "status": status if status in STATUS_FILTERS else "",
        "statuses": Application.Status.choices,
        "kelurahan_list": list(Kelurahan.objects.managed_by(request.user).order_by("nama")[:50]),
    })


def _member_form_data(application):
    """The registration form's fields as the application fills them (joining today, as an
    applicant: the simpanan pokok makes them active under the cooperative's rule)."""
    return {
        "kelurahan": application.kelurahan_id,
        "status": Member.Status.CALON,
        "nik": application.nik,
        "name": application.name,
        "no_kk": application.no_kk,
        "is_head_of_household": application.is_head_of_household,
        "phone": application.phone,
        "citizenship": Member.Citizenship.WNI,
        "domicile_address": application.address,
        "domicile_kelurahan": application.kelurahan_id,
        "domicile_rt": application.rt,
        "joined_on": timezone.localdate().isoformat(),
    }


def _checks(request, application):
    """What the registration form would say of this application: refusals (NIK already a
    member, a KK of another kelurahan), likely duplicates, warnings, and the household of that
    KK in this kelurahan with its current members. Matches in other cooperatives name nothing
    and are audited (`member_elsewhere`), counted against the account's look-ups; once those
    are spent, nothing is checked."""
    if lookups.searches_left(request.user) <= 0:
        return {"skipped": lookups.registration_limit_message()}
    form = MemberForm(_member_form_data(application), user=request.user, kelurahan=application.kelurahan)
    form.is_valid()
    record_elsewhere(request, form)
    shown = ("nik", "no_kk", "confirm_duplicate", "birth_date", "__all__")
    problems = [error for name in shown for error in form.errors.get(name, [])]
    household = (
        Household.objects.filter(no_kk=application.no_kk, kelurahan_id=application.kelurahan_id).first()
        if application.no_kk else None
    )
    household_members = (
        list(household.members.filter(status__in=Member.CURRENT).order_by("member_seq")[:20]) if household else []
    )
    others = list(
        Application.objects.filter(kelurahan_id=application.kelurahan_id, nik=application.nik)
        .exclude(pk=application.pk).exclude(nik="").order_by("-received_at")[:10]
    ) if application.nik else []
    return {"problems": problems, "warnings": form.warnings, "household": household,
            "household_members": household_members, "other_applications": others}


def whatsapp_link(application):
    """A wa.me click-to-chat link to the applicant with a prepared message (no messaging API)."""
    text = _(
        "Hello %(name)s, this is the pengurus of KKMP %(kelurahan)s. Thank you for applying to join "
        "(code %(code)s). When can we meet to complete your registration and the simpanan pokok?"
    ) % {"name": application.name, "kelurahan": application.kelurahan.nama, "code": application.code}
    return f"https://wa.me/{application.whatsapp_number}?text={quote(text)}"


@login_required
def application_detail(request, pk):
    """One application, with the registration form's checks and the officer's actions."""
    application = _application_or_404(request, pk)
    record(AuditEvent.Action.APPLICATION_VIEWED, request=request, obj=application, kelurahan=application.kelurahan_id)
    checks = _checks(request, application) if application.is_waiting else {}
    return render(request, "members/application_detail.html", {
        "application": application, "checks": checks,
        "whatsapp": whatsapp_link(application) if application.is_waiting and application.phone else "",
        "reject_form": RejectForm(),
    })


@login_required
def application_accept(request, pk):
    """Accept: the registration form, filled from the application, checked as any registration
    (duplicates confirmed, the account's look-ups counted). The member is registered as an
    applicant (calon) by default; paying the simpanan pokok on their page makes them active
    under the cooperative's rule, as for any applicant."""
    application = _application_or_404(request, pk, waiting=True)
    if request.method != "POST":
        record(AuditEvent.Action.APPLICATION_VIEWED, request=request, obj=application, kelurahan=application.kelurahan_id)
    form, valid = checked_form(request, initial=_member_form_data(application), kelurahan=application.kelurahan)
    if valid:
        with transaction.atomic():
            # Two officers accepting at once: the second finds it decided, and registers nobody.
            if not Application.objects.select_for_update().filter(pk=application.pk).waiting().exists():
                messages.error(request, _("This application was decided meanwhile."))
                return redirect("members:application_list")
            member = register_from_form(request, form)
            if member is not None:
                applications.mark_accepted(application=application, member=member, by=request.user)
                record(AuditEvent.Action.APPLICATION_DECIDED, request=request, obj=application, decision="accepted",
                       member=member.pk)
                return redirect(member)
    return render(request, "members/application_accept.html", {"form": form, "application": application})


@login_required
def application_reject(request, pk):
    """Not accepted, with a reason (POST)."""
    application = _application_or_404(request, pk, waiting=True)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        applications.reject_application(application=application, reason=form.cleaned_data["reason"], by=request.user)
        record(AuditEvent.Action.APPLICATION_DECIDED, request=request, obj=application, decision="rejected")
        messages.success(request, _("The application %(code)s is marked as not accepted.") % {"code": application.code})
        return redirect("members:application_list")
    record(AuditEvent.Action.APPLICATION_VIEWED, request=request, obj=application, kelurahan=application.kelurahan_id)
    return render(request, "members/application_detail.html", {
        "application": application, "checks": {}, "whatsapp": "", "reject_form": form,
    })
