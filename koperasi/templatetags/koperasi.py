"""`{% simpanan_panel member can_change %}`: the member page's savings section (balances, the
buttons that record a payment, the ledger), kept with the cooperative app that owns it."""

from django import template

from ..models import Cooperative, Entry
from ..queries import arrears_of
from ..simpanan import balances, may_confirm, pokok_remaining, rupiah

register = template.Library()


@register.filter(name="rupiah")
def rupiah_filter(amount):
    return rupiah(amount or 0)


@register.inclusion_tag("koperasi/_simpanan_panel.html")
def simpanan_panel(member, can_change):
    cooperative = Cooperative.of(member.kelurahan)
    account = balances(member)
    return {
        "member": member,
        "can_change": can_change,
        "cooperative": cooperative,
        "account": account,
        "remaining": pokok_remaining(member, cooperative, account),
        "arrears": arrears_of(member, cooperative, account),
        "may_confirm": can_change and may_confirm(member, cooperative, account),
        "entries": Entry.objects.filter(member=member).select_related("recorded_by").order_by("-paid_on", "-pk")[:50],
    }
