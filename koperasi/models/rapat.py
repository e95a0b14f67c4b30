"""Members' meetings (Rapat Anggota: the annual RAT and others): who attended, whether the
quorum was reached, and the decisions with their votes. One member, one vote."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan
from members.models import Member


class MeetingQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(kelurahan__in=Kelurahan.objects.for_user(user))

    def annual_in(self, year):
        return self.filter(kind=Meeting.Kind.RAT, held_on__year=year)


class Meeting(models.Model):
    class Kind(models.TextChoices):
        RAT = "rat", _("annual members' meeting (RAT)")
        LUAR_BIASA = "luar_biasa", _("extraordinary members' meeting")
        LAIN = "lain", _("other members' meeting")

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("cooperative (kelurahan)"))
    kind = models.CharField(_("meeting"), max_length=12, choices=Kind.choices, default=Kind.RAT)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    agenda = models.TextField(_("agenda"))
    notes = models.TextField(_("minutes (notes)"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("members' meeting")
        verbose_name_plural = _("members' meetings")
        indexes = [models.Index(fields=["kelurahan", "held_on"], name="koperasi_meeting_kel_date")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on:%d-%m-%Y}"

    def get_absolute_url(self):
        return reverse("koperasi:meeting_detail", args=[self.pk])

    def eligible(self):
        """The members who could attend and vote: active members of the cooperative on the
        meeting date (read from the status history)."""
        return Member.objects.filter(kelurahan_id=self.kelurahan_id).active_on(self.held_on)


class Attendance(models.Model):
    class Via(models.TextChoices):
        TYPED = "ketik", _("member number typed")
        QR = "qr", _("member card QR scanned")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("meeting"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    via = models.CharField(_("recorded how"), max_length=5, choices=Via.choices, default=Via.TYPED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["meeting", "recorded_at", "pk"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="koperasi_attendance_once")]

    def __str__(self):
        return f"{self.meeting_id}: {self.member_id}"


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("meeting"))
    subject = models.CharField(_("decision"), max_length=255)
    text = models.TextField(_("details"), blank=True)
    votes_for = models.PositiveIntegerField(_("in favour"), default=0)
    votes_against = models.PositiveIntegerField(_("against"), default=0)
    abstentions = models.PositiveIntegerField(_("abstain"), default=0)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(condition=Q(votes_for__gte=0, votes_against__gte=0, abstentions__gte=0), name="koperasi_votes_not_negative"),
        ]

    def __str__(self):
        return self.subject

    @property
    def votes(self):
        return self.votes_for + self.votes_against + self.abstentions

    @property
    def carried(self):
        return self.votes_for > self.votes_against

    def clean(self):
        present = self.meeting.attendance.count() if self.meeting_id else None
        if present is not None and self.votes > present:
            raise ValidationError(
                _("%(votes)d votes were counted but only %(present)d members attended: one member, one vote.")
                % {"votes": self.votes, "present": present}
            )
