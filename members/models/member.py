"""The members of each kelurahan's cooperative (`Member`, an entry in its buku daftar anggota),
their status history (`MemberStatusChange`), and `MemberQuerySet` with the member list's
filters, sorts and search, the register as of a date and the scope of a user.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan
from members.identity import validate_nik
from members.values import age_on, normalise_person_name, normalise_phone, normalise_rt_rw, number_query

from .household import RT_RW_HELP, Household, SavedHistory, validate_rt_rw

PHONE_RE = re.compile(r"\+?\d{8,15}")


def validate_phone(value):
    if value and not PHONE_RE.fullmatch(value):
        raise ValidationError(
            _("A phone number has 8 to 15 digits, optionally starting with +."), code="invalid_phone"
        )


# What an officer learns about a person registered in a cooperative they may not read: that
# much and no more (not which cooperative, not the member number).
ELSEWHERE_MESSAGE = _("This person is already a member of another KKMP; contact DKUMKMP.")


class MemberQuerySet(models.QuerySet):
    def for_user(self, user):
        """Members of the kelurahan `user` may read (see `KelurahanQuerySet.for_user`).

        The kelurahan ids are read first (an officer has one or a few): with `kelurahan_id IN
        (5)` PostgreSQL walks the (kelurahan, member_seq) index in order and stops after a page,
        where a subquery made it fetch and sort the whole kelurahan. Readers of every kelurahan
        get no filter at all."""
        scope = Kelurahan.objects.for_user(user)
        if not scope.query.has_filters() and not scope.query.is_empty():
            return self.all()
        return self.filter(kelurahan_id__in=list(scope.values_list("pk", flat=True)))

    def managed_by(self, user):
        """Members `user` may change (see `KelurahanQuerySet.managed_by`)."""
        return self.filter(kelurahan__in=Kelurahan.objects.managed_by(user))

    def active(self):
        return self.filter(status=Member.Status.AKTIF)

    def with_status_on(self, day):
        """Annotate `status_on`: each member's status on `day`, read from the status history
        (None for a member not yet registered then)."""
        latest = (
            MemberStatusChange.objects.filter(member=models.OuterRef("pk"), on__lte=day)
            .order_by("-on", "-pk")
            .values("status")[:1]
        )
        return self.annotate(status_on=models.Subquery(latest))

    def active_on(self, day):
        """Members who were active members on `day` (a change dated `day` counts from that day)."""
        return self.with_status_on(day).filter(status_on=Member.Status.AKTIF)

    def for_list(self):
        """The member list page (`members:member_list`): one query per page."""
        return self.select_related("kelurahan", "household").order_by("kelurahan_id", "member_seq")

    # The member list's sort orders: key -> order_by (each ends with a unique column). Member
    # numbers go by kelurahan id (regions are loaded in code order), which the unique
    # (kelurahan, member_seq) index serves without sorting.
    SORTS = {
        "number": ("kelurahan_id", "member_seq"),
        "name": ("name", "pk"),
        "joined": ("joined_on", "pk"),
        "-joined": ("-joined_on", "-pk"),
    }

    def sorted_by(self, key):
        return self.order_by(*self.SORTS.get(key, self.SORTS["number"]))

    def filtered(self, *, status="", rt="", rw="", joined_month=None, kelurahan=None):
        """The member list's filters; empty ones are ignored. `joined_month` is a date in the
        month; RT and RW are the member's domicile, written 7, 07 or 007."""
        members = self
        if status:
            members = members.filter(status=status)
        if kelurahan is not None:
            members = members.filter(kelurahan=kelurahan)
        if rt:
            members = members.filter(domicile_rt=normalise_rt_rw(rt))
        if rw:
            members = members.filter(domicile_rw=normalise_rt_rw(rw))
        if joined_month is not None:
            first = joined_month.replace(day=1)
            after = (first + timedelta(days=32)).replace(day=1)
            members = members.filter(joined_on__gte=first, joined_on__lt=after)
        return members

    def uses_rw(self):
        """Whether any of these members has an RW (Balikpapan has none: the filter is hidden)."""
        return self.exclude(domicile_rw="").exists()

    def likely_duplicates(self, *, name, birth_date, nik=""):
        """Members with the same birth date and the same name (normalised) under another NIK."""
        if not name or not birth_date:
            return []
        wanted = normalise_person_name(name)
        candidates = self.filter(birth_date=birth_date).exclude(nik=nik).select_related("kelurahan")
        return [m for m in candidates if normalise_person_name(m.name) == wanted]

    def search(self, text, *, whole_numbers_only=False):
        """Members whose NIK or KK number starts with `text`, or whose name contains it.

        Digits: the members found by NIK and those found by KK number are two index look-ups
        joined with UNION (an OR across the household join would read every member).
        `whole_numbers_only` (readers who see masked numbers): only a complete 16-digit NIK or KK
        number matches, so that hidden digits cannot be found by trying prefixes."""
        text = (text or "").strip()
        if not text:
            return self
        digits = number_query(text)
        if digits:
            if whole_numbers_only and len(digits) != 16:
                return self.none()
            match = "exact" if whole_numbers_only else "startswith"
            # Both arms carry the caller's filters (the user's kelurahan): a short prefix such
            # as "6471" matches nearly every member of the city, not only those in scope.
            by_nik = self.filter(**{f"nik__{match}": digits}).order_by().values("pk")
            by_kk = self.filter(**{f"household__no_kk__{match}": digits}).order_by().values("pk")
            return self.filter(pk__in=by_nik.union(by_kk))
        return self.filter(name__icontains=text)


class Member(models.Model):
    """A member of a kelurahan's cooperative (an entry in its buku daftar anggota).

    Never deleted: leaving is a status with a date, so the register can be read as of any date.
    """

    class Status(models.TextChoices):
        CALON = "calon", _("applicant")
        AKTIF = "aktif", _("active")
        KELUAR = "keluar", _("resigned")
        MENINGGAL = "meninggal", _("deceased")
        DIBERHENTIKAN = "diberhentikan", _("expelled")

    class Sex(models.TextChoices):
        LAKI_LAKI = "L", _("male")
        PEREMPUAN = "P", _("female")

    class Citizenship(models.TextChoices):
        WNI = "WNI", _("Indonesian citizen (WNI)")
        WNA = "WNA", _("foreign national (WNA)")

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
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[validate_phone])
    citizenship = models.CharField(
        _("citizenship"), max_length=3, choices=Citizenship.choices, default=Citizenship.WNI
    )
    is_married = models.BooleanField(
        _("married (or has been married)"),
        default=False,
        help_text=_("Members younger than the minimum age are accepted only when married."),
    )
    ktp_address = models.CharField(_("address on the KTP"), max_length=255, blank=True)
    domicile_address = models.CharField(_("domicile address"), max_length=255, blank=True)
    domicile_kelurahan = models.ForeignKey(
        Kelurahan,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("domicile kelurahan"),
    )
    domicile_rt = models.CharField(
        _("domicile RT"), max_length=3, blank=True, validators=[validate_rt_rw], help_text=RT_RW_HELP
    )
    domicile_rw = models.CharField(
        _("domicile RW"),
        max_length=3,
        blank=True,
        validators=[validate_rt_rw],
        help_text=_("Optional: Balikpapan has no RW."),
    )
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
    history = SavedHistory(excluded_fields=["created_at", "updated_at", "member_seq"])

    class Meta:
        ordering = ["kelurahan__kode", "member_seq"]
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
                condition=(
                    Q(status__in=["calon", "aktif"], left_on__isnull=True)
                    | (~Q(status__in=["calon", "aktif"]) & Q(left_on__isnull=False))
                ),
                name="members_member_left_on_matches_status_v2",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="members_member_left_after_joining",
            ),
        ]
        indexes = [
            # Likely duplicates are looked up by birth date (then the name is compared).
            models.Index(fields=["birth_date"], name="members_member_birth_date"),
            # The member list's filters and sort orders within a kelurahan, and across all of
            # them for reviewers (bench/members.py measures them at 1,000,000 members).
            models.Index(fields=["kelurahan", "domicile_rt"], name="members_member_kel_rt"),
            models.Index(fields=["domicile_rt", "joined_on"], name="members_member_rt_joined"),  # city-wide RT + month
            models.Index(fields=["kelurahan", "joined_on"], name="members_member_kel_joined"),
            models.Index(fields=["kelurahan", "name"], name="members_member_kel_name"),
            models.Index(fields=["name", "id"], name="members_member_name_id"),
            models.Index(fields=["joined_on", "id"], name="members_member_joined_id"),
            # "Is RW used here?": tiny where RW is not used (Balikpapan).
            models.Index(fields=["domicile_rw"], condition=~Q(domicile_rw=""), name="members_member_rw_used"),
            # The dashboard's "KK gained in 7 days" reads only members who joined or left
            # lately (joining: the (joined_on, id) index above).
            models.Index(fields=["left_on"], name="members_member_left_on"),
        ]

    def __str__(self):
        return f"{self.name} ({self.member_number})"

    def get_absolute_url(self):
        return reverse("members:member_detail", args=[self.pk])

    # Who has not left: applicants and active members.
    CURRENT = (Status.CALON, Status.AKTIF)

    @property
    def is_active(self):
        return self.status == self.Status.AKTIF

    @property
    def age(self):
        """Age in whole years today (shown instead of the birth date to readers who see masked
        numbers: the birth date is six of the NIK's digits)."""
        return age_on(self.birth_date, timezone.localdate()) if self.birth_date else None

    @property
    def is_applicant(self):
        return self.status == self.Status.CALON

    @property
    def has_left(self):
        return self.status not in self.CURRENT

    def clean(self):
        errors = {}
        if not self.has_left and self.left_on:
            errors["left_on"] = _("An active member cannot have a leaving date.")
        if self.has_left and not self.left_on:
            errors["left_on"] = _("Give the date the member left.")
        if self.left_on and self.joined_on and self.left_on < self.joined_on:
            errors["left_on"] = _("The leaving date cannot be before the joining date.")
        self.phone = normalise_phone(self.phone)
        self.domicile_rt = normalise_rt_rw(self.domicile_rt)
        self.domicile_rw = normalise_rt_rw(self.domicile_rw)
        if self.birth_date and self.joined_on and not self.is_married:
            age = age_on(self.birth_date, self.joined_on)
            if age < settings.KKMP_MIN_AGE:
                errors["birth_date"] = _(
                    "A member must be at least %(min)d years old or married; this person is %(age)d."
                ) % {"min": settings.KKMP_MIN_AGE, "age": age}
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude=None):
        """A plain duplicate-NIK message: which cooperative holds the NIK is told only to those
        who may read that cooperative (`MemberForm.clean_nik`)."""
        try:
            super().validate_unique(exclude=exclude)
        except ValidationError as exc:
            if "nik" in exc.error_dict:
                exc.error_dict["nik"] = [ValidationError(_("This NIK is already registered as a member."), code="unique")]
            raise

    @classmethod
    def format_number(cls, kelurahan, seq):
        return settings.KKMP_MEMBER_NUMBER_PATTERN.format(kode=kelurahan.kode, seq=seq)


class MemberStatusChange(models.Model):
    """One step of a member's status history: applied (calon), accepted (aktif), resigned,
    deceased or expelled, with the date it took effect and the reason. Append-only; the
    register as of any date is read from it (`MemberQuerySet.active_on`)."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="status_changes", verbose_name=_("member")
    )
    status = models.CharField(_("status"), max_length=15, choices=Member.Status.choices)
    on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["member", "on", "pk"]
        indexes = [models.Index(fields=["member", "on"], name="members_status_member_on")]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.member_id} {self.status} {self.on}"
