"""Passwords: the rules for choosing one, and the lockout after guessing one."""

import re

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext as _

CONTEXT_WORDS = (
    "kkmp", "koperasi", "kelurahan", "merahputih", "merah", "putih", "balikpapan", "kaltim",
    "dkumkmp", "anggota", "pengurus", "admin", "password", "sandi", "rahasia", "indonesia",
)  # fmt: skip


class ContextPasswordValidator:
    """Refuse passwords made of the words everyone here would guess first (`kkmpbalikpapan`,
    `Balikpapan2025!`): what is left after removing them, digits and symbols must be 4+ letters."""

    def validate(self, password, user=None):
        rest = re.sub(r"[^a-z]", "", password.lower())
        for word in sorted(CONTEXT_WORDS, key=len, reverse=True):
            rest = rest.replace(word, "")
        if len(rest) < 4:
            raise ValidationError(
                _("This password is built from words anyone would guess here (KKMP, Balikpapan, koperasi...)."),
                code="password_context",
            )

    def get_help_text(self):
        return _("Your password cannot be made of words such as KKMP, Balikpapan or koperasi plus numbers.")


# --- Sign-in lockout (django-axes) ------------------------------------------------------------

class SignInLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with two limits over the cool-off period:

    - AXES_FAILURE_LIMIT failures for one user name from one address (AXES_LOCKOUT_PARAMETERS
      `[["username", "ip_address"]]`) block that user name from that address only: the same
      officer still signs in from anywhere else, so guessing cannot lock them out;
    - KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the user names,
      block that address (one machine trying a password on many names); 0 turns it off.
      Higher than the first: a kelurahan office or a warnet shares one address.

    It also leaves on the request what the sign-in page and the lockout page show
    (`kkmp_signin_attempts_left`, `kkmp_locked_by`)."""

    def address_failures(self, request):
        if not getattr(settings, "KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT", 0) or not request.axes_ip_address:
            return 0
        attempts = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
        )
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def get_failures(self, request, credentials=None):
        failures = super().get_failures(request, credentials)  # this user name from this address
        limit = get_failure_limit(request, credentials)
        request.kkmp_locked_by = "account" if failures >= limit else None
        address_limit = getattr(settings, "KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT", 0)
        if failures < limit and address_limit and self.address_failures(request) >= address_limit:
            request.kkmp_locked_by = "address"
            return limit
        return failures

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is not None and get_client_username(request, credentials):
            failures = getattr(request, "axes_failures_since_start", 0) or 0
            request.kkmp_signin_attempts_left = max(get_failure_limit(request, credentials) - failures, 0)
            request.kkmp_signin_cooloff_minutes = cooloff_minutes(request)


def cooloff_minutes(request=None):
    """AXES_COOLOFF_TIME in whole minutes (at least 1), for the sign-in and lockout pages."""
    cool_off = get_cool_off(request)
    return max(round(cool_off.total_seconds() / 60), 1) if cool_off else None
