"""Applications to join (`Application`): what a resident sends from the public join page of
their kelurahan's cooperative, waiting in the officers' queue until accepted (a member is
registered from it), rejected or deleted by the retention command. `ApplicationQuerySet`
holds the scope (an officer's own kelurahan), the queue, the public limits' counts, the
dashboard's figures and what retention deletes."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan

from .member import Member

# The short code a resident follows their application with: 10 characters of an alphabet
# without look-alikes (no 0/O, 1/I/L), about 50 bits: not guessable, easy to read aloud.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10

# The version of the consent text the applicant ticked (templates/koperasi/includes/_consent.html).
# A changed text gets a new version; every application keeps the one it was given.
CONSENT_VERSION = "2025-10-v1"


def new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


class ApplicationQuerySet(models.QuerySet):
    def managed_by(self, user):
        """Applications of the kelurahan whose register `user` keeps (an officer's own; the
        admin's all). Reviewers read members, not applicants: none."""
        return self.filter(kelurahan__in=Kelurahan.objects.managed_by(user))

    def waiting(self):
        return self.filter(status=Application.Status.RECEIVED)

    def for_queue(self):
        """The queue: newest first, with the kelurahan and the member an accepted one became."""
        return self.select_related("kelurahan", "member").order_by("-received_at", "-pk")

    def with_matches(self):
        """Annotate what the queue flags within the application's own cooperative: the NIK
        already a member there, the KK already a household there, and other applications
        with the same NIK. Matches in other cooperatives are checked (audited, within the
        officer's look-up budget) only when an application is opened."""
        from .household import Household

        here = models.OuterRef("kelurahan_id")
        return self.annotate(
            nik_is_member=models.Exists(Member.objects.filter(nik=models.OuterRef("nik"), kelurahan_id=here)),
            kk_is_household=models.Exists(
                Household.objects.filter(no_kk=models.OuterRef("no_kk"), kelurahan_id=here).exclude(no_kk="")
            ),
            nik_applied_before=models.Exists(
                Application.objects.filter(nik=models.OuterRef("nik"), kelurahan_id=here)
                .exclude(pk=models.OuterRef("pk")).exclude(nik="")
            ),
        )

    def sent_since(self, since):
        return self.filter(received_at__gte=since)

    def due_for_deletion(self, now=None):
        """Applications retention deletes: not accepted within `KKMP_APPLICATION_RETENTION_DAYS`
        of arriving (waiting or rejected), and rejected ones
        `KKMP_REJECTED_APPLICATION_RETENTION_DAYS` after the decision."""
        now = now or timezone.now()
        old = now - timedelta(days=settings.KKMP_APPLICATION_RETENTION_DAYS)
        rejected = now - timedelta(days=settings.KKMP_REJECTED_APPLICATION_RETENTION_DAYS)
        return self.filter(
            Q(status=Application.Status.RECEIVED, received_at__lt=old)
            | Q(status=Application.Status.REJECTED, decided_at__lt=rejected)
            | Q(status=Application.Status.REJECTED, received_at__lt=old)
        )

    def figures(self, kelurahan, now=None):
        """{kelurahan id: {received, accepted, waiting_long}} for the dashboard, in one query:
        received in the last 7 days, accepted in the last 7 days, and waiting for more than 7."""
        now = now or timezone.now()
        week = now - timedelta(days=7)
        rows = (
            self.filter(kelurahan__in=kelurahan)
            .filter(Q(received_at__gte=week) | Q(decided_at__gte=week) | Q(status=Application.Status.RECEIVED))
            .values("kelurahan_id")
            .annotate(
                received=Count("pk", filter=Q(received_at__gte=week)),
                accepted=Count("pk", filter=Q(status=Application.Status.ACCEPTED, decided_at__gte=week)),
                waiting_long=Count("pk", filter=Q(status=Application.Status.RECEIVED, received_at__lt=week)),
            )
            .order_by()
        )
        return {row.pop("kelurahan_id"): row for row in rows}


class Application(models.Model):
    """A resident's application to join their kelurahan's cooperative, sent from its public join
    page. Holds only what the cooperative needs to register them (UU 27/2022): no birth date or
    sex (the NIK has them), no documents. Once accepted, its personal fields are emptied (the
    member register holds them); the consent, source and dates stay."""

    class Status(models.TextChoices):
        RECEIVED = "masuk", _("received")
        ACCEPTED = "diterima", _("accepted")
        REJECTED = "ditolak", _("not accepted")

    class Source(models.TextChoices):
        POSTER = "poster", _("poster (QR)")
        SHARED = "tautan", _("shared link")
        DIRECT = "langsung", _("direct")

    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.CASCADE, related_name="applications", verbose_name=_("cooperative (kelurahan)")
    )
    code = models.CharField(_("follow-up code"), max_length=CODE_LENGTH, unique=True, default=new_code, editable=False)
    name = models.CharField(_("name"), max_length=100, blank=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    no_kk = models.CharField(_("KK number"), max_length=16, blank=True)
    is_head_of_household = models.BooleanField(_("head of household (kepala keluarga)"), default=False)
    phone = models.CharField(_("phone (WhatsApp)"), max_length=16, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    source = models.CharField(_("came from"), max_length=10, choices=Source.choices, default=Source.DIRECT)
    consent_version = models.CharField(_("consent text version"), max_length=20)
    consented_at = models.DateTimeField(_("consent given at"))
    # A keyed hash of the sender's address (never the address itself): the per-address limit.
    address_key = models.CharField(_("sender key"), max_length=32, editable=False)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="applications", verbose_name=_("member")
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("application to join")
        verbose_name_plural = _("applications to join")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="masuk", decided_at__isnull=True) | (~Q(status="masuk") & Q(decided_at__isnull=False)),
                name="members_application_decided_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status="diterima", member__isnull=False) | (~Q(status="diterima") & Q(member__isnull=True)),
                name="members_application_member_when_accepted",
            ),
        ]
        indexes = [
            models.Index(fields=["kelurahan", "received_at"], name="members_application_kel_recv"),
            models.Index(fields=["address_key", "received_at"], name="members_application_sender"),
            models.Index(fields=["status", "received_at"], name="members_application_status"),
            models.Index(fields=["nik"], name="members_application_nik"),
        ]

    def __str__(self):
        return f"{self.code} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("members:application_detail", args=[self.pk])

    @property
    def is_waiting(self):
        return self.status == self.Status.RECEIVED

    @property
    def waited_days(self):
        return (timezone.now() - self.received_at).days

    @property
    def whatsapp_number(self):
        """The phone as wa.me wants it: country code, no plus, no leading 0 (`0812…` → `62812…`)."""
        phone = self.phone.lstrip("+")
        if phone.startswith("0"):
            phone = "62" + phone[1:]
        return phone
