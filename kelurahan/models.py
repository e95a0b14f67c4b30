"""Regions (provinsi → kabupaten/kota → kecamatan → kelurahan/desa) and household counts.

Every region is keyed on its Kemendagri code (`64.71.05.1010`), the code the government's own
lists use. BPS codes are kept beside it but never derived from it: the two systems number
kecamatan differently.
"""

import math
import re
import unicodedata
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connection, models, transaction
from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


def target_for(household_count, percent=None):
    """The number of households to enrol: `percent` of `household_count`, rounded up.

    The one place the target rule lives. Integer arithmetic, so 10% of 11 is 2, not 1.1 → 1.
    """
    if household_count is None:
        return None
    if percent is None:
        percent = settings.KKMP_TARGET_PERCENT
    return -(-household_count * percent // 100)


def normalise_name(name):
    """A region name reduced to letters and digits, for matching spellings.

    `Sungai Nangka`, `SUNGAINANGKA` and `Sungai-Nangka` all become `sungainangka`.
    """
    name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", name.lower())


class Provinsi(models.Model):
    kode = models.CharField(
        _("Kemendagri code"),
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^\d{2}$")],
    )
    nama = models.CharField(_("name"), max_length=100)

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

    class Meta:
        ordering = ["kode"]
        verbose_name = _("regency/city")
        verbose_name_plural = _("regencies/cities")

    def __str__(self):
        return self.nama


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

    class Meta:
        ordering = ["kode"]
        verbose_name = _("district (kecamatan)")
        verbose_name_plural = _("districts (kecamatan)")

    def __str__(self):
        return self.nama


class KelurahanQuerySet(models.QuerySet):
    def for_user(self, user):
        """The kelurahan whose members `user` may read: the one rule of data scope.

        Admins (superusers) and DKUMKMP reviewers (permission `members.view_all_kelurahan`)
        read every kelurahan; an officer reads the kelurahan assigned to them; anyone else,
        including an officer with no assignment, reads nothing.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm("members.view_all_kelurahan"):
            return self
        return self.filter(officers=user)

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

    def for_dashboard(self, campaign=None):
        """Kelurahan with the figures of the progress dashboard (`kelurahan:dashboard`).

        One query: the current household count (value, date, source) and the member figures
        from the counters kept by `kelurahan.counters` (None / 0 when a kelurahan has no
        counter row yet), and whether `campaign` applies to the kelurahan (`in_campaign`).
        """
        return (
            self.select_related("kecamatan__kabupaten_kota")
            .annotate(
                jumlah_kk=F("counter__jumlah_kk"),
                per_tanggal=F("counter__kk_per_tanggal"),
                sumber=F("counter__kk_sumber"),
                kk_terwakili=Coalesce(F("counter__kk_terwakili"), 0),
                anggota_kepala_keluarga=Coalesce(F("counter__anggota_kepala_keluarga"), 0),
                anggota_aktif=Coalesce(F("counter__anggota_aktif"), 0),
                in_campaign=_in_campaign(campaign),
            )
            .order_by("kecamatan__kode", "kode")
        )

    def rollup(self, campaign, by, today=None, days=7):
        """The dashboard's figures summed per `by` (e.g. `kecamatan__kabupaten_kota`): the
        province page (`kelurahan:dashboard_rollup`) and the national roll-up. One query,
        reading each kelurahan once with its counter row (current household count, member
        figures) and, with `today`, the KK gained in the last `days` days (the sum of the
        `RepresentedDay` changes in that window, summed per kelurahan first); targets are
        rounded up per kelurahan, as `target_for` does.

        Returns {key: {jumlah_kk, target, without_count, in_campaign, kk_terwakili,
        anggota_kepala_keluarga, anggota_aktif, gained_7d}}; `target` is None where no
        kelurahan is in the campaign."""
        percent = campaign.percent if campaign else 0
        # one row per kelurahan (the ORM writes the joins and `self`'s filters) ...
        everywhere = not self.query.where  # the national roll-up: the campaign's list hashed once
        kelurahan = self.order_by().annotate(
            r_pk=F("pk"), r_key=F(by), r_in=_in_campaign(campaign, every=everywhere),
            r_kk=F("counter__jumlah_kk"), r_terwakili=F("counter__kk_terwakili"),
            r_heads=F("counter__anggota_kepala_keluarga"), r_aktif=F("counter__anggota_aktif"),
        ).values("r_pk", "r_key", "r_in", "r_kk", "r_terwakili", "r_heads", "r_aktif")
        try:
            inner, params = kelurahan.query.sql_with_params()
        except EmptyResultSet:  # e.g. `.none()`
            return {}
        history = RepresentedDay.objects.order_by()
        if not everywhere:  # only these kelurahan's rows (all: no semi-join needed)
            history = history.filter(kelurahan__in=self.values("pk"))
        if today is None:
            history = history.filter(day__isnull=True)  # none: no gain asked for
        else:
            history = history.filter(day__gt=today - timedelta(days=days), day__lte=today)
        gain, gain_params = history.values("kelurahan_id").annotate(gain=Sum("change")).values("kelurahan_id", "gain").query.sql_with_params()
        # ... and their sums, with the gain joined per kelurahan (not per history row)
        sql = f"""
            WITH gain AS ({gain})
            SELECT k.r_key, COUNT(*), SUM(CASE WHEN k.r_in THEN 1 ELSE 0 END),
                   SUM(k.r_kk), COUNT(k.r_kk), SUM(CASE WHEN k.r_in THEN (k.r_kk * %s + 99) / 100 END),
                   COALESCE(SUM(k.r_terwakili), 0), COALESCE(SUM(k.r_heads), 0), COALESCE(SUM(k.r_aktif), 0),
                   COALESCE(SUM(gain.gain), 0)
            FROM ({inner}) k LEFT JOIN gain ON gain.kelurahan_id = k.r_pk
            GROUP BY k.r_key
        """
        result = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, [*gain_params, percent, *params])
            for key, n, in_campaign, jumlah_kk, with_count, target, terwakili, heads, aktif, gained in cursor.fetchall():
                result[key] = {
                    by: key, "kelurahan": n, "in_campaign": in_campaign, "jumlah_kk": jumlah_kk,
                    "target": (target or 0) if in_campaign else None, "without_count": n - with_count,
                    "kk_terwakili": terwakili, "anggota_kepala_keluarga": heads, "anggota_aktif": aktif, "gained_7d": gained,
                }
        return dict(sorted(result.items()))

    def matching(self, text):
        """Kelurahan whose Kemendagri code (`64.71.05.1010`) or any known spelling equals `text`.

        BPS codes are not matched: without dots a Kemendagri code can equal another
        kelurahan's BPS code (DOMAIN.md), so a bare 10-digit number is ambiguous.
        """
        text = str(text).strip()
        key = normalise_name(text)
        if not key:
            return self.none()
        return self.filter(Q(kode=text) | Q(name_key=key) | Q(alias_keys__contains=f"|{key}|"))

    def named(self, text):
        """The one kelurahan `text` names (see `matching`), or None when none or several do."""
        matches = list(self.matching(text)[:2])
        return matches[0] if len(matches) == 1 else None


class Kelurahan(models.Model):
    """A kelurahan (urban village) or desa: one Koperasi Kelurahan Merah Putih each."""

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
    is_desa = models.BooleanField(_("is a desa"), default=False)
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

    def save(self, *args, **kwargs):
        self.name_key = normalise_name(self.nama)
        aliases = [normalise_name(a) for a in self.alternative_names.split(",") if a.strip()]
        self.alias_keys = "|" + "|".join(aliases) + "|" if aliases else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("kelurahan:dashboard") + f"#kel-{self.kode}"


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
        """Saved with the kelurahan's current household count (`KelurahanCounter.jumlah_kk`),
        of the kelurahan it had before too when the row is moved."""
        from . import counters

        with transaction.atomic():
            before = HouseholdCount.objects.filter(pk=self.pk).values_list("kelurahan_id", flat=True).first() if self.pk else None
            super().save(*args, **kwargs)
            counters.refresh_household_counts([before, self.kelurahan_id])

    def delete(self, *args, **kwargs):
        from . import counters

        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            counters.refresh_household_counts([self.kelurahan_id])
        return result


def _in_campaign(campaign, every=False):
    """An annotation: True where `campaign` applies to the kelurahan (False without one);
    `every`: see `Campaign.kelurahan_q`."""
    if campaign is None:
        return Value(False, output_field=BooleanField())
    return Case(When(campaign.kelurahan_q(every=every), then=Value(True)), default=Value(False), output_field=BooleanField())


class CampaignQuerySet(models.QuerySet):
    def for_region(self, region):
        """Campaigns that apply to some kelurahan of `region` (a Provinsi or KabupatenKota),
        newest first: the dashboard's campaign choices. One query."""
        if region is None:
            return self.none()
        parts = region.kode.split(".")
        prefixes = [".".join(parts[: i + 1]) for i in range(len(parts))]
        return (
            self.filter(
                Q(wilayah_kode__in=prefixes)
                | Q(wilayah_kode__startswith=region.kode + ".")
                | Exists(
                    Campaign.kelurahan.through.objects.filter(
                        campaign=OuterRef("pk"), kelurahan__kode__startswith=region.kode + "."
                    )
                )
            )
            .order_by("-starts_on", "-pk")
        )


def current_campaign(campaigns, today):
    """Of `campaigns` (newest first), the one running `today`; else the latest that has
    started; else the next to start. None when there is none."""
    campaigns = list(campaigns)
    running = [c for c in campaigns if c.starts_on <= today <= c.deadline]
    started = [c for c in campaigns if c.starts_on <= today]
    return (running or started or campaigns[::-1] or [None])[0]


class Campaign(models.Model):
    """A membership target: `percent` of the households (KK) of each kelurahan it applies to,
    to be reached between `starts_on` and `deadline`.

    It applies to every kelurahan whose Kemendagri code starts with `wilayah_kode` (a province
    `64`, a kabupaten/kota `64.71` or a kecamatan `64.71.05`) and to the kelurahan listed.
    """

    name = models.CharField(_("name"), max_length=150)
    percent = models.PositiveSmallIntegerField(
        _("target (percent of households)"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    starts_on = models.DateField(_("starts on"))
    deadline = models.DateField(_("deadline"))
    wilayah_kode = models.CharField(
        _("region code"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{2}(\.\d{2}){0,2}$")],
        help_text=_("Every kelurahan of this province (64), regency/city (64.71) or kecamatan (64.71.05)."),
    )
    kelurahan = models.ManyToManyField(
        Kelurahan,
        blank=True,
        related_name="campaigns",
        verbose_name=_("kelurahan"),
        help_text=_("Further kelurahan, beside those of the region code."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("target campaign")
        verbose_name_plural = _("target campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=F("starts_on")), name="kelurahan_campaign_deadline_after_start"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=100), name="kelurahan_campaign_percent_1_100"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.percent}%, {self.starts_on:%d-%m-%Y} – {self.deadline:%d-%m-%Y})"

    def clean(self):
        if self.starts_on and self.deadline and self.deadline <= self.starts_on:
            raise ValidationError({"deadline": _("The deadline must be after the start date.")})

    def kelurahan_q(self, prefix="", every=False):
        """A filter on Kelurahan (or, with `prefix="kelurahan__"`, on a model pointing to one):
        the kelurahan this campaign applies to.

        The listed kelurahan are found by an EXISTS per row (an index probe: best for a city's
        rows), or with `every` (a roll-up over thousands of kelurahan) by `IN (SELECT …)`,
        which PostgreSQL hashes once (an EXISTS run per row over 84,000 kelurahan also made
        the plan costly enough to switch JIT on: +0.4 s)."""
        listed = Campaign.kelurahan.through.objects.filter(campaign_id=self.pk)
        if every:
            listed = Q(**{f"{prefix}pk__in": listed.values("kelurahan_id")})
        else:
            listed = Q(Exists(listed.filter(kelurahan_id=OuterRef(f"{prefix}pk"))))
        if self.wilayah_kode:
            return Q(**{f"{prefix}kode__startswith": self.wilayah_kode + "."}) | listed
        return listed

    def expected(self, target, today):
        """KK terwakili expected by `today` on the straight line from 0 at `starts_on` to
        `target` at `deadline`, rounded up: "on track" means at least this many."""
        total = (self.deadline - self.starts_on).days
        elapsed = min(max((today - self.starts_on).days, 0), total)
        return -(-target * elapsed // total)


class KelurahanCounter(models.Model):
    """The member figures of one kelurahan's cooperative, kept exact by
    `kelurahan.counters.refresh` in the same transaction as every change to its members,
    so the dashboard reads them instead of counting. `manage.py recount` checks them."""

    kelurahan = models.OneToOneField(
        Kelurahan, on_delete=models.CASCADE, primary_key=True, related_name="counter", verbose_name=_("kelurahan")
    )
    kk_terwakili = models.PositiveIntegerField(_("KK represented"), default=0)
    anggota_kepala_keluarga = models.PositiveIntegerField(_("heads of household"), default=0)
    anggota_aktif = models.PositiveIntegerField(_("active members"), default=0)
    # The current household count (the latest `HouseholdCount` by `as_of`), kept by
    # `counters.refresh_household_counts` in the transaction that writes household counts.
    jumlah_kk = models.PositiveIntegerField(_("number of households (KK)"), null=True, blank=True)
    kk_per_tanggal = models.DateField(_("as of"), null=True, blank=True)
    kk_sumber = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    FIGURES = ("kk_terwakili", "anggota_kepala_keluarga", "anggota_aktif")
    HOUSEHOLD_COUNT = ("jumlah_kk", "kk_per_tanggal", "kk_sumber")

    class Meta:
        verbose_name = _("member counter")
        verbose_name_plural = _("member counters")

    def __str__(self):
        return f"{self.kelurahan_id}: {self.kk_terwakili}/{self.anggota_kepala_keluarga}/{self.anggota_aktif}"


class RepresentedDay(models.Model):
    """KK terwakili of one kelurahan at the end of a day on which it changed, computed from the
    join and leave dates of its members (`counters.refresh` rewrites a kelurahan's rows in the
    transaction that changes its members, so back-dated changes are exact too).

    KK terwakili on a date D is the row with the latest `day` <= D (0 before the first), which
    is also the sum of `change` up to D: the 7-day gain sums `change` over the last 7 days."""

    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.CASCADE, related_name="represented_days", verbose_name=_("kelurahan")
    )
    day = models.DateField(_("day"))
    kk_terwakili = models.PositiveIntegerField(_("KK represented"))
    change = models.IntegerField(_("change"))

    class Meta:
        verbose_name = _("KK represented on a day")
        verbose_name_plural = _("KK represented by day")
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "day"], name="kelurahan_representedday_one_per_day"),
        ]
        # the 7-day gain reads the last days' rows from the index alone (PostgreSQL)
        indexes = [models.Index(fields=["day"], include=["kelurahan", "change"], name="kelurahan_representedday_day")]

    def __str__(self):
        return f"{self.kelurahan_id} {self.day:%Y-%m-%d}: {self.kk_terwakili} ({self.change:+d})"


class Status:
    """A row's standing against its campaign, in words and as a CSS class (colour)."""

    REACHED, ON_TRACK, BEHIND, NO_DATA, NO_TARGET = "tercapai", "sesuai_jalur", "tertinggal", "belum_ada_data", "tanpa_target"
    LABELS = {
        REACHED: _("reached"),
        ON_TRACK: _("on track"),
        BEHIND: _("behind"),
        NO_DATA: _("no data"),
        NO_TARGET: _("no target"),
    }
    ORDER = [BEHIND, ON_TRACK, REACHED, NO_DATA, NO_TARGET]


class Progress:
    """The dashboard's figures for one kelurahan, or summed over several (kecamatan, city,
    province), against a campaign.

    Targets are summed per kelurahan (each cooperative has its own target), so a kecamatan's
    target is the sum of its kelurahan's rounded-up targets. Kelurahan without a household
    count add nothing to the target and are counted in `without_count`; kelurahan outside the
    campaign have no target (`target` None) and add only their member figures.
    `gained_7d` is the change in KK terwakili over the last 7 days (`counters.gained`).
    The derived figures are computed once, when first read: set the figures before reading.
    """

    FIGURES = ("jumlah_kk", "target", "kk_terwakili", "anggota_kepala_keluarga", "anggota_aktif")

    def __init__(
        self, jumlah_kk=None, kk_terwakili=0, anggota_kepala_keluarga=0, anggota_aktif=0, target=None,
        *, percent=None, campaign=None, today=None, gained_7d=0,
    ):
        self.jumlah_kk = jumlah_kk
        self.campaign = campaign
        if target is None and percent is None and campaign is not None:
            percent = campaign.percent
        self.target = target_for(jumlah_kk, percent) if target is None and percent is not None else target
        self.kk_terwakili = kk_terwakili
        self.anggota_kepala_keluarga = anggota_kepala_keluarga
        self.anggota_aktif = anggota_aktif
        self.gained_7d = gained_7d
        self.today = today or date.today()
        self.without_count = 1 if jumlah_kk is None else 0

    @classmethod
    def of(cls, kelurahan, campaign=None, today=None, gained_7d=0):
        """From a kelurahan annotated by `KelurahanQuerySet.for_dashboard(campaign)`."""
        applies = campaign is not None and getattr(kelurahan, "in_campaign", False)
        return cls(
            jumlah_kk=kelurahan.jumlah_kk,
            kk_terwakili=kelurahan.kk_terwakili,
            anggota_kepala_keluarga=kelurahan.anggota_kepala_keluarga,
            anggota_aktif=kelurahan.anggota_aktif,
            campaign=campaign if applies else None,
            today=today,
            gained_7d=gained_7d,
        )

    @classmethod
    def sum(cls, parts, campaign=None, today=None):
        parts = list(parts)
        total = cls(jumlah_kk=0, target=0, campaign=campaign, today=today)
        total.without_count = 0
        for part in parts:
            total.jumlah_kk += part.jumlah_kk or 0
            total.target += part.target or 0
            total.kk_terwakili += part.kk_terwakili
            total.anggota_kepala_keluarga += part.anggota_kepala_keluarga
            total.anggota_aktif += part.anggota_aktif
            total.gained_7d += part.gained_7d
            total.without_count += part.without_count
        if not any(part.campaign is not None for part in parts):  # none in the campaign
            total.target, total.campaign = None, None
        return total

    @property
    def has_count(self):
        return self.jumlah_kk is not None

    @cached_property
    def persen_target(self):
        """KK terwakili as a percentage of the target; None when there is no target."""
        if not self.target:
            return None
        return round(100 * self.kk_terwakili / self.target, 1)

    @property
    def bar_percent(self):
        """The progress bar's width, 0-100."""
        return min(100, self.persen_target or 0)

    @property
    def is_reached(self):
        return bool(self.target) and self.kk_terwakili >= self.target

    @property
    def remaining(self):
        """KK still to win; None without a target."""
        return None if self.target is None else max(self.target - self.kk_terwakili, 0)

    @cached_property
    def expected(self):
        """KK terwakili expected by today on the straight line to the target (see Campaign)."""
        if not self.target or self.campaign is None:
            return None
        return self.campaign.expected(self.target, self.today)

    @cached_property
    def status(self):
        if self.campaign is None:
            return Status.NO_TARGET
        if not self.target:  # no household count, or a count of 0
            return Status.NO_DATA
        if self.kk_terwakili >= self.target:
            return Status.REACHED
        if self.kk_terwakili >= self.expected:
            return Status.ON_TRACK
        return Status.BEHIND

    @property
    def status_label(self):
        return Status.LABELS[self.status]

    @cached_property
    def weekly_pace_needed(self):
        """KK per week still needed to reach the target by the deadline (rounded up); 0 when
        reached; None without a target or once the deadline has passed unreached."""
        if not self.target or self.campaign is None:
            return None
        if not self.remaining:
            return 0
        days_left = (self.campaign.deadline - self.today).days
        if days_left <= 0:
            return None
        return -(-self.remaining * 7 // days_left)

    @cached_property
    def reach_date(self):
        """The date the last 7 days' pace would reach the target; None when reached, without a
        target, or when the pace is 0 or negative."""
        if not self.target or not self.remaining or self.gained_7d <= 0:
            return None
        return self.today + timedelta(days=math.ceil(self.remaining * 7 / self.gained_7d))

    @property
    def reaches_in_time(self):
        reach = self.reach_date
        return reach is not None and reach <= self.campaign.deadline


def dashboard_table(kelurahan_rows, campaign=None, today=None, gained=None):
    """Group `for_dashboard(campaign)` rows by kecamatan, with a `Progress` per row, kecamatan
    and total. `gained` maps kelurahan id → KK terwakili gained in 7 days (`counters.gained`).

    Returns `(groups, total)`, where each group is `(kecamatan, [(kelurahan, progress)], progress)`.
    Pure Python over rows already fetched: no queries.
    """
    gained = gained or {}
    groups, current = [], None
    for kel in kelurahan_rows:
        if current is None or current[0].pk != kel.kecamatan_id:
            current = (kel.kecamatan, [])
            groups.append(current)
        current[1].append((kel, Progress.of(kel, campaign, today, gained.get(kel.pk, 0))))
    groups = [(kec, rows, Progress.sum((p for _, p in rows), campaign, today)) for kec, rows in groups]
    return groups, Progress.sum((total for _, _, total in groups), campaign, today)


class ReportQuerySet(models.QuerySet):
    def for_list(self):
        """The list of issued reports (`kelurahan:report_list`): one query."""
        return self.select_related("created_by").defer("xlsx", "data").order_by("-created_at", "-pk")


class Report(models.Model):
    """A progress report as issued to the Satgas, frozen: the figures (`data`, the same JSON
    as `/api/dasbor.json` plus the trend) and the XLSX file exactly as downloaded then."""

    region_kode = models.CharField(_("region code"), max_length=13)
    region_name = models.CharField(_("region"), max_length=100)
    campaign_name = models.CharField(_("campaign"), max_length=200, blank=True)
    as_of = models.DateField(_("figures as of"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    data = models.JSONField(_("figures"))
    xlsx = models.BinaryField(_("XLSX file"))

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("issued report")
        verbose_name_plural = _("issued reports")

    def __str__(self):
        return f"{self.region_name} {self.as_of:%d-%m-%Y} ({self.created_by})"

    def get_absolute_url(self):
        return reverse("kelurahan:report_detail", args=[self.pk])
