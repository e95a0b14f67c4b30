"""Recording simpanan from the member page, the receipt (kuitansi), corrections and withdrawals.

Each form carries its one-time key: sent again, it shows the receipt of what it recorded the
first time (`simpanan.AlreadyRecorded`), with a notice that nothing was recorded twice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.models import AuditEvent, record
from members.models import Member
from members.views import _member_or_404

from .. import simpanan
from ..forms import CorrectionForm, PaymentForm, WithdrawalForm
from ..models import Cooperative, Entry
from ..terbilang import rupiah_words

KINDS = {"pokok": Entry.Kind.POKOK, "wajib": Entry.Kind.WAJIB, "sukarela": Entry.Kind.SUKARELA}


def _managed_member(request, pk):
    return _member_or_404(request, Member.objects.managed_by(request.user).select_related("kelurahan"), pk)


@login_required
def payment(request, pk, kind):
    """Record a payment of simpanan `kind` for a member of the officer's cooperative; saved (or
    sent again), it shows the receipt."""
    if kind not in KINDS:
        raise Http404
    member = _managed_member(request, pk)
    kind = KINDS[kind]
    cooperative = Cooperative.of(member.kelurahan)
    account = simpanan.balances(member)
    was_applicant = member.is_applicant
    initial = {"amount": {
        Entry.Kind.POKOK: simpanan.pokok_remaining(member, cooperative, account) or None,
        Entry.Kind.WAJIB: cooperative.wajib_amount,
    }.get(kind)}
    form = PaymentForm(request.POST or None, kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = simpanan.record_payment(
                member=member, kind=kind, amount=data["amount"], months=data.get("months") or 1, paid_on=data["paid_on"],
                method=data["method"], reference=data["reference"], by=request.user, form_key=data["form_key"],
            )
        except simpanan.AlreadyRecorded as exc:
            return _already_recorded(request, exc)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Payment recorded: receipt %(number)s.") % {"number": entry.receipt_number})
            member.refresh_from_db(fields=["status"])
            if was_applicant and member.is_active:
                messages.success(request, _("%(name)s is now an active member.") % {"name": member.name})
            return redirect(entry)
    return render(request, "koperasi/payment_form.html", {
        "form": form, "member": member, "kind": kind, "kind_label": Entry.Kind(kind).label, "cooperative": cooperative,
        "account": account, "remaining": simpanan.pokok_remaining(member, cooperative, account),
    })


@login_required
def withdrawal(request, pk):
    member = _managed_member(request, pk)
    account = simpanan.balances(member)
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = simpanan.record_withdrawal(member=member, by=request.user, **data)
        except simpanan.AlreadyRecorded as exc:
            return _already_recorded(request, exc)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Withdrawal recorded: receipt %(number)s.") % {"number": entry.receipt_number})
            return redirect(entry)
    return render(request, "koperasi/withdrawal_form.html", {"form": form, "member": member, "account": account})


def _already_recorded(request, exc):
    messages.info(request, exc.messages[0])
    return redirect(exc.entry)


def _entry_or_404(request, queryset, pk):
    entry = queryset.select_related("member", "kelurahan__kecamatan", "recorded_by", "reverses").filter(pk=pk).first()
    if entry is None:
        if Entry.objects.filter(pk=pk).exists():
            record(AuditEvent.Action.DENIED, request=request, object_type="entry", object_id=pk, path=request.path)
        raise Http404
    return entry


@login_required
def receipt(request, pk):
    """The receipt (kuitansi) of one entry: to print, or to share from the phone."""
    entry = _entry_or_404(request, Entry.objects.for_user(request.user), pk)
    cooperative = Cooperative.of(entry.kelurahan)
    return render(request, "koperasi/receipt.html", {
        "entry": entry, "cooperative": cooperative, "words": rupiah_words(abs(entry.amount)),
        "can_correct": (not entry.is_correction and not hasattr(entry, "reversed_by")
                        and Member.objects.managed_by(request.user).filter(pk=entry.member_id).exists()),
        "correction": getattr(entry, "reversed_by", None) if not entry.is_correction else None,
    })


@login_required
def correction(request, pk):
    """Correct a mistaken entry by a reversing entry with a reason; a simpanan pokok that an
    applicant's acceptance rested on makes them an applicant again (the page says so first)."""
    entry = _entry_or_404(request, Entry.objects.filter(member__in=Member.objects.managed_by(request.user)), pk)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        was_active = entry.member.is_active
        try:
            reversal = simpanan.correct_entry(entry=entry, reason=form.cleaned_data["reason"], by=request.user,
                                              form_key=form.cleaned_data["form_key"])
        except simpanan.AlreadyRecorded as exc:
            return _already_recorded(request, exc)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Receipt %(number)s is corrected by %(correction)s.")
                             % {"number": entry.receipt_number, "correction": reversal.receipt_number})
            entry.member.refresh_from_db(fields=["status"])
            if was_active and entry.member.is_applicant:
                messages.info(request, _("%(name)s is an applicant (calon) again: the simpanan pokok is no longer fully paid.")
                              % {"name": entry.member.name})
            return redirect(reversal)
    return render(request, "koperasi/correction_form.html", {
        "form": form, "entry": entry, "back_to_applicant": simpanan.acceptance_resting_on(entry) is not None,
    })
