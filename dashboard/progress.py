"""The dashboard's arithmetic: the target rule, a kelurahan's (or a region's) progress against
its campaign, with status, pace and expected reach date, and the table grouped by kecamatan.
Pure Python over rows already fetched (`dashboard.queries`): no queries.
"""

import math
from datetime import date, timedelta

from django.conf import settings
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
        """From a kelurahan annotated by `dashboard.queries.for_dashboard(kelurahan, campaign)`."""
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


class Capital:
    """What the members have put in (simpanan pokok and wajib collected, in whole rupiah) and
    how they keep up (active members paid up this month, share in arrears), and whether the
    annual members' meeting (RAT) was held this year: for one kelurahan, or summed over several.
    From the counters (`KelurahanCounter.simpanan_*`, `wajib_next`) read by
    `dashboard.queries.for_dashboard`, and `koperasi.rapat.rat_held`; see docs/dashboard.md."""

    FIGURES = ("pokok", "wajib", "sukarela", "aktif", "paid_up", "in_arrears")

    def __init__(self, pokok=0, wajib=0, sukarela=0, aktif=0, paid_up=0, in_arrears=0, *, rat_on=None, kelurahan=1):
        self.pokok, self.wajib, self.sukarela = pokok, wajib, sukarela
        self.aktif, self.paid_up, self.in_arrears = aktif, paid_up, in_arrears
        self.rat_on = rat_on  # the date of this year's RAT (one kelurahan)
        self.kelurahan = kelurahan
        self.rat_held = 1 if rat_on else 0  # kelurahan that held it

    @classmethod
    def of(cls, kelurahan, today=None, rat_on=None):
        """From a kelurahan annotated by `dashboard.queries.for_dashboard` (no query)."""
        from koperasi.queries import wajib_position

        aktif, paid_up, in_arrears = wajib_position(
            getattr(kelurahan, "wajib_next", None), wajib_due_day=getattr(kelurahan, "wajib_due_day", None),
            arrears_months=getattr(kelurahan, "arrears_months", None), today=today,
        )
        return cls(getattr(kelurahan, "simpanan_pokok", 0), getattr(kelurahan, "simpanan_wajib", 0),
                   getattr(kelurahan, "simpanan_sukarela", 0), aktif, paid_up, in_arrears, rat_on=rat_on)

    @classmethod
    def sum(cls, parts):
        total = cls(kelurahan=0)
        for part in parts:
            for name in cls.FIGURES:
                setattr(total, name, getattr(total, name) + getattr(part, name))
            total.kelurahan += part.kelurahan
            total.rat_held += part.rat_held
        return total

    @property
    def collected(self):
        """Simpanan pokok and wajib: the members' capital (sukarela is theirs to withdraw)."""
        return self.pokok + self.wajib

    @property
    def paid_up_percent(self):
        return round(100 * self.paid_up / self.aktif, 1) if self.aktif else None

    @property
    def arrears_percent(self):
        return round(100 * self.in_arrears / self.aktif, 1) if self.aktif else None


def dashboard_table(kelurahan_rows, campaign=None, today=None, gained=None, rat=None):
    """Group `for_dashboard(kelurahan, campaign)` rows by kecamatan, with a `Progress` per row, kecamatan
    and total. `gained` maps kelurahan id → KK terwakili gained in 7 days (`counters.gained`);
    `rat` kelurahan id → the date of this year's RAT; with the row's simpanan counters they
    become each progress's `capital` (a `Capital`).

    Returns `(groups, total)`, where each group is `(kecamatan, [(kelurahan, progress)], progress)`.
    Pure Python over rows already fetched: no queries.
    """
    gained, rat = gained or {}, rat or {}
    groups, current = [], None
    for kel in kelurahan_rows:
        if current is None or current[0].pk != kel.kecamatan_id:
            current = (kel.kecamatan, [])
            groups.append(current)
        progress = Progress.of(kel, campaign, today, gained.get(kel.pk, 0))
        progress.capital = Capital.of(kel, today, rat_on=rat.get(kel.pk))
        current[1].append((kel, progress))
    summed = []
    for kec, rows in groups:
        subtotal = Progress.sum((p for _, p in rows), campaign, today)
        subtotal.capital = Capital.sum(p.capital for _, p in rows)
        summed.append((kec, rows, subtotal))
    total = Progress.sum((t for _, _, t in summed), campaign, today)
    total.capital = Capital.sum(t.capital for _, _, t in summed)
    return summed, total
