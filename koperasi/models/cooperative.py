"""A kelurahan's cooperative: its legal profile and the rules its articles (AD/ART) set for
savings, activation, arrears and the quorum of its meetings; and its pengurus and pengawas."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan
from members.models import Member


class Cooperative(models.Model):
    """One per kelurahan, created with its defaults the first time it is read (`of`)."""

    class Activation(models.TextChoices):
        AUTOMATIC = "otomatis", _("automatically when the simpanan pokok is fully paid")
        CONFIRMED = "konfirmasi", _("when the pengurus confirm it, after the simpanan pokok is paid")

    class Quorum(models.TextChoices):
        MORE_THAN_HALF = "1/2", _("more than half of the active members")
        TWO_THIRDS = "2/3", _("at least two thirds of the active members")
        THREE_QUARTERS = "3/4", _("at least three quarters of the active members")

    kelurahan = models.OneToOneField(
        Kelurahan, on_delete=models.CASCADE, primary_key=True, related_name="cooperative", verbose_name=_("kelurahan")
    )
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True,
        help_text=_("As on the deed, e.g. Koperasi Kelurahan Merah Putih Sepinggan. Empty: KKMP and the kelurahan's name."),
    )
    ahu_number = models.CharField(_("legal entity number (AHU)"), max_length=60, blank=True)
    deed_date = models.DateField(_("date of the deed"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    pokok_amount = models.PositiveIntegerField(
        _("simpanan pokok (Rp)"), default=50_000, validators=[MinValueValidator(1)],
        help_text=_("Paid once, on joining."),
    )
    wajib_amount = models.PositiveIntegerField(
        _("simpanan wajib a month (Rp)"), default=10_000, validators=[MinValueValidator(1)]
    )
    wajib_due_day = models.PositiveSmallIntegerField(
        _("simpanan wajib due on day"), default=10, validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Day of the month (1 to 28) by which the month's simpanan wajib is due."),
    )
    activation = models.CharField(
        _("an applicant becomes active"), max_length=10, choices=Activation.choices, default=Activation.AUTOMATIC
    )
    arrears_months = models.PositiveSmallIntegerField(
        _("in arrears after (months)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("A member with this many months of simpanan wajib unpaid is listed as in arrears (menunggak)."),
    )
    quorum = models.CharField(_("quorum of a members' meeting"), max_length=3, choices=Quorum.choices, default=Quorum.MORE_THAN_HALF)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        constraints = [
            models.CheckConstraint(condition=Q(pokok_amount__gte=1, wajib_amount__gte=1), name="koperasi_amounts_positive"),
            models.CheckConstraint(condition=Q(wajib_due_day__gte=1, wajib_due_day__lte=28), name="koperasi_due_day_1_28"),
            models.CheckConstraint(condition=Q(arrears_months__gte=1), name="koperasi_arrears_months_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.legal_name or f"{self.kelurahan.cooperative_abbreviation} {self.kelurahan.nama}"

    @classmethod
    def of(cls, kelurahan):
        """The cooperative of `kelurahan`, created with the defaults if it has no row yet."""
        cooperative, _created = cls.objects.select_related("kelurahan").get_or_create(kelurahan=kelurahan)
        return cooperative

    def quorum_needed(self, active):
        """How many of `active` members must attend for the meeting to decide."""
        if self.quorum == self.Quorum.TWO_THIRDS:
            return -(-2 * active // 3)
        if self.quorum == self.Quorum.THREE_QUARTERS:
            return -(-3 * active // 4)
        return active // 2 + 1

    def wajib_due_month(self, today):
        """The month index (`month_index`) of the latest month whose simpanan wajib is due by
        `today`: this month from its due day, the month before until then."""
        from .simpanan import month_index

        return month_index(today) - (1 if today.day < self.wajib_due_day else 0)


class Officer(models.Model):
    """A member serving as pengurus or pengawas of their cooperative, for a term."""

    class Role(models.TextChoices):
        KETUA = "ketua", _("chair (ketua)")
        WAKIL_KETUA = "wakil_ketua", _("vice chair")
        SEKRETARIS = "sekretaris", _("secretary (sekretaris)")
        BENDAHARA = "bendahara", _("treasurer (bendahara)")
        PENGURUS = "pengurus", _("board member (pengurus)")
        KETUA_PENGAWAS = "ketua_pengawas", _("chair of the supervisors")
        PENGAWAS = "pengawas", _("supervisor (pengawas)")

    SUPERVISORS = (Role.KETUA_PENGAWAS, Role.PENGAWAS)

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.CASCADE, related_name="cooperative_officers", verbose_name=_("kelurahan"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="offices", verbose_name=_("member"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"), null=True, blank=True)

    class Meta:
        ordering = ["kelurahan", "-term_start", "role", "pk"]
        verbose_name = _("pengurus or pengawas")
        verbose_name_plural = _("pengurus and pengawas")
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gt=models.F("term_start")), name="koperasi_officer_term_order"
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.member.name}"

    @property
    def is_supervisor(self):
        return self.role in self.SUPERVISORS

    def serves_on(self, day: date):
        return self.term_start <= day and (self.term_end is None or day < self.term_end)

    def clean(self):
        if self.term_end and self.term_start and self.term_end <= self.term_start:
            raise ValidationError({"term_end": _("The term must end after it starts.")})
        if self.member_id and self.kelurahan_id and self.member.kelurahan_id != self.kelurahan_id:
            raise ValidationError({"member": _("Pengurus and pengawas are members of this cooperative.")})
        if self.member_id and self.member.status != Member.Status.AKTIF:
            raise ValidationError({"member": _("Only an active member can serve as pengurus or pengawas.")})
