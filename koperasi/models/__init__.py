"""The cooperative (profile and rules), the simpanan ledger and the Rapat Anggota."""

from .cooperative import Cooperative, Officer
from .rapat import Attendance, Decision, Meeting
from .simpanan import Account, Entry, month_index, month_of

__all__ = ["Account", "Attendance", "Cooperative", "Decision", "Entry", "Meeting", "Officer", "month_index", "month_of"]
