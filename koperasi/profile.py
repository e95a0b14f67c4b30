"""The cooperative's profile, its rules and its pengurus and pengawas: the reads and writes
behind `koperasi.views.profile` (docs/cooperative.md).

Writes lock the kelurahan row first, as every simpanan write does (`koperasi.simpanan`): a
change of the rules cannot slip between the checks of a payment and its entry, and two
officers appointing a ketua at the same moment do not both succeed. Refusals are
`ValidationError`s keyed by field (the model's names: `member`, `role`, `term_start`,
`term_end`, or a rule's field); nothing is written then.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.models import AuditEvent
from kelurahan.models import Kelurahan
from members.models import Member

from .models import Account, Cooperative, Officer
from .simpanan import rupiah

# The audit action of a change to the cooperative's profile or rules.
COOPERATIVE_CHANGED = AuditEvent.Action.COOPERATIVE_CHANGED

# Roles one member holds at a time (a cooperative may have several wakil ketua, pengurus and
# pengawas, as the Kopdes/Kel Merah Putih structure has wakil ketua for business and for members).
SINGLE_HOLDER_ROLES = frozenset({
    Officer.Role.KETUA, Officer.Role.SEKRETARIS, Officer.Role.BENDAHARA, Officer.Role.KETUA_PENGAWAS,
})

ROLE_ORDER = {role: i for i, role in enumerate(Officer.Role.values)}


def _d(day):
    return day.strftime("%d-%m-%Y")


def cooperative_of(kelurahan):
    """The cooperative's row, or an unsaved one with the defaults: reading the profile writes
    nothing (a reviewer's visit creates no row)."""
    return Cooperative.objects.filter(kelurahan=kelurahan).select_related("kelurahan").first() or Cooperative(kelurahan=kelurahan)


def officers_of(kelurahan, today=None):
    """(current, past): the officers whose term has not ended by `today` (also those starting
    later), by role in the order of `Officer.Role`; and those whose term ended, latest first."""
    today = today or timezone.localdate()
    current, past = [], []
    for officer in Officer.objects.filter(kelurahan=kelurahan).select_related("member"):
        (past if officer.term_end and officer.term_end <= today else current).append(officer)
    current.sort(key=lambda o: (ROLE_ORDER.get(o.role, 99), o.term_start, o.pk))
    past.sort(key=lambda o: (o.term_end, o.term_start, o.pk), reverse=True)
    return current, past


# --- The rules (simpanan amounts, due day, activation, arrears, quorum) ----------------------

def pokok_is_fixed(kelurahan):
    """Whether the simpanan pokok amount is fixed: some member has paid (part of) it, under the
    amount in force. A new amount would make them owe more, or have paid too much, and an
    applicant half-way could never complete it (docs/cooperative.md)."""
    return Account.objects.filter(kelurahan=kelurahan, pokok__gt=0).exists()


def awaiting_confirmation(kelurahan):
    """Applicants whose simpanan pokok is fully paid, waiting for the pengurus' confirmation."""
    return Member.objects.filter(kelurahan=kelurahan, status=Member.Status.CALON, account__pokok_paid_on__isnull=False)


RULE_FIELDS = ("pokok_amount", "wajib_amount", "wajib_due_day", "activation", "arrears_months", "quorum")
PROFILE_FIELDS = ("legal_name", "ahu_number", "deed_date", "address")


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


@transaction.atomic
def update_cooperative(*, kelurahan, values):
    """Save the cooperative's profile and rules from `values` (field → value) and return
    (cooperative, changes), `changes` being {field: [before, after]} of what changed (empty:
    nothing to save). Refused, with the field's message: a new simpanan pokok amount once a
    member has paid simpanan pokok; activation made automatic while applicants who paid the
    simpanan pokok wait for confirmation."""
    Kelurahan.objects.select_for_update().filter(pk=kelurahan.pk).first()
    cooperative = (Cooperative.objects.select_for_update().filter(kelurahan=kelurahan).first()
                   or Cooperative(kelurahan=kelurahan))
    changes = {name: [_plain(getattr(cooperative, name)), _plain(value)] for name, value in values.items()
               if name in RULE_FIELDS + PROFILE_FIELDS and getattr(cooperative, name) != value}
    errors = {}
    if "pokok_amount" in changes and pokok_is_fixed(kelurahan):
        errors["pokok_amount"] = _(
            "The simpanan pokok cannot change: members have already paid it at %(amount)s. A new amount would leave "
            "them owing more (or having paid too much); it is fixed once the first member pays."
        ) % {"amount": rupiah(cooperative.pokok_amount)}
    if changes.get("activation", [None, None])[1] == Cooperative.Activation.AUTOMATIC:
        waiting = awaiting_confirmation(kelurahan).count()
        if waiting:
            errors["activation"] = ngettext(
                "%(count)d applicant has paid the simpanan pokok and waits for the pengurus' confirmation: confirm "
                "them (Accept as a member, on their page) before making activation automatic.",
                "%(count)d applicants have paid the simpanan pokok and wait for the pengurus' confirmation: confirm "
                "them (Accept as a member, on their page) before making activation automatic.",
                waiting,
            ) % {"count": waiting}
    if errors:
        raise ValidationError(errors)
    if not changes:
        return cooperative, changes
    for name in changes:
        setattr(cooperative, name, values[name])
    cooperative.full_clean()
    cooperative.save()
    return cooperative, changes


# --- Pengurus and pengawas ----------------------------------------------------------------

def _overlapping(officers, start, end):
    """Terms that share a day with [start, end) (an open term never ends)."""
    officers = officers.filter(Q(term_end__isnull=True) | Q(term_end__gt=start))
    return officers.filter(term_start__lt=end) if end else officers


def _check_free(officer):
    """Refuse `officer`'s term where it shares a day with another term of the same member (one
    office at a time), or of the same single-holder role (`SINGLE_HOLDER_ROLES`)."""
    terms = _overlapping(Officer.objects.filter(kelurahan_id=officer.kelurahan_id).exclude(pk=officer.pk)
                         .select_related("member"), officer.term_start, officer.term_end)
    held = terms.filter(member_id=officer.member_id).first()
    if held:
        raise ValidationError({"member": _(
            "%(name)s already serves as %(role)s from %(date)s: one office at a time. End that term first."
        ) % {"name": held.member.name, "role": held.get_role_display(), "date": _d(held.term_start)}})
    if officer.role in SINGLE_HOLDER_ROLES:
        holder = terms.filter(role=officer.role).first()
        if holder:
            raise ValidationError({"role": _(
                "The cooperative already has a %(role)s for that time: %(name)s, from %(date)s. End their term first, "
                "or start this one when theirs ends."
            ) % {"role": holder.get_role_display(), "name": holder.member.name, "date": _d(holder.term_start)}})


@transaction.atomic
def appoint(*, kelurahan, member, role, term_start, term_end=None):
    """Record `member` as `role` of the cooperative for a term and return the officer.
    Refused: a member of another cooperative, an applicant or a former member (the model's
    rules), a term ending before it starts or starting before the member registered, a member
    who already holds an office for part of that term, and a second holder of a single-holder
    role (`SINGLE_HOLDER_ROLES`) for part of that term."""
    Kelurahan.objects.select_for_update().filter(pk=kelurahan.pk).first()
    member = Member.objects.select_for_update().get(pk=member.pk)
    officer = Officer(kelurahan=kelurahan, member=member, role=role, term_start=term_start, term_end=term_end)
    officer.full_clean()
    registered = member.status_changes.order_by("on").values_list("on", flat=True).first() or member.joined_on
    if term_start < registered:
        raise ValidationError({"term_start": _(
            "The term cannot start before %(name)s registered as a member (%(date)s)."
        ) % {"name": member.name, "date": _d(registered)}})
    _check_free(officer)
    officer.save()
    return officer


@transaction.atomic
def end_term(*, officer, term_end, today=None):
    """End `officer`'s term on `term_end` (the first day they no longer serve). Also for a
    member who has left meanwhile. Refused: a term that has already ended, an end not after the
    start; and an end later than one already set (the term would grow) where that time is taken
    by another term of the member or of a single-holder role, or the member has left."""
    today = today or timezone.localdate()
    Kelurahan.objects.select_for_update().filter(pk=officer.kelurahan_id).first()
    officer = Officer.objects.select_for_update(of=("self",)).select_related("member").get(pk=officer.pk)
    if officer.term_end and officer.term_end <= today:
        raise ValidationError({"term_end": _("This term already ended on %(date)s.") % {"date": _d(officer.term_end)}})
    if term_end <= officer.term_start:
        raise ValidationError({"term_end": _(
            "The term must end after it starts (%(date)s)."
        ) % {"date": _d(officer.term_start)}})
    if officer.term_end and term_end > officer.term_end:
        # A later end lengthens the term: it must still be free, and served by an active member.
        if officer.member.status != Member.Status.AKTIF:
            raise ValidationError({"term_end": _(
                "%(name)s is no longer an active member: the term can end earlier, not later."
            ) % {"name": officer.member.name}})
        officer.term_end = term_end
        try:
            _check_free(officer)
        except ValidationError as exc:
            raise ValidationError(
                {"term_end": [message for messages in exc.message_dict.values() for message in messages]}
            ) from None
    officer.term_end = term_end
    officer.save(update_fields=["term_end"])
    return officer
