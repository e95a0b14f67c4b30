"""Simpanan figures read from the members' balances (`Account`): who is in arrears with their
simpanan wajib, and the capital of each cooperative (pokok and wajib collected, members paid up
this month, share in arrears), as the member page, the member list, the arrears list and the
dashboard show them. One query each, the same rule in Python (`arrears_of`) and in SQL
(`with_wajib_due`).

Simpanan wajib is owed by active members from the month they became active (their joining
date), one month at a time; a month is due on the cooperative's due day. A member is in arrears
(menunggak) with `arrears_months` or more months due and unpaid; paid up this month when their
payments reach the current month (paying ahead counts).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from members.models import Member

from .models import Account, Cooperative, month_index, month_of

DEFAULTS = {f.name: f.default for f in Cooperative._meta.fields if f.name in ("wajib_due_day", "arrears_months")}


@dataclass
class Arrears:
    months_due: int
    months_paid: int
    next_month: date  # the first month not paid

    @property
    def unpaid(self):
        return max(self.months_due - self.months_paid, 0)

    @property
    def paid_through(self):
        return month_of(month_index(self.next_month) - 1) if self.months_paid else None


def arrears_of(member, cooperative, account, today=None):
    """The simpanan wajib position of one member (None unless active), with `in_arrears`."""
    if member.status != Member.Status.AKTIF:
        return None
    today = today or timezone.localdate()
    start = month_index(member.joined_on)
    result = Arrears(
        months_due=max(cooperative.wajib_due_month(today) - start + 1, 0),
        months_paid=account.wajib_months,
        next_month=month_of(start + account.wajib_months),
    )
    result.in_arrears = result.unpaid >= cooperative.arrears_months
    result.paid_up = start + account.wajib_months > month_index(today)
    return result


def _int(expression):
    return ExpressionWrapper(expression, output_field=IntegerField())


def _wajib_next():
    """The month index of a member's first month of simpanan wajib not paid: their joining
    month plus the months paid."""
    start = _int(ExtractYear("joined_on") * 12 + ExtractMonth("joined_on") - 1)
    return _int(start + Coalesce(F("account__wajib_months"), Value(0)))


def with_wajib_due(members, today=None):
    """Annotate members with `wajib_unpaid` (months due and not paid; 0 or less when none),
    `arrears_limit` (their cooperative's `arrears_months`) and `wajib_next` (month index of
    the first month not paid); meaningful for active members."""
    today = today or timezone.localdate()
    this_month = month_index(today)
    due_day = Coalesce(F("kelurahan__cooperative__wajib_due_day"), Value(DEFAULTS["wajib_due_day"]))
    due_month = Case(When(GreaterThan(due_day, Value(today.day)), then=Value(this_month - 1)), default=Value(this_month),
                     output_field=IntegerField())
    start = _int(ExtractYear("joined_on") * 12 + ExtractMonth("joined_on") - 1)
    paid = Coalesce(F("account__wajib_months"), Value(0))
    return members.annotate(
        wajib_next=_wajib_next(),
        wajib_unpaid=_int(due_month - start + 1 - paid),
        arrears_limit=Coalesce(F("kelurahan__cooperative__arrears_months"), Value(DEFAULTS["arrears_months"])),
    )


def in_arrears(members, today=None):
    """The active members of `members` who are in arrears (menunggak)."""
    return with_wajib_due(members.filter(status=Member.Status.AKTIF), today).filter(wajib_unpaid__gte=F("arrears_limit"))


def _pokok_unpaid():
    """Active members whose simpanan pokok is not fully paid (no balance yet, or no date it
    was fully paid): accepted, and still owing the one payment every member makes."""
    return Q(status=Member.Status.AKTIF) & (Q(account__isnull=True) | Q(account__pokok_paid_on__isnull=True))


def pokok_unpaid(members):
    """The members of `members` accepted (active) whose simpanan pokok is unpaid."""
    return members.filter(_pokok_unpaid())


def to_do(members, today=None):
    """What an officer has to do about `members` (one kelurahan's), in one query:
    `calon` (applicants waiting to be accepted), `pokok_unpaid` (accepted, simpanan pokok
    unpaid) and `in_arrears` (active members in arrears with simpanan wajib)."""
    counts = with_wajib_due(members, today).aggregate(
        calon=Count("pk", filter=Q(status=Member.Status.CALON)),
        pokok_unpaid=Count("pk", filter=_pokok_unpaid()),
        in_arrears=Count("pk", filter=Q(status=Member.Status.AKTIF, wajib_unpaid__gte=F("arrears_limit"))),
    )
    return {key: value or 0 for key, value in counts.items()}


def _of_kelurahan(queryset, kelurahan):
    return queryset if kelurahan is None else queryset.filter(kelurahan__in=kelurahan)


def simpanan_sums(kelurahan=None):
    """{kelurahan id: (pokok, wajib, sukarela)} summed over the balances of everyone registered
    there, also those who left (their simpanan is held until returned), for `kelurahan` (ids or
    a queryset; all when None). One query over `Account` (its kelurahan index covers it)."""
    rows = (_of_kelurahan(Account.objects.order_by(), kelurahan).values("kelurahan_id")
            .annotate(p=Sum("pokok"), w=Sum("wajib"), s=Sum("sukarela")).values_list("kelurahan_id", "p", "w", "s"))
    return {pk: (p or 0, w or 0, s or 0) for pk, p, w, s in rows}


def wajib_histogram(kelurahan=None):
    """{kelurahan id: {first month of simpanan wajib not paid (month index, as text): active
    members}}: what the dashboard keeps (`KelurahanCounter.wajib_next`) so that who is paid up
    and who is in arrears on any day is read without counting members (`wajib_position`). One
    query."""
    members = _of_kelurahan(Member.objects.filter(status=Member.Status.AKTIF).order_by(), kelurahan)
    members = members.annotate(wajib_next=_wajib_next())
    result = {}
    for pk, month, n in members.values("kelurahan_id", "wajib_next").annotate(n=Count("pk")).values_list(
            "kelurahan_id", "wajib_next", "n"):
        result.setdefault(pk, {})[str(month)] = n
    return result


def wajib_position(histogram, *, wajib_due_day=None, arrears_months=None, today=None):
    """(active members, paid up this month, in arrears) on `today` from a `wajib_histogram`
    row and the cooperative's rules (None: the defaults): the rule of `arrears_of` and
    `in_arrears`, as months unpaid = months due - months paid = due month + 1 - first month
    not paid."""
    today = today or timezone.localdate()
    due_day = wajib_due_day or DEFAULTS["wajib_due_day"]
    limit = arrears_months or DEFAULTS["arrears_months"]
    this_month = month_index(today)
    due_month = this_month - (1 if today.day < due_day else 0)
    aktif = paid_up = behind = 0
    for month, n in (histogram or {}).items():
        month = int(month)
        aktif += n
        paid_up += n if month > this_month else 0
        behind += n if due_month + 1 - month >= limit else 0
    return aktif, paid_up, behind


def arrears_members(kelurahan, today=None):
    """The arrears list of one cooperative on `today`: its members in arrears, in member-number
    order, each with `wajib_unpaid` and `wajib_next` (`with_wajib_due`). One query."""
    return in_arrears(Member.objects.filter(kelurahan=kelurahan), today).select_related("household").order_by("member_seq")


def as_of_month(month, today=None):
    """The day an arrears list for `month` (a date in it) is drawn up on: the month's last day,
    or today for the current month. None for a month still to come."""
    today = today or timezone.localdate()
    if month_index(month) > month_index(today):
        return None
    if month_index(month) == month_index(today):
        return today
    return month_of(month_index(month) + 1) - timedelta(days=1)
