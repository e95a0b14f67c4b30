"""Households (Kartu Keluarga) and the members of each kelurahan's cooperative."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan

from .identity import validate_nik, validate_no_kk

RT_RW_HELP = _("Up to three digits; 7 and 007 are the same RT.")


def normalise_rt_rw(value):
    """RT/RW numbers keep their meaning whether written `7`, `07` or `007`: store `007`."""
    if isinstance(value, str) and len(value) == 3 and value.isdigit() and value != "000":
        return value  # already normalised: the common case in large imports
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value if value is not None else "").strip()
    if value.endswith(".0"):  # a number cell read from a spreadsheet
        value = value[:-2]
    if value.isdigit() and int(value) > 0 and len(value.lstrip("0")) <= 3:
        return value.lstrip("0").zfill(3)
    return value


def validate_rt_rw(value):
    if value and not (value.isdigit() and len(value) == 3 and value != "000"):
        raise ValidationError(
            _("RT/RW must be a number from 1 to 999 (given: %(value)s)."),
            code="invalid_rt_rw",
            params={"value": value},
        )


class HouseholdQuerySet(models.QuerySet):
    def for_user(self, user):
        """Households in the kelurahan `user` may read (see `KelurahanQuerySet.for_user`)."""
        return self.filter(kelurahan__in=Kelurahan.objects.for_user(user))


class Household(models.Model):
    """A Kartu Keluarga: one household, identified by its 16-digit KK number."""

    no_kk = models.CharField(
        _("KK number"), max_length=16, unique=True, validators=[validate_no_kk]
    )
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="households", verbose_name=_("kelurahan")
    )
    head_name = models.CharField(_("name of the head of household"), max_length=150, blank=True)
    head_nik = models.CharField(
        _("NIK of the head of household"),
        max_length=16,
        blank=True,
        validators=[validate_nik],
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True, validators=[validate_rt_rw], help_text=RT_RW_HELP)
    rw = models.CharField(
        _("RW"),
        max_length=3,
        blank=True,
        validators=[validate_rt_rw],
        help_text=_("Optional: Balikpapan has no RW."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["no_kk"]
        # Equality lookups only (imports check a head is not head of another KK): a plain
        # btree, without the LIKE index Django adds for db_index=True on a CharField.
        indexes = [models.Index(fields=["head_nik"], name="members_household_head_nik")]
        verbose_name = _("household (KK)")
        verbose_name_plural = _("households (KK)")

    def __str__(self):
        return f"KK {self.no_kk}"

    def clean(self):
        self.rt = normalise_rt_rw(self.rt)
        self.rw = normalise_rt_rw(self.rw)


class MemberQuerySet(models.QuerySet):
    def for_user(self, user):
        """Members of the kelurahan `user` may read (see `KelurahanQuerySet.for_user`)."""
        return self.filter(kelurahan__in=Kelurahan.objects.for_user(user))

    def managed_by(self, user):
        """Members `user` may change (see `KelurahanQuerySet.managed_by`)."""
        return self.filter(kelurahan__in=Kelurahan.objects.managed_by(user))

    def active(self):
        return self.filter(status=Member.Status.AKTIF)

    def for_list(self):
        """The member list page (`members:member_list`): one query per page."""
        return self.select_related("kelurahan", "household").order_by("kelurahan__kode", "member_seq")

    def search(self, text):
        """Members whose NIK or KK number starts with `text`, or whose name contains it."""
        text = (text or "").strip()
        if not text:
            return self
        digits = text.replace(" ", "").replace(".", "")
        if digits.isdigit():
            return self.filter(Q(nik__startswith=digits) | Q(household__no_kk__startswith=digits))
        return self.filter(name__icontains=text)


class Member(models.Model):
    """A member of a kelurahan's cooperative (an entry in its buku daftar anggota).

    Never deleted: leaving is a status with a date, so the register can be read as of any date.
    """

    class Status(models.TextChoices):
        AKTIF = "aktif", _("active")
        KELUAR = "keluar", _("resigned")
        MENINGGAL = "meninggal", _("deceased")
        DIBERHENTIKAN = "diberhentikan", _("expelled")

    class Sex(models.TextChoices):
        LAKI_LAKI = "L", _("male")
        PEREMPUAN = "P", _("female")

    nik = models.CharField(_("NIK"), max_length=16, unique=True, validators=[validate_nik])
    name = models.CharField(_("name"), max_length=150)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    kelurahan = models.ForeignKey(
        Kelurahan,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("cooperative (kelurahan)"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
        verbose_name=_("household (KK)"),
    )
    is_head_of_household = models.BooleanField(_("head of household (kepala keluarga)"), default=False)
    joined_on = models.DateField(_("joined on"))
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.AKTIF
    )
    left_on = models.DateField(_("left on"), null=True, blank=True)
    member_seq = models.PositiveIntegerField(_("sequence in the cooperative"), editable=False)
    member_number = models.CharField(_("member number"), max_length=40, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["kelurahan__kode", "member_seq"]
        # The dashboard's "KK gained in 7 days" reads only members who joined or left lately.
        indexes = [
            models.Index(fields=["joined_on"], name="members_member_joined_on"),
            models.Index(fields=["left_on"], name="members_member_left_on"),
        ]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        permissions = [("view_all_kelurahan", _("Can view the members of every kelurahan"))]
        constraints = [
            models.UniqueConstraint(
                fields=["kelurahan", "member_seq"], name="members_member_seq_unique_per_kelurahan"
            ),
            models.UniqueConstraint(
                fields=["kelurahan", "member_number"],
                name="members_member_number_unique_per_kelurahan",
            ),
            models.CheckConstraint(
                condition=(Q(status="aktif", left_on__isnull=True) | (~Q(status="aktif") & Q(left_on__isnull=False))),
                name="members_member_left_on_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="members_member_left_after_joining",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.member_number})"

    def get_absolute_url(self):
        return reverse("members:member_detail", args=[self.pk])

    @property
    def is_active(self):
        return self.status == self.Status.AKTIF

    def clean(self):
        errors = {}
        if self.status == self.Status.AKTIF and self.left_on:
            errors["left_on"] = _("An active member cannot have a leaving date.")
        if self.status != self.Status.AKTIF and not self.left_on:
            errors["left_on"] = _("Give the date the member left.")
        if self.left_on and self.joined_on and self.left_on < self.joined_on:
            errors["left_on"] = _("The leaving date cannot be before the joining date.")
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude=None):
        """Name the kelurahan in the duplicate-NIK message, as the officers asked."""
        try:
            super().validate_unique(exclude=exclude)
        except ValidationError as exc:
            if "nik" in exc.error_dict:
                other = Member.objects.select_related("kelurahan").filter(nik=self.nik).first()
                if other is not None:
                    exc.error_dict["nik"] = [
                        ValidationError(
                            _("This NIK is already a member of KKMP %(kelurahan)s."),
                            code="unique",
                            params={"kelurahan": other.kelurahan.nama},
                        )
                    ]
            raise

    @classmethod
    def format_number(cls, kelurahan, seq):
        return settings.KKMP_MEMBER_NUMBER_PATTERN.format(kode=kelurahan.kode, seq=seq)
