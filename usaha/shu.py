"""SHU (sisa hasil usaha) at year end: the year's result, its allocation by the cooperative's
rule, each member's share by their simpanan (jasa modal) and their purchases (jasa anggota), and
the payout once the RAT decided.

Every split is in whole rupiah by the largest remainder (`split`): the parts always add up to
exactly the amount split, so no rupiah is created or lost by rounding."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from koperasi import simpanan
from koperasi.models import Entry
from members.models import Member

from .models import MemberYear, ShuRule, ShuShare, ShuYear, UnitMonth


def split(amount, weights):
    """`amount` (whole rupiah, ≥ 0) in parts proportional to `weights` (integers ≥ 0): each
    part rounded down, and the rupiah left over given one each to the parts with the largest
    remainders (the earlier part first on a tie). The parts add up to `amount` exactly; all
    zero when the weights are."""
    weights = list(weights)
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("amount and weights must be non-negative")
    total = sum(weights)
    if total == 0 or amount == 0:
        return [0] * len(weights)
    parts = [amount * w // total for w in weights]
    left = amount - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def rule_of(kelurahan):
    rule, _created = ShuRule.objects.get_or_create(kelurahan=kelurahan)
    return rule


def allocate(result, rule):
    """{share name: rupiah} of a positive `result` by `rule`'s percentages (zeros otherwise)."""
    parts = split(max(result, 0), [getattr(rule, name) for name in ShuRule.SHARES])
    return dict(zip(ShuRule.SHARES, parts))


def margin_of(kelurahan, year):
    """The gross margin of the cooperative's units in `year`: turnover less the cost of goods
    sold, from the units' months."""
    sums = UnitMonth.objects.filter(kelurahan=kelurahan, month__year=year).aggregate(t=Sum("turnover"), c=Sum("cost"))
    return (sums["t"] or 0) - (sums["c"] or 0)


def bases(kelurahan, year):
    """[(member, simpanan at year end, purchases in the year)] of the members active now, in
    member number order: simpanan pokok and wajib paid up to 31 December, and what they bought
    from the units in the year (corrections taken off)."""
    end = date(year, 12, 31)
    members = list(Member.objects.filter(kelurahan=kelurahan, status=Member.Status.AKTIF).order_by("member_seq"))
    capital = dict(Entry.objects.filter(kelurahan=kelurahan, paid_on__lte=end, kind__in=[Entry.Kind.POKOK, Entry.Kind.WAJIB])
                   .order_by().values("member_id").annotate(s=Sum("amount")).values_list("member_id", "s"))
    bought = dict(MemberYear.objects.filter(kelurahan=kelurahan, year=year).order_by().values("member_id")
                  .annotate(s=Sum("amount")).values_list("member_id", "s"))
    return [(m, max(capital.get(m.pk, 0), 0), max(bought.get(m.pk, 0), 0)) for m in members]


@transaction.atomic
def calculate(*, kelurahan, year, other_costs=0):
    """Work out (again) the year's SHU and every member's share; refused once the RAT decided."""
    shu, _created = ShuYear.objects.select_for_update().get_or_create(kelurahan=kelurahan, year=year)
    if shu.decided_at:
        raise ValidationError(_("The RAT has decided the SHU of %(year)d: it is no longer calculated again.")
                              % {"year": year}, code="decided")
    shu.margin = margin_of(kelurahan, year)
    shu.other_costs = other_costs or 0
    shu.allocation = allocate(shu.result, rule_of(kelurahan))
    shu.save()
    rows = bases(kelurahan, year)
    modal = split(shu.allocation["jasa_modal"], [r[1] for r in rows])
    anggota = split(shu.allocation["jasa_anggota"], [r[2] for r in rows])
    shu.shares.all().delete()
    ShuShare.objects.bulk_create([
        ShuShare(shu=shu, member=member, simpanan=capital, purchases=bought, jasa_modal=m, jasa_anggota=a)
        for (member, capital, bought), m, a in zip(rows, modal, anggota)])
    return shu


@transaction.atomic
def decide(*, shu, meeting, payout):
    """Record the RAT's decision (its meeting, the payout chosen)."""
    shu = ShuYear.objects.select_for_update().get(pk=shu.pk)
    if shu.decided_at:
        raise ValidationError(_("The RAT's decision is already recorded."), code="decided")
    if meeting.kelurahan_id != shu.kelurahan_id:
        raise ValidationError(_("Choose a meeting of this cooperative."), code="meeting")
    if payout not in ShuYear.Payout.values:
        raise ValidationError(_("Choose how the SHU is paid."), code="payout")
    shu.meeting, shu.payout, shu.decided_at = meeting, payout, timezone.now()
    shu.save(update_fields=["meeting", "payout", "decided_at"])
    return shu


@transaction.atomic
def pay(*, shu, by=None, today=None):
    """Pay the members' shares as decided: each share credited to the member's simpanan
    sukarela (a ledger entry with its receipt, through `koperasi.simpanan`), or, for cash and
    for members who have left since, marked paid (the SHU slip is the receipt). Once."""
    today = today or timezone.localdate()
    shu = ShuYear.objects.select_for_update().get(pk=shu.pk)
    if not shu.decided_at:
        raise ValidationError(_("The SHU is paid once the RAT's decision is recorded."), code="not_decided")
    if shu.paid_at:
        raise ValidationError(_("The SHU of %(year)d is already paid.") % {"year": shu.year}, code="paid")
    with simpanan.batch():
        for share in shu.shares.select_related("member").exclude(jasa_modal=0, jasa_anggota=0):
            if shu.payout == ShuYear.Payout.SUKARELA and not share.member.has_left:
                entry = simpanan.record_payment(member=share.member, kind=Entry.Kind.SUKARELA, amount=share.total,
                                                paid_on=today, reference=f"SHU {shu.year}", by=by, today=today)
                ShuShare.objects.filter(pk=share.pk).update(paid_entry_id=entry.pk)
    shu.paid_at = timezone.now()
    shu.save(update_fields=["paid_at"])
    return shu
