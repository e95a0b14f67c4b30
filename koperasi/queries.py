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

from .models import Cooperative, month_index, month_of

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
        wajib_next=_int(start + paid),
        wajib_unpaid=_int(due_month - start + 1 - paid),
        arrears_limit=Coalesce(F("kelurahan__cooperative__arrears_months"), Value(DEFAULTS["arrears_months"])),
    )


def in_arrears(members, today=None):
    """The active members of `members` who are in arrears (menunggak)."""
    return with_wajib_due(members.filter(status=Member.Status.AKTIF), today).filter(wajib_unpaid__gte=F("arrears_limit"))


def capital(members, by="kelurahan_id", today=None):
    """{key: {pokok, wajib, sukarela, aktif, paid_up, in_arrears}} summed per `by` over
    `members` (everyone registered, also those who left: their simpanan is still held until
    returned). One query."""
    today = today or timezone.localdate()
    active = Q(status=Member.Status.AKTIF)
    rows = (
        with_wajib_due(members.order_by(), today).values(by).annotate(
            pokok=Coalesce(Sum("account__pokok"), 0), wajib=Coalesce(Sum("account__wajib"), 0),
            sukarela=Coalesce(Sum("account__sukarela"), 0),
            aktif=Count("pk", filter=active),
            paid_up=Count("pk", filter=active & Q(wajib_next__gt=month_index(today))),
            in_arrears=Count("pk", filter=active & Q(wajib_unpaid__gte=F("arrears_limit"))),
        )
    )
    return {row.pop(by): row for row in rows}


def total(figures):
    """The sum of several `capital` rows (a kecamatan, the city)."""
    keys = ("pokok", "wajib", "sukarela", "aktif", "paid_up", "in_arrears")
    return {k: sum(row.get(k, 0) for row in figures) for k in keys}


def arrears_percent(row):
    return round(100 * row["in_arrears"] / row["aktif"], 1) if row.get("aktif") else None


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
