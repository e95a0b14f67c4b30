"""Applications to join: storing one from the public join page within its limits, the officer's
decisions (accept: a member is registered from it; reject with a reason), the applicant's own
withdrawal, and retention (`purge_applications`).

The public side never looks anything up: whatever NIK or KK is typed, storing an application
does the same work and gets the same answer, so the join page cannot tell anyone that a number
is a member, an applicant or registered elsewhere (docs/applications.md). Matches are checked
for the officer only, when they open the application.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from audit.models import AuditEvent, record
from kelurahan.models import Kelurahan
from kkmp.middleware import client_ip

from .models import CONSENT_VERSION, Application


class LimitReached(Exception):
    """Too many applications from one address, or for one cooperative: nothing is stored;
    `message` says which, in the user's language, naming no application."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)


def address_key(request):
    """A keyed hash of the client's address (`kkmp.middleware.client_ip`, behind the trusted
    proxy as the lockout reads it): the per-address limit without keeping the address."""
    ip = client_ip(request) or "-"
    return salted_hmac("kkmp.join", ip, algorithm="sha256").hexdigest()[:32]


def attempt_allowed(request, what="join"):
    """Count one post of the join form (or a status look-up) from this address in the cache;
    False past `KKMP_JOIN_ATTEMPTS_PER_HOUR` in the current hour. Cheap (no database), so a
    flood of invalid posts is refused before any form is checked."""
    key = f"kkmp:{what}:{address_key(request)}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3700)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=3700)
        count = 1
    return count <= settings.KKMP_JOIN_ATTEMPTS_PER_HOUR


def address_limit_message():
    return _(
        "Many applications have been sent from this connection today. Please try again tomorrow, or "
        "apply at the kelurahan office."
    )


def cooperative_limit_message():
    return _(
        "This cooperative has received many applications today. Please try again tomorrow, or apply at "
        "the kelurahan office."
    )


def _check_limits(kelurahan, key, now):
    """Refuse (`LimitReached`) past the per-address and per-cooperative limits, counted from the
    stored applications (exact across server processes; three index look-ups)."""
    day, hour = now - timedelta(days=1), now - timedelta(hours=1)
    from_address = Application.objects.filter(address_key=key, received_at__gte=day)
    if (
        from_address.count() >= settings.KKMP_APPLICATIONS_PER_ADDRESS_PER_DAY
        or from_address.filter(received_at__gte=hour).count() >= settings.KKMP_APPLICATIONS_PER_ADDRESS_PER_HOUR
    ):
        raise LimitReached(address_limit_message())
    if (
        Application.objects.filter(kelurahan=kelurahan, received_at__gte=day).count()
        >= settings.KKMP_APPLICATIONS_PER_COOPERATIVE_PER_DAY
    ):
        raise LimitReached(cooperative_limit_message())


@transaction.atomic
def submit_application(*, request, kelurahan, data, source) -> Application:
    """Store an application to `kelurahan`'s cooperative from the checked public form `data`,
    with the consent given now in the current text's version. The kelurahan row is locked
    while the limits are counted, so parallel posts cannot pass them together."""
    now = timezone.now()
    key = address_key(request)
    Kelurahan.objects.select_for_update().filter(pk=kelurahan.pk).first()
    _check_limits(kelurahan, key, now)
    application = Application(
        kelurahan=kelurahan,
        name=data["name"],
        nik=data["nik"],
        no_kk=data["no_kk"],
        is_head_of_household=data["is_head_of_household"],
        phone=data["phone"],
        rt=data["rt"],
        address=data["address"],
        source=source,
        consent_version=CONSENT_VERSION,
        consented_at=now,
        address_key=key,
        received_at=now,
    )
    application.full_clean()
    application.save()
    return application


PERSONAL_FIELDS = ("name", "nik", "no_kk", "phone", "rt", "address")


@transaction.atomic
def mark_accepted(*, application: Application, member, by) -> Application:
    """The application became `member` (registered by the officer's form): accepted now. Its
    personal fields are emptied, the member register holds them; consent, source, dates stay."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_waiting:
        raise ValueError("only a waiting application is accepted")
    application.status = Application.Status.ACCEPTED
    application.member = member
    application.decided_at = timezone.now()
    application.decided_by = by
    for name in PERSONAL_FIELDS:
        setattr(application, name, "")
    application.is_head_of_household = False
    application.save()
    return application


@transaction.atomic
def reject_application(*, application: Application, reason: str, by) -> Application:
    """Not accepted, with the officer's reason (kept until retention deletes the application,
    `KKMP_REJECTED_APPLICATION_RETENTION_DAYS` later; never shown to the public)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_waiting:
        raise ValueError("only a waiting application is rejected")
    application.status = Application.Status.REJECTED
    application.decided_at = timezone.now()
    application.decided_by = by
    application.reason = reason
    application.save()
    return application


def withdraw_application(*, request, code) -> bool:
    """The applicant withdraws a waiting application with its code: it is deleted (and the
    withdrawal audited, without the code or anything personal). False if there is none."""
    deleted, _by_model = Application.objects.filter(code=code, status=Application.Status.RECEIVED).delete()
    if deleted:
        record(AuditEvent.Action.APPLICANT_WITHDREW, request=request, count=deleted)
    return bool(deleted)


def purge_applications(now=None) -> int:
    """Delete the applications retention no longer allows (`ApplicationQuerySet.due_for_deletion`);
    the count is an audit event. Returns it."""
    due = Application.objects.due_for_deletion(now)
    waiting = due.filter(status=Application.Status.RECEIVED).count()
    deleted, _by_model = due.delete()
    record(
        AuditEvent.Action.APPLICATIONS_PURGED, count=deleted, waiting=waiting, rejected=deleted - waiting,
        retention_days=settings.KKMP_APPLICATION_RETENTION_DAYS,
        rejected_retention_days=settings.KKMP_REJECTED_APPLICATION_RETENTION_DAYS,
    )
    return deleted
