"""Households (Kartu Keluarga, `household.py`) and the members of each kelurahan's cooperative
(`member.py`), all re-exported here: code and tests import them from `members.models`, and
the migrations name the validators `members.models.validate_rt_rw` and
`members.models.validate_phone`.
"""

from .application import CONSENT_VERSION, Application, ApplicationQuerySet
from .household import RT_RW_HELP, Household, HouseholdQuerySet, SavedHistory, validate_rt_rw
from .member import ELSEWHERE_MESSAGE, PHONE_RE, Member, MemberQuerySet, MemberStatusChange, validate_phone

__all__ = [
    "CONSENT_VERSION",
    "Application",
    "ApplicationQuerySet",
    "ELSEWHERE_MESSAGE",
    "PHONE_RE",
    "RT_RW_HELP",
    "Household",
    "HouseholdQuerySet",
    "Member",
    "MemberQuerySet",
    "MemberStatusChange",
    "SavedHistory",
    "validate_phone",
    "validate_rt_rw",
]
