"""What the region tree tells the layers above it (the dashboard keeps figures from these).

`household_counts_changed` is sent, with `kelurahan_ids` (ids, None ignored), in the transaction
that wrote household counts of those kelurahan: `HouseholdCount.save()` and `delete()`, the
admin's bulk delete, the household count import and its undo. Receivers run in that transaction.
"""

from django.dispatch import Signal

household_counts_changed = Signal()
