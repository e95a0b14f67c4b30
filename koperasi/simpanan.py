"""Writing the simpanan ledger: payments, withdrawals and corrections, each with its receipt
number, the member's balances rewritten from the ledger, and activation when the simpanan pokok
is fully paid. Every write locks the cooperative's kelurahan row (the receipt sequence) and then
the member's row (their balance), in that order, so two officers recording at once neither
share a receipt number nor spend the same balance twice.

Refusals are `ValidationError`s with a message for the officer; nothing is written then.

A form sends its one-time key (`form_key`) with the entry it records. The same key again (a
double tap, the browser's "resubmit" after a timeout) raises `AlreadyRecorded` with the first
entry, checked under the same locks, so that it is never written twice, even by two requests
at the same moment; the database's unique key is the last guard.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan
from members.models import Member
from members.services import accept_member, make_applicant_again

from .models import Account, Cooperative, Entry, Officer
from .signals import simpanan_changed

MAX_WAJIB_MONTHS = 24  # one payment pays for at most two years of simpanan wajib


class AlreadyRecorded(ValidationError):
    """The form with this one-time key was already saved: `entry` is what it recorded."""

    def __init__(self, entry):
        self.entry = entry
        super().__init__(
            _("This form was already saved: receipt %(number)s. Nothing was recorded a second time.")
            % {"number": entry.receipt_number},
            code="already_recorded",
        )


def rupiah(amount):
    """"Rp 1.250.000" (Indonesian thousands separator)."""
    return "Rp " + f"{amount:,}".replace(",", ".")


def balances(member):
    """The member's `Account` (unsaved zeros when nothing was ever paid)."""
    return Account.objects.filter(member_id=member.pk).first() or Account(member_id=member.pk, kelurahan_id=member.kelurahan_id)


def _lock(member):
    """Lock the cooperative's row and then the member's; return the member read afresh."""
    Kelurahan.objects.select_for_update().filter(pk=member.kelurahan_id).first()
    return Member.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=member.pk)


def _next_receipt(kelurahan):
    last = Entry.objects.filter(kelurahan=kelurahan).aggregate(last=Max("receipt_seq"))["last"]
    seq = (last or 0) + 1
    return seq, Entry.format_receipt(kelurahan, seq)


def refresh_account(member, cooperative=None):
    """Rewrite `member`'s balances from their ledger (call under the member's lock)."""
    cooperative = cooperative or Cooperative.of(member.kelurahan)
    sums = {kind: (amount or 0, months or 0) for kind, amount, months in
            Entry.objects.filter(member_id=member.pk).order_by().values("kind").annotate(a=Sum("amount"), m=Sum("months"))
            .values_list("kind", "a", "m")}
    account = balances(member)
    account.kelurahan_id = member.kelurahan_id
    account.pokok = sums.get(Entry.Kind.POKOK, (0, 0))[0]
    account.wajib, account.wajib_months = sums.get(Entry.Kind.WAJIB, (0, 0))
    account.sukarela = sums.get(Entry.Kind.SUKARELA, (0, 0))[0]
    account.pokok_paid_on = None
    if account.pokok >= cooperative.pokok_amount:
        account.pokok_paid_on = (
            Entry.objects.filter(member_id=member.pk, kind=Entry.Kind.POKOK).aggregate(on=Max("paid_on"))["on"]
        )
    account.save()
    pending = _batch.get()
    if pending is None:
        simpanan_changed.send(sender=Account, kelurahan_ids=[member.kelurahan_id])
    else:
        pending.add(member.kelurahan_id)
    return account


_batch = ContextVar("simpanan_batch", default=None)


@contextmanager
def batch():
    """Entries written inside send `simpanan_changed` once, at the end, for every kelurahan
    they touched, instead of once per entry: for an import writing thousands. Use it inside the
    transaction that writes them (the receivers must run in it)."""
    token = _batch.set(set())
    try:
        yield
        touched = _batch.get()
    finally:
        _batch.reset(token)
    if touched:
        simpanan_changed.send(sender=Account, kelurahan_ids=sorted(touched))


def _check_date(paid_on, member, today):
    if paid_on > today:
        raise ValidationError(_("The date cannot be in the future (today is %(today)s).") % {"today": today.strftime("%d-%m-%Y")}, code="future")
    registered = member.status_changes.order_by("on").values_list("on", flat=True).first() or member.joined_on
    if paid_on < registered:
        raise ValidationError(
            _("The date cannot be before the member registered (%(date)s).") % {"date": registered.strftime("%d-%m-%Y")},
            code="before_registration",
        )


def pokok_remaining(member, cooperative, account=None):
    account = account or balances(member)
    return max(cooperative.pokok_amount - account.pokok, 0)


def _check_payment(member, cooperative, account, kind, amount, months):
    if member.has_left:
        raise ValidationError(
            _("%(name)s left the cooperative on %(date)s: no payment is recorded for a former member.")
            % {"name": member.name, "date": member.left_on.strftime("%d-%m-%Y")},
            code="former_member",
        )
    if kind not in Entry.Kind.values:
        raise ValidationError(_("Choose simpanan pokok, wajib or sukarela."), code="kind")
    remaining = pokok_remaining(member, cooperative, account)
    if kind == Entry.Kind.POKOK and remaining == 0:
        raise ValidationError(
            _("The simpanan pokok of %(name)s is already fully paid (%(amount)s); it is paid only once.")
            % {"name": member.name, "amount": rupiah(account.pokok)},
            code="pokok_paid",
        )
    if kind == Entry.Kind.WAJIB:
        if member.status != Member.Status.AKTIF:
            raise ValidationError(
                _("Simpanan wajib is paid by active members; %(name)s is still an applicant (calon): "
                  "the simpanan pokok comes first.") % {"name": member.name},
                code="wajib_not_active",
            )
        if not 1 <= months <= MAX_WAJIB_MONTHS:
            raise ValidationError(
                _("One payment covers 1 to %(max)d months of simpanan wajib.") % {"max": MAX_WAJIB_MONTHS}, code="wajib_months"
            )
    if amount is None or amount <= 0:
        raise ValidationError(_("The amount must be more than Rp 0."), code="not_positive")
    if kind == Entry.Kind.POKOK:
        if amount > remaining:
            raise ValidationError(
                _("Only %(remaining)s of the simpanan pokok remains to be paid, not %(amount)s.")
                % {"remaining": rupiah(remaining), "amount": rupiah(amount)},
                code="pokok_too_much",
            )
    elif kind == Entry.Kind.WAJIB:
        if amount != months * cooperative.wajib_amount:
            raise ValidationError(
                _("%(months)d months of simpanan wajib are %(expected)s (%(each)s a month), not %(amount)s.")
                % {"months": months, "expected": rupiah(months * cooperative.wajib_amount),
                   "each": rupiah(cooperative.wajib_amount), "amount": rupiah(amount)},
                code="wajib_amount",
            )


@transaction.atomic
def record_payment(*, member, kind, paid_on: date, amount=None, months=1, method=Entry.Method.TUNAI, reference="",
                   by=None, today=None, import_batch_id=None, form_key=None) -> Entry:
    """Record a payment (setoran) of `member`'s simpanan `kind` and return its entry (the
    receipt). Simpanan wajib pays for `months` months at the cooperative's monthly amount
    (`amount` defaults to that); simpanan pokok defaults to what remains of it. Paying off
    the simpanan pokok activates an applicant when the cooperative's rule is automatic.
    A `form_key` already recorded raises `AlreadyRecorded`, before any other check."""
    today = today or timezone.localdate()
    member = _lock(member)
    _check_repeat(form_key, member=member, type=Entry.Type.PAYMENT, kind=kind)
    cooperative = Cooperative.of(member.kelurahan)
    account = balances(member)
    months = months if kind == Entry.Kind.WAJIB else 0
    if amount is None:
        amount = pokok_remaining(member, cooperative, account) if kind == Entry.Kind.POKOK else (
            months * cooperative.wajib_amount if kind == Entry.Kind.WAJIB else None)
    _check_payment(member, cooperative, account, kind, amount, months)
    _check_date(paid_on, member, today)
    if method not in Entry.Method.values:
        raise ValidationError(_("Choose cash, bank transfer or QRIS."), code="method")
    entry = _write(member, kind=kind, type=Entry.Type.PAYMENT, amount=amount, months=months, paid_on=paid_on,
                   method=method, reference=reference.strip()[:100], recorded_by=_user(by), import_batch_id=import_batch_id,
                   form_key=form_key)
    account = refresh_account(member, cooperative)
    if kind == Entry.Kind.POKOK and account.pokok_paid_on and member.is_applicant \
            and cooperative.activation == Cooperative.Activation.AUTOMATIC:
        activate(member, on=max(paid_on, member.joined_on), by=by, receipt=entry.receipt_number)
    return entry


@transaction.atomic
def record_withdrawal(*, member, amount, paid_on: date, method=Entry.Method.TUNAI, reference="", reason="", by=None,
                      today=None, form_key=None) -> Entry:
    """A withdrawal (penarikan) of simpanan sukarela, up to the balance (also by a member
    who has left: their savings are theirs)."""
    today = today or timezone.localdate()
    member = _lock(member)
    _check_repeat(form_key, member=member, type=Entry.Type.WITHDRAWAL, kind=Entry.Kind.SUKARELA)
    if amount is None or amount <= 0:
        raise ValidationError(_("The amount must be more than Rp 0."), code="not_positive")
    account = balances(member)
    if amount > account.sukarela:
        raise ValidationError(
            _("The simpanan sukarela balance is %(balance)s: %(amount)s cannot be withdrawn.")
            % {"balance": rupiah(account.sukarela), "amount": rupiah(amount)},
            code="balance",
        )
    _check_date(paid_on, member, today)
    entry = _write(member, kind=Entry.Kind.SUKARELA, type=Entry.Type.WITHDRAWAL, amount=-amount, months=0, paid_on=paid_on,
                   method=method, reference=reference.strip()[:100], reason=reason.strip()[:255], recorded_by=_user(by),
                   form_key=form_key)
    refresh_account(member)
    return entry


@transaction.atomic
def reverse_entry(*, entry, reason, by=None, today=None, form_key=None) -> Entry:
    """Correct a mistaken entry with its exact opposite (a new entry, dated today, with its
    own receipt number and the reason); the mistaken entry stays in the ledger. The member's
    status is the caller's: an officer's correction goes through `correct_entry`, an import's
    undo makes the applicants it activated applicants again itself."""
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    member = _lock(entry.member)
    entry = Entry.objects.get(pk=entry.pk)
    _check_repeat(form_key, member=member, type=Entry.Type.CORRECTION, kind=entry.kind, reverses=entry)
    if not reason:
        raise ValidationError(_("Give the reason for the correction."), code="reason")
    if entry.is_correction:
        raise ValidationError(_("A correction cannot itself be corrected: record the payment again instead."), code="correction")
    already = Entry.objects.filter(reverses=entry).values_list("receipt_number", flat=True).first()
    if already:
        raise ValidationError(
            _("Receipt %(number)s has already been corrected by %(correction)s.")
            % {"number": entry.receipt_number, "correction": already},
            code="already_reversed",
        )
    account = balances(member)
    if entry.kind == Entry.Kind.SUKARELA and account.sukarela - entry.amount < 0:
        raise ValidationError(
            _("The simpanan sukarela balance is %(balance)s: reversing this deposit of %(amount)s would make it negative; "
              "correct the withdrawal first.") % {"balance": rupiah(account.sukarela), "amount": rupiah(entry.amount)},
            code="balance",
        )
    correction = _write(member, kind=entry.kind, type=Entry.Type.CORRECTION, amount=-entry.amount, months=-entry.months,
                        paid_on=today, method=entry.method, reference=entry.receipt_number, reverses=entry,
                        reason=reason[:255], recorded_by=_user(by), form_key=form_key)
    refresh_account(member)
    return correction


@transaction.atomic
def correct_entry(*, entry, reason, by=None, today=None, form_key=None) -> Entry:
    """An officer's correction (koreksi) of a mistaken entry (`reverse_entry`), with the
    activation rule followed back: when the entry is a simpanan pokok that the member's
    acceptance rested on (`acceptance_resting_on`), the member is an applicant (calon) again
    from the correction's date, in the status history, in the same transaction. Refused,
    saying why, while something recorded since needs them active (simpanan wajib, an office)."""
    today = today or timezone.localdate()
    member = _lock(entry.member)
    entry = Entry.objects.get(pk=entry.pk)
    _check_repeat(form_key, member=member, type=Entry.Type.CORRECTION, kind=entry.kind, reverses=entry)
    acceptance = acceptance_resting_on(entry, member)
    if acceptance is not None:
        _check_may_become_applicant(member, today)
    correction = reverse_entry(entry=entry, reason=reason, by=by, today=today, form_key=form_key)
    if acceptance is not None and not balances(member).pokok_paid_on:
        # From the correction's day, which becomes their join date (an acceptance is never
        # dated before it, so the status history and the status agree).
        make_applicant_again(member=member, joined_on=today, on=today, by=by, reason=_(
            "Simpanan pokok corrected by %(correction)s: no longer fully paid."
        ) % {"correction": correction.receipt_number})
    return correction


def acceptance_resting_on(entry, member=None):
    """The status change that made `entry`'s member active, when it rests on `entry`: a
    simpanan pokok payment, not corrected yet, recorded before the member, then an applicant,
    was accepted with their simpanan pokok fully paid (automatically, or confirmed by the
    pengurus). None otherwise: an applicant accepted before paying stays active when their
    payment is corrected, as does a member registered as active."""
    if entry.kind != Entry.Kind.POKOK or entry.type != Entry.Type.PAYMENT or Entry.objects.filter(reverses=entry).exists():
        return None
    member = member or entry.member
    if member.status != Member.Status.AKTIF:
        return None
    acceptance = member.status_changes.order_by("-pk").first()
    if acceptance is None or acceptance.status != Member.Status.AKTIF or acceptance.recorded_at < entry.recorded_at:
        return None
    if not member.status_changes.filter(status=Member.Status.CALON, pk__lt=acceptance.pk).exists():
        return None
    paid = Entry.objects.filter(member_id=member.pk, kind=Entry.Kind.POKOK, recorded_at__lte=acceptance.recorded_at) \
        .aggregate(paid=Sum("amount"))["paid"] or 0
    return acceptance if paid >= Cooperative.of(member.kelurahan).pokok_amount else None


def _check_may_become_applicant(member, today):
    account = balances(member)
    if account.wajib > 0:
        raise ValidationError(
            _("Correcting this simpanan pokok makes %(name)s an applicant (calon) again, but %(amount)s of simpanan wajib "
              "has been paid since they became active, and an applicant pays none. Correct those payments first.")
            % {"name": member.name, "amount": rupiah(account.wajib)},
            code="wajib_since_acceptance",
        )
    if Officer.objects.filter(member=member).filter(Q(term_end__isnull=True) | Q(term_end__gt=today)).exists():
        raise ValidationError(
            _("Correcting this simpanan pokok makes %(name)s an applicant (calon) again, but they serve as pengurus or "
              "pengawas, which only an active member can. End their term first (the cooperative's page).")
            % {"name": member.name},
            code="serves",
        )


def _check_repeat(form_key, *, member, type, kind, reverses=None):
    """`AlreadyRecorded` when the form with `form_key` recorded its entry already (call under
    the member's lock, which the first request held until it committed)."""
    if form_key is None:
        return
    entry = Entry.objects.filter(form_key=form_key).first()
    if entry is None:
        return
    if (entry.member_id, entry.type, entry.kind, entry.reverses_id) != (member.pk, type, kind, getattr(reverses, "pk", None)):
        # Not the same form sent again (a key is new each time a form is shown): name nothing of it.
        raise ValidationError(_("This form is out of date: open it again from the member's page."), code="form_key_used")
    raise AlreadyRecorded(entry)


def _write(member, *, form_key=None, **fields):
    seq, number = _next_receipt(member.kelurahan)
    entry = Entry(member=member, kelurahan_id=member.kelurahan_id, receipt_seq=seq, receipt_number=number,
                  form_key=form_key, **fields)
    if form_key is None:
        entry.save()
        return entry
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # The same key, recorded meanwhile for a member of another cooperative (whose lock
        # we do not hold): the unique key refused it. Answer as for a repeat.
        _check_repeat(form_key, member=member, type=fields["type"], kind=fields["kind"], reverses=fields.get("reverses"))
        raise
    return entry


def activate(member, *, on, by=None, receipt=""):
    """An applicant whose simpanan pokok is paid becomes an active member on `on`."""
    reason = _("Simpanan pokok fully paid (receipt %(number)s).") % {"number": receipt} if receipt else _("Simpanan pokok fully paid.")
    return accept_member(member=member, accepted_on=on, reason=reason, by=by)


def may_confirm(member, cooperative=None, account=None):
    """Whether the pengurus may now confirm `member` as active: an applicant with the
    simpanan pokok paid, in a cooperative that confirms by hand."""
    cooperative = cooperative or Cooperative.of(member.kelurahan)
    account = account or balances(member)
    return member.is_applicant and cooperative.activation == Cooperative.Activation.CONFIRMED and bool(account.pokok_paid_on)


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None
