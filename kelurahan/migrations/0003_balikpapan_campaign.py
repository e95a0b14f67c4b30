"""The first target campaign: 10% of the households of every kelurahan of Kota Balikpapan.

DKUMKMP set the target on 19 August 2025 and wants it met within one to two months: the
campaign runs to 19 October 2025 (two months). Change or add campaigns in the admin.
"""

from datetime import date

from django.db import migrations

NAME = "Balikpapan 10% KK"


def create(apps, schema_editor):
    Campaign = apps.get_model("kelurahan", "Campaign")
    if not Campaign.objects.filter(name=NAME).exists():
        Campaign.objects.create(
            name=NAME, percent=10, starts_on=date(2025, 8, 19), deadline=date(2025, 10, 19), wilayah_kode="64.71"
        )


def remove(apps, schema_editor):
    apps.get_model("kelurahan", "Campaign").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("kelurahan", "0002_campaigns_and_member_counters")]
    operations = [migrations.RunPython(create, remove)]
