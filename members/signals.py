"""What the member register tells the layers above it (the dashboard keeps figures from these).

`members_changed` is sent, with `kelurahan_ids` (ids, None ignored), in the transaction that
registered, changed, accepted or ended members of those kelurahan (or moved one between them):
members/services.py, the member admin and the member import. Receivers run in that transaction.
"""

from django.dispatch import Signal

members_changed = Signal()
