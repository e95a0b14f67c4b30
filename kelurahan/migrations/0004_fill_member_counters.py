"""Fill the member counters from the members already registered (see kelurahan/counters.py)."""

from django.db import migrations
from django.db.models import Count, Q


def fill(apps, schema_editor):
    Kelurahan = apps.get_model("kelurahan", "Kelurahan")
    KelurahanCounter = apps.get_model("kelurahan", "KelurahanCounter")
    active = Q(members__status="aktif")
    rows = Kelurahan.objects.order_by().annotate(
        kk=Count("members__household", filter=active & Q(members__household__isnull=False), distinct=True),
        heads=Count("members", filter=active & Q(members__is_head_of_household=True)),
        aktif=Count("members", filter=active),
    ).values_list("pk", "kk", "heads", "aktif")
    KelurahanCounter.objects.bulk_create(
        [KelurahanCounter(kelurahan_id=pk, kk_terwakili=kk, anggota_kepala_keluarga=h, anggota_aktif=a) for pk, kk, h, a in rows],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("kelurahan", "0003_balikpapan_campaign"), ("members", "0003_member_name_trigram")]
    operations = [migrations.RunPython(fill, lambda apps, schema_editor: apps.get_model("kelurahan", "KelurahanCounter").objects.all().delete())]
