"""The member register's pages for officers and reviewers: thin views over `members.services`
(writes), the querysets (scope, search, filters) and `members.resources` (files); every page
reads only the kelurahan `Kelurahan.objects.for_user` allows and masks what the reader may not
see in full."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from audit.models import AuditEvent, record
from kelurahan.models import Kelurahan
from kkmp.downloads import spreadsheet
from kkmp.masking import mask

from . import lookups, services
from .forms import AcceptForm, LeaveForm, MemberFilterForm, MemberForm
from .history import member_history
from .models import Member
from .resources import qr_svg, register_xlsx
from .values import number_query


def sees_full_numbers_everywhere(user):
    """Admins, and everyone when the setting says so (it is off: UU 27/2022, only who needs them)."""
    return user.is_superuser or settings.KKMP_REVIEWERS_SEE_FULL_NUMBERS


def can_see_full_numbers(user, kelurahan=None):
    """Full NIK/KK numbers (and birth dates) of `kelurahan`'s members, or with `kelurahan` None
    of every member `user` may read: only where the user keeps the register (an officer of that
    cooperative, `Kelurahan.objects.managed_by`). Reading is not enough: a reviewer, or an
    officer who also holds the reviewer role, reads every kelurahan and sees the others masked."""
    if sees_full_numbers_everywhere(user):
        return True
    managed = Kelurahan.objects.managed_by(user)
    if kelurahan is not None:
        return managed.filter(pk=getattr(kelurahan, "pk", kelurahan)).exists()
    return not Kelurahan.objects.for_user(user).exclude(pk__in=managed.values("pk")).exists()


class MemberPaginator(Paginator):
    """25 a page, counting at most `CAP` members: an exact count of a city-wide list costs
    more than the page itself (bench/members.py). Past the cap the page says "more than" and
    asks for a narrower search."""

    CAP = 10_000

    def __init__(self, object_list):
        super().__init__(object_list, 25)
        self.capped = False

    @cached_property
    def count(self):
        found = self.object_list.order_by()[: self.CAP + 1].count()
        self.capped = found > self.CAP
        return min(found, self.CAP)


def _member_or_404(request, queryset, pk):
    """The member from the user's scope; a member outside it is a 404, recorded as denied."""
    member = queryset.filter(pk=pk).first()
    if member is None:
        if Member.objects.filter(pk=pk).exists():
            record(AuditEvent.Action.DENIED, request=request, object_type="member", object_id=pk, path=request.path)
        raise Http404
    return member


# Registration fields that go to `register_member` as they are.
REGISTRATION_DETAILS = [
    "phone",
    "citizenship",
    "is_married",
    "ktp_address",
    "domicile_address",
    "domicile_kelurahan",
    "domicile_rt",
    "domicile_rw",
]


def _warn(request, form):
    for warning in form.warnings:
        messages.warning(request, warning)


def record_elsewhere(request, form, refused=None):
    """Audit what the registration checks found in cooperatives the officer may not read (the
    officer was told only "a member of another KKMP"): DKUMKMP can follow up, and probing
    other cooperatives through the form shows in the trail."""
    found = list(form.elsewhere)
    if isinstance(refused, services.MemberElsewhere):
        found.append((refused.kind, refused.other))
    for kind, other in found:
        record(
            AuditEvent.Action.MEMBER_ELSEWHERE, request=request, obj=other, kind=kind,
            nik=mask(form.data.get("nik", "")), kelurahan=other.kelurahan_id,
        )


def checked_form(request, **kwargs):
    """The member form, checked on POST, unless the account has spent its number look-ups
    (`members.lookups`): then nothing is checked (no answer about other cooperatives) and the
    form comes back as typed, with the limit's message."""
    if request.method == "POST" and lookups.searches_left(request.user) <= 0:
        messages.error(request, lookups.registration_limit_message())
        record(AuditEvent.Action.NUMBER_SEARCH, request=request, number=mask(request.POST.get("nik", "")),
               refused=True, where="registration")
        kwargs.pop("initial", None)
        return MemberForm(initial=request.POST.dict(), user=request.user, **kwargs), False
    form = MemberForm(request.POST or None, user=request.user, **kwargs)
    valid = request.method == "POST" and form.is_valid()
    if request.method == "POST" and not valid:
        record_elsewhere(request, form)
    return form, valid


@login_required
def member_list(request):
    """The register of members of the kelurahan the user may read: searchable, filtered by
    status, domicile RT/RW and join month, sorted, paginated."""
    scope = Member.objects.for_user(request.user)
    kelurahan_list = Kelurahan.objects.for_user(request.user).select_related("kecamatan")
    form = MemberFilterForm(request.GET, kelurahan_queryset=kelurahan_list)
    form.is_valid()  # invalid filters are shown and left out
    query = form.cleaned_data.get("q", "").strip()
    show_full = can_see_full_numbers(request.user)
    members = scope.for_list().filtered(**form.filters())
    members = form.narrow(members)  # e.g. the simpanan ledger's "in arrears" (members/list_filters.py)
    members = members.sorted_by(form.cleaned_data.get("sort"))
    digits = number_query(query)
    if digits and not show_full and len(digits) == 16:
        members, refusal = lookups.masked_number_search(request, digits, members)
        if refusal:
            messages.error(request, refusal)
    else:
        members = members.search(query, whole_numbers_only=not show_full)
    page = MemberPaginator(members).get_page(request.GET.get("page"))
    shown_kelurahan = list(kelurahan_list[:50])
    return render(
        request,
        "members/member_list.html",
        {
            "page": page,
            "form": form,
            "query": query,
            "kelurahan_list": shown_kelurahan,
            "kelurahan_select": 1 < len(shown_kelurahan) < 50,
            "uses_rw": scope.uses_rw() or bool(form.cleaned_data.get("rw")),
            "can_add": Kelurahan.objects.managed_by(request.user).exists(),
            "show_full": show_full,
            "whole_numbers_hint": not show_full and bool(number_query(query)),
        },
    )


@login_required
def member_detail(request, pk):
    member = _member_or_404(
        request, Member.objects.for_user(request.user).select_related("kelurahan__kecamatan", "household"), pk
    )
    can_change = Member.objects.managed_by(request.user).filter(pk=pk).exists()
    show_full = can_change or sees_full_numbers_everywhere(request.user)  # see can_see_full_numbers
    if show_full:
        record(AuditEvent.Action.VIEW_NIK, request=request, obj=member)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "can_change": can_change,
            "show_full": show_full,
            "status_changes": member.status_changes.select_related("recorded_by"),
            "history": member_history(
                member, show_full=show_full, readable_kelurahan=Kelurahan.objects.for_user(request.user)
            ),
        },
    )


def register_from_form(request, form):
    """Register the member a valid `MemberForm` describes (the registration page, and an
    application accepted from the queue): audited, warnings and the notice shown. The member,
    or None with the refusal added to the form."""
    data = form.cleaned_data
    try:
        member = services.register_member(
            kelurahan=data["kelurahan"],
            nik=data["nik"],
            name=data["name"],
            sex=data["sex"],
            birth_date=data["birth_date"],
            no_kk=data["no_kk"],
            is_head_of_household=data["is_head_of_household"],
            joined_on=data["joined_on"],
            status=data["status"],
            by=request.user,
            **{name: data[name] for name in REGISTRATION_DETAILS},
        )
    except ValidationError as exc:
        record_elsewhere(request, form, exc)
        form.add_error(None, exc.messages)
        return None
    record(AuditEvent.Action.MEMBER_CREATED, request=request, obj=member)
    _warn(request, form)
    messages.success(
        request,
        _("%(name)s is registered as member %(number)s.") % {"name": member.name, "number": member.member_number},
    )
    return member


@login_required
def member_create(request):
    """Register a member in one of the kelurahan the officer manages."""
    if not Kelurahan.objects.managed_by(request.user).exists():
        raise PermissionDenied
    form, valid = checked_form(request)
    if valid:
        member = register_from_form(request, form)
        if member is not None:
            return redirect(member)
    return render(request, "members/member_form.html", {"form": form})


@login_required
def member_update(request, pk):
    member = _member_or_404(request, Member.objects.managed_by(request.user).select_related("household"), pk)
    form, valid = checked_form(request, instance=member)
    if valid:
        try:
            services.update_member(
                member=form.instance, no_kk=form.cleaned_data["no_kk"], version=form.cleaned_data["version"],
                by=request.user,
            )
        except services.EditConflict as exc:
            differences = form.conflicts_with(exc.current)
            form.add_error(None, _(
                "Someone else saved this member at %(time)s while you were editing. Nothing of "
                "yours is saved yet: compare below, then save again to keep what you typed."
            ) % {"time": timezone.localtime(exc.current.updated_at).strftime("%H:%M")})
            return render(request, "members/member_form.html", {"form": form, "member": exc.current, "conflicts": differences})
        except ValidationError as exc:
            record_elsewhere(request, form, exc)
            form.add_error(None, exc.messages)
        else:
            record(AuditEvent.Action.MEMBER_CHANGED, request=request, obj=member, fields=sorted(form.changed_data))
            _warn(request, form)
            messages.success(request, _("The member's details are saved."))
            return redirect(member)
    return render(request, "members/member_form.html", {"form": form, "member": member})


@login_required
def member_leave(request, pk):
    """Record that a member resigned, died or was expelled. Members are never deleted."""
    member = _member_or_404(request, Member.objects.managed_by(request.user).filter(status__in=Member.CURRENT), pk)
    form = LeaveForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_leaving(
                member=member,
                status=form.cleaned_data["status"],
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return render(request, "members/member_leave.html", {"form": form, "member": member})
        record(AuditEvent.Action.MEMBER_CHANGED, request=request, obj=member, fields=["status", "left_on"])
        messages.success(
            request,
            _("%(name)s is recorded as %(status)s.")
            % {"name": member.name, "status": member.get_status_display()},
        )
        return redirect(member)
    return render(request, "members/member_leave.html", {"form": form, "member": member})


@login_required
def member_accept(request, pk):
    """Accept an applicant (calon) as an active member."""
    member = _member_or_404(request, Member.objects.managed_by(request.user).filter(status=Member.Status.CALON), pk)
    form = AcceptForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.accept_member(
                member=member,
                accepted_on=form.cleaned_data["accepted_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            record(AuditEvent.Action.MEMBER_CHANGED, request=request, obj=member, fields=["status", "joined_on"])
            messages.success(request, _("%(name)s is now an active member.") % {"name": member.name})
            return redirect(member)
    return render(request, "members/member_accept.html", {"form": form, "member": member})


# --- Exports of a kelurahan's register: XLSX, the Rapat Anggota list, member cards -----------

def _kelurahan_or_404(request, pk, *, managed=False):
    """A kelurahan the user may read (with `managed`, one they keep, as an officer of its
    cooperative); another one is a 404, recorded as denied when it exists."""
    scope = Kelurahan.objects.managed_by(request.user) if managed else Kelurahan.objects.for_user(request.user)
    kelurahan = scope.select_related("kecamatan").filter(pk=pk).first()
    if kelurahan is None:
        if Kelurahan.objects.filter(pk=pk).exists():
            record(AuditEvent.Action.DENIED, request=request, object_type="kelurahan", object_id=pk, path=request.path)
        raise Http404
    return kelurahan


def _register(kelurahan):
    return Member.objects.filter(kelurahan=kelurahan).select_related("household").order_by("member_seq")


@login_required
def register_xlsx_download(request, pk):
    """The register of members of one kelurahan (everyone ever registered) as XLSX."""
    kelurahan = _kelurahan_or_404(request, pk)
    members = _register(kelurahan)
    show_full = can_see_full_numbers(request.user, kelurahan)
    content = register_xlsx(kelurahan, members.iterator(chunk_size=2000), show_full=show_full)
    record(AuditEvent.Action.EXPORT, request=request, obj=kelurahan, what="member register", format="xlsx", full_numbers=show_full)
    return spreadsheet(content, "xlsx", "daftar-anggota", kelurahan.kode)


@login_required
def meeting_list(request, pk):
    """The attendance list of a Rapat Anggota: the active members, with a signature column,
    as a page to print on A4."""
    kelurahan = _kelurahan_or_404(request, pk)
    members = _register(kelurahan).filter(status=Member.Status.AKTIF)
    record(AuditEvent.Action.EXPORT, request=request, obj=kelurahan, what="meeting list", format="html")
    return render(request, "members/meeting_list.html", {"kelurahan": kelurahan, "members": members})


CARDS_PER_SHEET = 8  # 2 x 4 cards of 85.6 x 54 mm on A4


@login_required
def kelurahan_cards(request, pk):
    """Member cards (kartu anggota) of the active members, 8 to an A4 sheet."""
    kelurahan = _kelurahan_or_404(request, pk)
    # 10 sheets (80 cards) a page: a cooperative of 3,000 members is 38 pages to print, not one
    # page of 3,000 QR codes.
    page = Paginator(_register(kelurahan).filter(status=Member.Status.AKTIF), CARDS_PER_SHEET * 10).get_page(
        request.GET.get("halaman")
    )
    record(AuditEvent.Action.EXPORT, request=request, obj=kelurahan, what="member cards", count=len(page.object_list), page=page.number)
    return _cards(request, kelurahan, page.object_list, page=page)


@login_required
def member_card(request, pk):
    """One member's card, to print."""
    member = _member_or_404(request, Member.objects.for_user(request.user).select_related("kelurahan"), pk)
    record(AuditEvent.Action.EXPORT, request=request, obj=member, what="member card")
    return _cards(request, member.kelurahan, [member])


def _cards(request, kelurahan, members, page=None):
    cards = [{"member": m, "qr": qr_svg(m.member_number)} for m in members]
    sheets = [cards[i:i + CARDS_PER_SHEET] for i in range(0, len(cards), CARDS_PER_SHEET)]
    return render(request, "members/member_cards.html", {"kelurahan": kelurahan, "sheets": sheets, "page": page})
