"""Searching the register by a whole NIK or KK number when the reader sees numbers masked.

A reviewer sees `6471••••••••0003`, the sex, the age and the kecamatan of every member; the
hidden digits are the district and the birth date, so a few hundred guesses typed into the
search would recover a full NIK. Each such search is therefore counted and recorded like a view
of personal data: one audit event per search (the number masked, how many members it found, or
that it was refused), and at most `KKMP_NUMBER_SEARCHES_PER_HOUR` / `_PER_DAY` per account.
Enumeration becomes slow (days for one NIK) and visible in the audit trail. The registration
form is such a look-up too (it tells an officer that a NIK is already a member of another KKMP):
each match there (`member_elsewhere`) counts against the same budget, and once it is spent the
form checks nothing until the budget allows again.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent, record
from kkmp.masking import mask


def searches_left(user, now=None):
    """How many whole-number searches `user` may still run now (0: refused)."""
    now = now or timezone.now()
    searches = AuditEvent.objects.filter(
        Q(action=AuditEvent.Action.NUMBER_SEARCH, detail__refused=False) | Q(action=AuditEvent.Action.MEMBER_ELSEWHERE),
        actor=user,
    )
    last_day = searches.filter(at__gte=now - timedelta(days=1))
    day_left = settings.KKMP_NUMBER_SEARCHES_PER_DAY - last_day.count()
    if day_left <= 0:
        return 0
    hour_left = settings.KKMP_NUMBER_SEARCHES_PER_HOUR - last_day.filter(at__gte=now - timedelta(hours=1)).count()
    return max(0, min(day_left, hour_left))


def masked_number_search(request, digits, members):
    """`members` narrowed to the whole number `digits` for a reader of masked numbers, counted
    and recorded; returns (members, refusal message or "")."""
    if searches_left(request.user) <= 0:
        record(AuditEvent.Action.NUMBER_SEARCH, request=request, number=mask(digits), refused=True)
        return members.none(), _(
            "You have reached the limit of searches by NIK or KK number (%(hour)d an hour, %(day)d a "
            "day). Search by name, or ask DKUMKMP's administrator."
        ) % {"hour": settings.KKMP_NUMBER_SEARCHES_PER_HOUR, "day": settings.KKMP_NUMBER_SEARCHES_PER_DAY}
    found = members.search(digits, whole_numbers_only=True)
    record(
        AuditEvent.Action.NUMBER_SEARCH, request=request, number=mask(digits), refused=False,
        found=found.order_by().count(),
    )
    return found, ""


def registration_limit_message():
    return _(
        "You have reached the limit of NIK and KK checks against other cooperatives (%(hour)d an "
        "hour, %(day)d a day): nothing was checked or saved. Try again later, or ask DKUMKMP's "
        "administrator."
    ) % {"hour": settings.KKMP_NUMBER_SEARCHES_PER_HOUR, "day": settings.KKMP_NUMBER_SEARCHES_PER_DAY}
