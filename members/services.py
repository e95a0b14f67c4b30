"""Writes that touch several models or must be atomic."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kelurahan.models import Kelurahan
from kkmp.access import is_admin

from .models import Household, Member, MemberStatusChange
from .signals import members_changed


def link_household(*, kelurahan: Kelurahan, no_kk: str, head: Member | None = None) -> Household:
    """The household with `no_kk`, created in `kelurahan` if it is new.

    When `head` is the kepala keluarga and the household has no head recorded yet, the head's
    name and NIK are recorded on it, if the household is in `kelurahan` (an officer does not
    write into another kelurahan's household list; its imports will).
    """
    for attempt in (1, 2):
        household = Household.objects.filter(no_kk=no_kk).first()
        changed = household is None
        if household is None:
            household = Household(no_kk=no_kk, kelurahan=kelurahan)
        if head is not None and not household.head_nik and household.kelurahan_id == kelurahan.pk:
            household.head_name, household.head_nik = head.name, head.nik
            changed = True
        if not changed:
            return household
        # The KK's uniqueness is the database's to enforce: another officer may create the
        # same KK between our look-up and our save; then the second attempt links theirs.
        household.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                household.save()
            return household
        except IntegrityError:
            if attempt == 2:
                raise


# Of another kelurahan's household the officer learns only that it is not theirs: not its
# kelurahan, not its head (the match is audited and counts as a look-up, as `MemberElsewhere`).
HOUSEHOLD_ELSEWHERE_MESSAGE = gettext_lazy(
    "This KK number is a household of another kelurahan: a member joins with a KK of their cooperative's "
    "kelurahan. If the family has moved here, DKUMKMP's administrator moves the household first."
)


def may_link_elsewhere(user) -> bool:
    """Whether `user` may link a member to a household of another kelurahan than the member's:
    only the administrator, who also moves households (in the admin). A write with no user (a
    command, the demo data) is the administrator's own."""
    return user is None or is_admin(user)


def _check_household_kelurahan(member, by, linked_before=None):
    """A member joins with a household of their cooperative's kelurahan (`may_link_elsewhere`).
    The household they were linked to before stays (an admin may have linked it)."""
    household = member.household
    if (household is None or household.pk == linked_before or household.kelurahan_id == member.kelurahan_id
            or may_link_elsewhere(by)):
        return
    if Kelurahan.objects.managed_by(by).filter(pk=household.kelurahan_id).exists():
        raise ValidationError(HOUSEHOLD_ELSEWHERE_MESSAGE, code="household_elsewhere")
    raise MemberElsewhere(HOUSEHOLD_ELSEWHERE_MESSAGE, kind="no_kk", other=household)


@transaction.atomic
def register_member(
    *,
    kelurahan: Kelurahan,
    nik: str,
    name: str,
    joined_on: date,
    no_kk: str = "",
    is_head_of_household: bool = False,
    sex: str = "",
    birth_date: date | None = None,
    status: str = Member.Status.AKTIF,
    reason: str = "",
    by=None,
    **details,
) -> Member:
    """Register a member of `kelurahan`'s cooperative and give them the next member number.

    `status` is aktif (accepted at once) or calon (an applicant, accepted later with
    `accept_member`); `joined_on` is the date of that first status. `details` are the other
    registration fields (phone, addresses...).

    The kelurahan row is locked while the number is chosen, so two officers registering at
    once get consecutive numbers (on PostgreSQL; SQLite serialises writes anyway). A KK of
    another kelurahan's household is refused unless `by` is the administrator
    (`may_link_elsewhere`), also when that household was created a moment ago.
    """
    if status not in Member.CURRENT:
        raise ValueError(f"a member is registered as calon or aktif, not {status}")
    Kelurahan.objects.select_for_update().filter(pk=kelurahan.pk).first()
    last = Member.objects.filter(kelurahan=kelurahan).aggregate(last=Max("member_seq"))["last"]
    seq = (last or 0) + 1
    member = Member(
        kelurahan=kelurahan,
        nik=nik,
        name=name,
        sex=sex,
        birth_date=birth_date,
        is_head_of_household=is_head_of_household,
        joined_on=joined_on,
        status=status,
        member_seq=seq,
        member_number=Member.format_number(kelurahan, seq),
        **details,
    )
    member.full_clean(exclude=["household"])
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                if no_kk:
                    member.household = link_household(
                        kelurahan=kelurahan, no_kk=no_kk, head=member if is_head_of_household else None
                    )
                    _check_household_kelurahan(member, by)
                _check_single_head(member, reader=_user_or_none(by))
                member.save()
                _record_status(member, status, joined_on, reason, by)
            members_changed.send(sender=Member, kelurahan_ids=[member.kelurahan_id])
            return member
        except IntegrityError:
            # Another officer saved the same NIK a moment ago (the check above ran before their
            # transaction committed): refused with the usual message naming the kelurahan.
            member.validate_unique()
            if attempt == 2:
                raise


class EditConflict(ValidationError):
    """The member was saved by someone else after the editor opened the form."""

    def __init__(self, current):
        self.current = current
        super().__init__(_("Someone else saved this member while you were editing."), code="edit_conflict")


def version_of(member: Member) -> str:
    """What an edit form carries to detect a concurrent change (`update_member(version=)`)."""
    return member.updated_at.isoformat() if member.updated_at else ""


@transaction.atomic
def update_member(*, member: Member, no_kk: str = "", version: str | None = None, by=None, **changes) -> Member:
    """Change a member's details and, when the KK number changes, their household link.

    With `version` (from `version_of()` when the form was opened), the change is refused with
    `EditConflict` if someone saved the member since: no silent lost update."""
    if version is not None:
        current = Member.objects.select_for_update(of=("self",)).select_related("household").get(pk=member.pk)
        if version_of(current) != version:
            raise EditConflict(current)
    was_in, joined_before = Member.objects.filter(pk=member.pk).values_list("kelurahan_id", "joined_on").get()
    for name, value in changes.items():
        setattr(member, name, value)
    member.full_clean(exclude=["household"])
    if member.joined_on != joined_before:
        _move_joining_date(member, joined_before)
    current = member.household.no_kk if member.household_id else ""
    linked_before = member.household_id
    if no_kk != current or (no_kk and member.is_head_of_household):
        member.household = (
            link_household(
                kelurahan=member.kelurahan,
                no_kk=no_kk,
                head=member if member.is_head_of_household else None,
            )
            if no_kk
            else None
        )
        _check_household_kelurahan(member, by, linked_before)
    _check_single_head(member, reader=_user_or_none(by))
    member.save()
    members_changed.send(sender=Member, kelurahan_ids=[was_in, member.kelurahan_id])
    return member


class MemberElsewhere(ValidationError):
    """A check ran into a member of a cooperative the user may not read: the message says only
    that there is one (`ELSEWHERE_MESSAGE`); `kind` and `other` are for the audit trail."""

    def __init__(self, message, *, kind, other):
        self.kind, self.other = kind, other
        super().__init__(message, code="member_elsewhere")


def _check_single_head(member, reader=None):
    """A KK has one kepala keluarga: a second current member marked head is refused. The first
    one's member number is named only to a `reader` who may read that member (None: anyone)."""
    if not (member.is_head_of_household and member.household_id):
        return
    other = (
        Member.objects.filter(household_id=member.household_id, is_head_of_household=True, status__in=Member.CURRENT)
        .exclude(pk=member.pk).first()
    )
    if other is None:
        return
    if reader is not None and not Member.objects.for_user(reader).filter(pk=other.pk).exists():
        raise MemberElsewhere(
            _("This KK already has its head (kepala keluarga) among the members of another KKMP; "
              "untick \"head of household\", or contact DKUMKMP."),
            kind="head_of_household", other=other,
        )
    raise ValidationError(
        _("This KK already has its head (kepala keluarga) among the members: member %(number)s. "
          "Untick \"head of household\", or correct that member first.") % {"number": other.member_number},
        code="second_head",
    )


def _move_joining_date(member, joined_before):
    """A corrected join date moves the status-history entry that recorded the joining (the
    application for an applicant, the acceptance otherwise), so that `active_on()`, the trend
    and the dashboard agree. Not before an accepted member's application date."""
    joined_as = Member.Status.CALON if member.status == Member.Status.CALON else Member.Status.AKTIF
    entry = member.status_changes.filter(status=joined_as, on=joined_before).order_by("-pk").first()
    applied = member.status_changes.filter(status=Member.Status.CALON).order_by("on").first()
    if joined_as == Member.Status.AKTIF and applied and member.joined_on < applied.on:
        raise ValidationError(
            _("The join date cannot be before the application date (%(date)s).")
            % {"date": applied.on.strftime("%d-%m-%Y")},
            code="before_application",
        )
    if entry is not None:
        entry.on = member.joined_on
        entry.save(update_fields=["on"])


def _record_status(member, status, on, reason, by):
    MemberStatusChange.objects.create(
        member=member, status=status, on=on, reason=reason[:255], recorded_by=_user_or_none(by)
    )


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@transaction.atomic
def accept_member(*, member: Member, accepted_on: date, reason: str = "", by=None) -> Member:
    """An applicant (calon) becomes an active member on `accepted_on`, which becomes their
    joining date (the application date stays in the status history)."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status != Member.Status.CALON:
        raise ValidationError(_("Only an applicant (calon) can be accepted."), code="not_applicant")
    applied = member.joined_on
    if accepted_on < applied:
        raise ValidationError(
            _("The acceptance date cannot be before the application date (%(date)s).")
            % {"date": applied.strftime("%d-%m-%Y")},
            code="before_application",
        )
    member.status = Member.Status.AKTIF
    member.joined_on = accepted_on
    member.full_clean(exclude=["household"])
    member.save(update_fields=["status", "joined_on", "updated_at"])
    _record_status(member, Member.Status.AKTIF, accepted_on, reason, by)
    members_changed.send(sender=Member, kelurahan_ids=[member.kelurahan_id])
    return member


def make_applicant_again(*, member: Member, joined_on: date, on: date, reason: str, by=None, notify=True) -> Member:
    """An active member becomes an applicant (calon) again, from `on` in the status history,
    with `joined_on` their join date: an acceptance that rested on something undone (a
    simpanan pokok corrected, a payments import undone). The acceptance stays in the history,
    which is append-only. `notify=False` leaves `members_changed` to the caller (once for a
    batch). The caller holds the member's lock."""
    member.status = Member.Status.CALON
    member.joined_on = joined_on
    member.save(update_fields=["status", "joined_on", "updated_at"])
    _record_status(member, Member.Status.CALON, on, reason, by)
    if notify:
        members_changed.send(sender=Member, kelurahan_ids=[member.kelurahan_id])
    return member


@transaction.atomic
def record_leaving(*, member: Member, status: str, left_on: date, reason: str = "", by=None) -> Member:
    """Record that a member (or an applicant) resigned, died or was expelled; the member is
    kept, and the change is added to the status history."""
    current = Member.objects.select_for_update().get(pk=member.pk)
    if current.has_left:
        raise ValidationError(_("This member has already left."), code="already_left")
    if status in Member.CURRENT:
        raise ValidationError(_("Choose resigned, deceased or expelled."), code="invalid_status")
    member.status = status
    member.left_on = left_on
    member.full_clean()
    member.save(update_fields=["status", "left_on", "updated_at"])
    _record_status(member, status, left_on, reason, by)
    members_changed.send(sender=Member, kelurahan_ids=[member.kelurahan_id])
    return member


ROLE_PERMISSIONS = {
    # Officers (pengurus) keep the register of their own kelurahan.
    "Pengurus KKMP": [
        "members.view_member",
        "members.add_member",
        "members.change_member",
        "members.view_household",
        "members.add_household",
        "members.change_household",
    ],
    # DKUMKMP reviewers read every kelurahan and change nothing.
    "Peninjau DKUMKMP": [
        "members.view_all_kelurahan",
        "members.view_member",
        "members.view_household",
        "kelurahan.view_householdcount",
        "kelurahan.view_kelurahan",
    ],
}
OFFICER_GROUP, REVIEWER_GROUP = ROLE_PERMISSIONS


@transaction.atomic
def ensure_roles():
    """Create or update the two role groups with exactly their permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    groups = {}
    for name, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = [
            Permission.objects.get(content_type__app_label=code.split(".")[0], codename=code.split(".")[1])
            for code in codes
        ]
        group.permissions.set(perms)
        groups[name] = group
    return groups
