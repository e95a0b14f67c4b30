"""Regions (provinsi → kabupaten/kota → kecamatan → kelurahan/desa) and household counts.

Every region is keyed on its Kemendagri code (`64.71.05.1010`), the code the government's own
lists use. BPS codes are kept beside it but never derived from it: the two systems number
kecamatan differently.
"""

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .signals import household_counts_changed


def normalise_name(name):
    """A region name reduced to letters and digits, for matching spellings.

    `Sungai Nangka`, `SUNGAINANGKA` and `Sungai-Nangka` all become `sungainangka`.
    """
    name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", name.lower())


_REGION_WORD = re.compile(r"^\s*(kelurahan|kecamatan|kel\.|kec\.|kel\s|kec\s|desa|ds\.)\s*", re.IGNORECASE)


def without_region_word(name):
    """`KEL. SEPINGGAN`, `Kelurahan Sepinggan`, `Kecamatan Balikpapan Selatan`, `DESA …`: the
    word naming the level is not part of the name (the name itself is matched whole)."""
    return _REGION_WORD.sub("", str(name))


def _check_nested(kode, parent, level):
    """Kemendagri codes nest (`64.71.05.1010` is in kecamatan 64.71.05): the dashboard's roll-ups
    group on the code (`dashboard.queries.CODE_LENGTH`), so a region's code must start with its
    parent's (`clean()` of each level below the province)."""
    if parent is not None and kode and not kode.startswith(f"{parent.kode}."):
        raise ValidationError({"kode": _("The code must start with the code of its %(level)s, %(kode)s.") % {
            "level": level, "kode": parent.kode}})


class Provinsi(models.Model):
    kode = models.CharField(
        _("Kemendagri code"),
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^\d{2}$")],
    )
    nama = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(
        _("in the Kemendagri list"), default=True,
        help_text=_("Cleared when the region's code is no longer in the loaded Kemendagri list (never deleted)."),
    )

    class Meta:
        ordering = ["kode"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.nama


class KabupatenKota(models.Model):
    provinsi = models.ForeignKey(
        Provinsi, on_delete=models.PROTECT, related_name="kabupaten_kota", verbose_name=_("province")
    )
    kode = models.CharField(
        _("Kemendagri code"),
        max_length=5,
        unique=True,
        validators=[RegexValidator(r"^\d{2}\.\d{2}$")],
    )
    nama = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(
        _("in the Kemendagri list"), default=True,
        help_text=_("Cleared when the region's code is no longer in the loaded Kemendagri list (never deleted)."),
    )

    class Meta:
        ordering = ["kode"]
        verbose_name = _("regency/city")
        verbose_name_plural = _("regencies/cities")

    def __str__(self):
        return self.nama

    def clean(self):
        super().clean()
        _check_nested(self.kode, self.provinsi if self.provinsi_id else None, _("province"))


class Kecamatan(models.Model):
    kabupaten_kota = models.ForeignKey(
        KabupatenKota,
        on_delete=models.PROTECT,
        related_name="kecamatan",
        verbose_name=_("regency/city"),
    )
    kode = models.CharField(
        _("Kemendagri code"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^\d{2}\.\d{2}\.\d{2}$")],
    )
    nama = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(
        _("in the Kemendagri list"), default=True,
        help_text=_("Cleared when the region's code is no longer in the loaded Kemendagri list (never deleted)."),
    )

    class Meta:
        ordering = ["kode"]
        verbose_name = _("district (kecamatan)")
        verbose_name_plural = _("districts (kecamatan)")

    def __str__(self):
        return self.nama

    def clean(self):
        super().clean()
        _check_nested(self.kode, self.kabupaten_kota if self.kabupaten_kota_id else None, _("regency/city"))


class KelurahanQuerySet(models.QuerySet):
    def for_user(self, user):
        """The kelurahan whose members `user` may read: the one rule of data scope.

        Admins (superusers) read every kelurahan; a DKUMKMP reviewer (permission
        `members.view_all_kelurahan`) the regions granted to them (`RegionGrant`: a province,
        a kabupaten/kota, a kecamatan, or the whole country), none without a grant; an officer
        the kelurahan assigned to them; anyone else, including an officer with no assignment,
        reads nothing.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if user.has_perm("members.view_all_kelurahan"):
            grants = RegionGrant.of(user)
            if any(g.is_national for g in grants):
                return self
            # a reviewer who is also an officer reads their own kelurahan too
            officer = Q(pk__in=Kelurahan.officers.through.objects.filter(user=user).values("kelurahan_id"))
            return self.filter(RegionGrant.covering(grants) | officer)
        return self.filter(officers=user)

    def on_dashboard_of(self, user):
        """The kelurahan whose figures (counts, no personal data) `user`'s dashboard pages show
        (`dashboard:dashboard`, the roll-ups, exports, JSON and reports): what `for_user` reads;
        for an officer, every kelurahan of the kabupaten/kota of their own, as before."""
        readable = self.model.objects.for_user(user)
        if not user.is_authenticated or not user.is_active or user.is_superuser or user.has_perm("members.view_all_kelurahan"):
            return self & readable
        return self.filter(kecamatan__kabupaten_kota__in=readable.values("kecamatan__kabupaten_kota"))

    def managed_by(self, user):
        """The kelurahan whose members `user` may change (member forms, their choices).

        Reviewers read everything but change nothing; officers change their own kelurahan.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm("members.change_member"):
            return self.none()
        return self.filter(officers=user)

    def matching(self, text):
        """Kelurahan whose Kemendagri code (`64.71.05.1010`) or any known spelling equals `text`.

        BPS codes are not matched: without dots a Kemendagri code can equal another
        kelurahan's BPS code (DOMAIN.md), so a bare 10-digit number is ambiguous.
        """
        text = str(text).replace("\u00a0", " ").strip()
        key = normalise_name(text)
        if not key:
            return self.none()
        keys = {key}
        # "KEL. SEPINGGAN", "Kelurahan Sepinggan", "DESA …": the word naming the level is not
        # part of the name (the name itself is still matched whole, never by prefix).
        bare = normalise_name(without_region_word(text))
        if bare:
            keys.add(bare)
        query = Q(kode=text)
        for k in keys:
            query |= Q(name_key=k) | Q(alias_keys__contains=f"|{k}|")
        return self.filter(query)

    def named(self, text):
        """The one kelurahan `text` names (see `matching`), or None when none or several do."""
        matches = list(self.matching(text)[:2])
        return matches[0] if len(matches) == 1 else None


class Kelurahan(models.Model):
    """A kelurahan (urban village) or desa: one Koperasi Kelurahan (or Desa) Merah Putih each."""

    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, related_name="kelurahan", verbose_name=_("kecamatan")
    )
    kode = models.CharField(
        _("Kemendagri code"),
        max_length=13,
        unique=True,
        validators=[RegexValidator(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")],
        help_text=_("For example 64.71.05.1010."),
    )
    kode_bps = models.CharField(
        _("BPS code"),
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{10}$")],
    )
    nama = models.CharField(_("official name"), max_length=100)
    alternative_names = models.CharField(
        _("alternative spellings"),
        max_length=300,
        blank=True,
        help_text=_("Other spellings found in spreadsheets, separated by commas."),
    )
    is_desa = models.BooleanField(
        _("is a desa"), default=False,
        help_text=_("From the Kemendagri code: a fourth part starting with 2 (or 3, desa adat) is a desa, with 1 a kelurahan."),
    )
    is_active = models.BooleanField(
        _("in the Kemendagri list"), default=True,
        help_text=_("Cleared when the code is no longer in the loaded Kemendagri list; kept while members point at it."),
    )
    # Lower-case letters-and-digits forms of the name and spellings, kept by save() for matching.
    name_key = models.CharField(max_length=100, editable=False, db_index=True)
    alias_keys = models.CharField(max_length=400, editable=False, blank=True)
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="kelurahan_assignments",
        verbose_name=_("officers (pengurus)"),
    )

    objects = KelurahanQuerySet.as_manager()

    class Meta:
        ordering = ["kode"]
        verbose_name = _("kelurahan")
        verbose_name_plural = _("kelurahan")

    def __str__(self):
        return self.nama

    def clean(self):
        super().clean()
        _check_nested(self.kode, self.kecamatan if self.kecamatan_id else None, _("kecamatan"))

    def save(self, *args, **kwargs):
        self.name_key = normalise_name(self.nama)
        aliases = [normalise_name(a) for a in self.alternative_names.split(",") if a.strip()]
        self.alias_keys = "|" + "|".join(aliases) + "|" if aliases else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("dashboard:dashboard") + f"#kel-{self.kode}"

    @property
    def cooperative_abbreviation(self):
        """KDMP (Koperasi Desa Merah Putih) for a desa, KKMP (Koperasi Kelurahan Merah Putih)
        for a kelurahan: the programme's names (Inpres 9/2025)."""
        return "KDMP" if self.is_desa else "KKMP"


class HouseholdCount(models.Model):
    """The number of households (KK) in a kelurahan on a date: the dashboard's denominator.

    History is kept; the latest `as_of` is the current figure.
    """

    kelurahan = models.ForeignKey(
        Kelurahan,
        on_delete=models.PROTECT,
        related_name="household_counts",
        verbose_name=_("kelurahan"),
    )
    count = models.PositiveIntegerField(_("number of households (KK)"), validators=[MinValueValidator(0)])
    as_of = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["kelurahan__kode", "-as_of"]
        verbose_name = _("household count")
        verbose_name_plural = _("household counts")
        constraints = [
            models.UniqueConstraint(
                fields=["kelurahan", "as_of"], name="kelurahan_householdcount_one_per_date"
            ),
            models.CheckConstraint(
                condition=Q(count__gte=0), name="kelurahan_householdcount_count_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.kelurahan}: {self.count} KK ({self.as_of:%Y-%m-%d})"

    def save(self, *args, **kwargs):
        """Saved, then `household_counts_changed` for its kelurahan (and the one it had before
        when the row is moved), in the same transaction: the dashboard's counters follow."""
        with transaction.atomic():
            before = HouseholdCount.objects.filter(pk=self.pk).values_list("kelurahan_id", flat=True).first() if self.pk else None
            super().save(*args, **kwargs)
            household_counts_changed.send(sender=HouseholdCount, kelurahan_ids=[before, self.kelurahan_id])

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            household_counts_changed.send(sender=HouseholdCount, kelurahan_ids=[self.kelurahan_id])
        return result


class RegionGrant(models.Model):
    """A reviewer's region: a province, a kabupaten/kota or a kecamatan (exactly one), or the
    whole country (none of the three): `KelurahanQuerySet.for_user` reads the kelurahan under
    a reviewer's grants. Given in the admin (the account page), audited there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="region_grants", verbose_name=_("account")
    )
    provinsi = models.ForeignKey(Provinsi, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("province"))
    kabupaten_kota = models.ForeignKey(
        KabupatenKota, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("regency/city")
    )
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("kecamatan"))

    class Meta:
        verbose_name = _("reviewer's region")
        verbose_name_plural = _("reviewer's regions")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(provinsi__isnull=True, kabupaten_kota__isnull=True)
                    | Q(provinsi__isnull=True, kecamatan__isnull=True)
                    | Q(kabupaten_kota__isnull=True, kecamatan__isnull=True)
                ),
                name="kelurahan_regiongrant_one_region",
            ),
        ]

    def __str__(self):
        return str(self.region or _("All of Indonesia (national)"))

    @property
    def region(self):
        """The granted province, kabupaten/kota or kecamatan; None for the whole country."""
        return self.kecamatan or self.kabupaten_kota or self.provinsi

    @property
    def is_national(self):
        return self.provinsi_id is None and self.kabupaten_kota_id is None and self.kecamatan_id is None

    @classmethod
    def of(cls, user):
        """`user`'s grants, read once per user object (a request's `request.user`), as Django
        keeps its permissions."""
        if not hasattr(user, "_region_grants"):
            user._region_grants = list(cls.objects.filter(user=user))
        return user._region_grants

    @staticmethod
    def covering(grants):
        """A filter on Kelurahan: under one of `grants` (none: nothing)."""
        query = Q(pk__in=[])
        for field, path in (("provinsi_id", "kecamatan__kabupaten_kota__provinsi_id"),
                            ("kabupaten_kota_id", "kecamatan__kabupaten_kota_id"), ("kecamatan_id", "kecamatan_id")):
            ids = sorted({getattr(g, field) for g in grants if getattr(g, field)})
            if ids:
                query |= Q(**{f"{path}__in": ids})
        return query
