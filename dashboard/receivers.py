"""The counters follow the layers below: a change to members, household counts or simpanan
refreshes the figures of those kelurahan, in the transaction that made it (`dashboard/counters.py`)."""

from django.dispatch import receiver

from kelurahan.signals import household_counts_changed
from koperasi.signals import simpanan_changed
from members.signals import members_changed

from . import counters


@receiver(members_changed, dispatch_uid="dashboard.members_changed")
def refresh_member_figures(sender, kelurahan_ids, **kwargs):
    counters.refresh(kelurahan_ids)


@receiver(household_counts_changed, dispatch_uid="dashboard.household_counts_changed")
def refresh_household_counts(sender, kelurahan_ids, **kwargs):
    counters.refresh_household_counts(kelurahan_ids)


@receiver(simpanan_changed, dispatch_uid="dashboard.simpanan_changed")
def refresh_capital(sender, kelurahan_ids, **kwargs):
    counters.refresh_capital(kelurahan_ids)
