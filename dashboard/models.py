"""The dashboard's stored data: target campaigns, the member counters and KK terwakili history
kept exact by `dashboard.counters` (so the dashboard reads figures instead of counting), and the
reports issued to the Satgas, frozen. The region tree and household counts are `kelurahan`'s.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan


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
    `dashboard.counters.refresh` in the same transaction as every change to its members,
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
    # The members' simpanan (`koperasi.Account` summed), kept by `counters.refresh_capital` in the
    # transaction of every ledger entry, and the active members by the first month of simpanan
    # wajib they have not paid ({month index: members}): who is paid up or in arrears on a given
    # day follows from it and the cooperative's rules (`koperasi.queries.wajib_position`).
    simpanan_pokok = models.BigIntegerField(_("simpanan pokok collected (Rp)"), default=0)
    simpanan_wajib = models.BigIntegerField(_("simpanan wajib collected (Rp)"), default=0)
    simpanan_sukarela = models.BigIntegerField(_("simpanan sukarela held (Rp)"), default=0)
    wajib_next = models.JSONField(_("active members by first unpaid month of simpanan wajib"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    FIGURES = ("kk_terwakili", "anggota_kepala_keluarga", "anggota_aktif")
    HOUSEHOLD_COUNT = ("jumlah_kk", "kk_per_tanggal", "kk_sumber")
    CAPITAL = ("simpanan_pokok", "simpanan_wajib", "simpanan_sukarela", "wajib_next")

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


class ReportQuerySet(models.QuerySet):
    def for_list(self):
        """The list of issued reports (`dashboard:report_list`): one query."""
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
        return reverse("dashboard:report_detail", args=[self.pk])
