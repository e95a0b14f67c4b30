"""The dashboard's queries over a Kelurahan queryset (already scoped by `for_user`): each
kelurahan with its figures, and the figures summed per region. One query each, reading the
counter rows `dashboard.counters` keeps.
"""

from datetime import timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Sum
from django.db.models.functions import Coalesce, Substr

from .models import RepresentedDay, _in_campaign


def for_dashboard(kelurahan, campaign=None):
    """Kelurahan with the figures of the progress dashboard (`dashboard:dashboard`).

    One query: the current household count (value, date, source), the member figures and the
    members' simpanan from the counters kept by `dashboard.counters` (None / 0 when a
    kelurahan has no counter row yet) with the cooperative's simpanan wajib rules, and
    whether `campaign` applies to the kelurahan (`in_campaign`).
    """
    return (
        kelurahan.select_related("kecamatan__kabupaten_kota")
        .annotate(
            jumlah_kk=F("counter__jumlah_kk"),
            per_tanggal=F("counter__kk_per_tanggal"),
            sumber=F("counter__kk_sumber"),
            kk_terwakili=Coalesce(F("counter__kk_terwakili"), 0),
            anggota_kepala_keluarga=Coalesce(F("counter__anggota_kepala_keluarga"), 0),
            anggota_aktif=Coalesce(F("counter__anggota_aktif"), 0),
            simpanan_pokok=Coalesce(F("counter__simpanan_pokok"), 0),
            simpanan_wajib=Coalesce(F("counter__simpanan_wajib"), 0),
            simpanan_sukarela=Coalesce(F("counter__simpanan_sukarela"), 0),
            wajib_next=F("counter__wajib_next"),
            wajib_due_day=F("cooperative__wajib_due_day"),
            arrears_months=F("cooperative__arrears_months"),
            in_campaign=_in_campaign(campaign),
        )
        .order_by("kecamatan__kode", "kode")
    )


# A level's Kemendagri code is the start of each of its kelurahan's codes (`64.71.05.1010` is in
# kecamatan 64.71.05, kabupaten/kota 64.71, province 64: the loader keeps codes so), so the
# roll-ups group on the kelurahan's own code and never join its kecamatan and kabupaten/kota.
CODE_LENGTH = {"kecamatan__kabupaten_kota__provinsi": 2, "kecamatan__kabupaten_kota": 5, "kecamatan": 8}


def rollup(queryset, campaign, by, today=None, days=7):
    """The dashboard's figures summed per `by` (e.g. `kecamatan__kabupaten_kota`): the
    province page (`dashboard:dashboard_rollup`) and the national roll-up. One query,
    reading each kelurahan once with its counter row (current household count, member
    figures) and, with `today`, the KK gained in the last `days` days (the sum of the
    `RepresentedDay` changes in that window, summed per kelurahan first); targets are
    rounded up per kelurahan, as `target_for` does.

    Returns {key: {jumlah_kk, target, without_count, in_campaign, kk_terwakili,
    anggota_kepala_keluarga, anggota_aktif, gained_7d}}, the key being the region's code
    (`CODE_LENGTH`: from the kelurahan's own code, no join); `target` is None where no
    kelurahan is in the campaign."""
    percent = campaign.percent if campaign else 0
    # one row per kelurahan (the ORM writes the joins and the queryset's filters) ...
    everywhere = not queryset.query.where  # the national roll-up: the campaign's list hashed once
    kelurahan = queryset.order_by().annotate(
        r_pk=F("pk"), r_key=Substr("kode", 1, CODE_LENGTH[by]), r_in=_in_campaign(campaign, every=everywhere),
        r_kk=F("counter__jumlah_kk"), r_terwakili=F("counter__kk_terwakili"),
        r_heads=F("counter__anggota_kepala_keluarga"), r_aktif=F("counter__anggota_aktif"),
    ).values("r_pk", "r_key", "r_in", "r_kk", "r_terwakili", "r_heads", "r_aktif")
    try:
        inner, params = kelurahan.query.sql_with_params()
    except EmptyResultSet:  # e.g. `.none()`
        return {}
    history = RepresentedDay.objects.order_by()
    if not everywhere:  # only these kelurahan's rows (all: no semi-join needed)
        history = history.filter(kelurahan__in=queryset.values("pk"))
    if today is None:
        history = history.filter(day__isnull=True)  # none: no gain asked for
    else:
        history = history.filter(day__gt=today - timedelta(days=days), day__lte=today)
    # PostgreSQL: `OFFSET 0` keeps the per-kelurahan subquery from being flattened into the sums,
    # so a listed campaign's membership (r_in) is found once per row, not once per CASE using it
    # (a province with the national campaign: its 84,000 listed ids hashed once, not twice;
    # the query 81 -> 62 ms in EXPLAIN ANALYZE)
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""

    def sums(gain_sum="", gain_join=""):
        return f"""
            SELECT k.r_key, COUNT(*) AS n, SUM(CASE WHEN k.r_in THEN 1 ELSE 0 END) AS n_in,
                   SUM(k.r_kk) AS kk, COUNT(k.r_kk) AS with_count,
                   SUM(CASE WHEN k.r_in THEN (k.r_kk * %s + 99) / 100 END) AS target,
                   COALESCE(SUM(k.r_terwakili), 0) AS terwakili, COALESCE(SUM(k.r_heads), 0) AS heads,
                   COALESCE(SUM(k.r_aktif), 0) AS aktif{gain_sum}
            FROM ({inner}{fence}) k{gain_join} GROUP BY k.r_key
        """

    if everywhere:
        # the whole country: the gain summed per region straight from the window's history rows
        # (the region's code from each row's kelurahan: ~130,000 rows into 38 provinces), joined
        # once per region, not summed per kelurahan and joined to 84,000 rows
        gain, gain_params = (
            history.annotate(g_key=Substr("kelurahan__kode", 1, CODE_LENGTH[by])).values("g_key")
            .annotate(gain=Sum("change")).values("g_key", "gain").query.sql_with_params()
        )
        sql = f"""
            WITH gain AS ({gain}), sums AS ({sums()})
            SELECT sums.*, COALESCE(gain.gain, 0) FROM sums LEFT JOIN gain ON gain.g_key = sums.r_key
        """
    else:
        # some kelurahan (a province): their history rows through the kelurahan index, summed
        # per kelurahan and joined to them
        gain, gain_params = history.values("kelurahan_id").annotate(gain=Sum("change")).values("kelurahan_id", "gain").query.sql_with_params()
        sql = f"""
            WITH gain AS ({gain})
            {sums(", COALESCE(SUM(gain.gain), 0)", " LEFT JOIN gain ON gain.kelurahan_id = k.r_pk")}
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


def rat_for(kelurahan, today):
    """{kelurahan id: date of this year's RAT held with a quorum} (`koperasi.rapat.rat_held`)."""
    from koperasi.rapat import rat_held

    return rat_held(kelurahan, today.year, today=today)
