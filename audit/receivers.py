"""Sign-ins, failed sign-ins and sign-outs recorded in the audit trail, from Django's auth signals."""

from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from .models import AuditEvent, record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(AuditEvent.Action.LOGIN, request=request, user=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditEvent.Action.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    record(AuditEvent.Action.LOGIN_FAILED, request=request, username=str(credentials.get("username", ""))[:150])
