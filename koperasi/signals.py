"""What the simpanan ledger tells the layers above it (the dashboard keeps figures from it).

`simpanan_changed` is sent, with `kelurahan_ids`, in the transaction that added an entry to a
member's ledger (payment, withdrawal, correction) and rewrote their balances
(`koperasi.simpanan.refresh_account`). Receivers run in that transaction.
"""

from django.dispatch import Signal

simpanan_changed = Signal()
