"""Fill the new counters for existing databases, set-based: each kelurahan's current household
count (the latest `HouseholdCount`) on its counter row, and the KK terwakili history
(`RepresentedDay`) from the members' join and leave dates (the SQL of
`kelurahan.counters._history_select`, copied here as it stands today)."""

from django.db import migrations
from django.db.models import Count, Q

HISTORY = """
    INSERT INTO kelurahan_representedday (kelurahan_id, day, kk_terwakili, change)
    WITH events AS (
        SELECT kelurahan_id AS k, household_id AS h, joined_on AS d, 1 AS e FROM members_member WHERE {where}
        UNION ALL
        SELECT kelurahan_id, household_id, left_on, -1 FROM members_member WHERE {where} AND left_on IS NOT NULL
    ),
    per_day AS (SELECT k, h, d, SUM(e) AS e FROM events GROUP BY k, h, d),
    running AS (
        SELECT k, h, d, CASE WHEN SUM(e) OVER (PARTITION BY k, h ORDER BY d) > 0 THEN 1 ELSE 0 END AS r FROM per_day
    ),
    changes AS (SELECT k, d, r - COALESCE(LAG(r) OVER (PARTITION BY k, h ORDER BY d), 0) AS c FROM running),
    net AS (SELECT k, d, SUM(c) AS c FROM changes GROUP BY k, d HAVING SUM(c) <> 0)
    SELECT k, d, SUM(c) OVER (PARTITION BY k ORDER BY d) AS v, c FROM net
""".format(where="(status = 'aktif' OR left_on IS NOT NULL) AND household_id IS NOT NULL AND (left_on IS NULL OR left_on > joined_on)")

LATEST = "(SELECT hc.{field} FROM kelurahan_householdcount hc WHERE hc.kelurahan_id = kelurahan_kelurahancounter.kelurahan_id ORDER BY hc.as_of DESC LIMIT 1)"
HOUSEHOLD_COUNTS = (
    "UPDATE kelurahan_kelurahancounter SET jumlah_kk = " + LATEST.format(field="count")
    + ", kk_per_tanggal = " + LATEST.format(field="as_of")
    + ", kk_sumber = COALESCE(" + LATEST.format(field="source") + ", '')"
)


def fill(apps, schema_editor):
    Kelurahan = apps.get_model("kelurahan", "Kelurahan")
    KelurahanCounter = apps.get_model("kelurahan", "KelurahanCounter")
    active = Q(members__status="aktif")
    missing = Kelurahan.objects.filter(counter__isnull=True).order_by().annotate(
        kk=Count("members__household", filter=active & Q(members__household__isnull=False), distinct=True),
        heads=Count("members", filter=active & Q(members__is_head_of_household=True)),
        aktif=Count("members", filter=active),
    ).values_list("pk", "kk", "heads", "aktif")
    KelurahanCounter.objects.bulk_create(
        [KelurahanCounter(kelurahan_id=pk, kk_terwakili=kk, anggota_kepala_keluarga=h, anggota_aktif=a) for pk, kk, h, a in missing],
        batch_size=2000,
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(HOUSEHOLD_COUNTS)
        cursor.execute("DELETE FROM kelurahan_representedday")
        cursor.execute(HISTORY)


def empty(apps, schema_editor):
    apps.get_model("kelurahan", "RepresentedDay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("kelurahan", "0006_counter_household_count_and_history"), ("members", "0009_member_left_on_index")]
    operations = [migrations.RunPython(fill, empty)]
