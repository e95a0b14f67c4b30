"""Existing DKUMKMP reviewers keep what they read before region grants: every kelurahan in the
database then. Each reviewer (permission `members.view_all_kelurahan`, through a group or their
own) is granted every kabupaten/kota that has kelurahan now: in Balikpapan's deployment, Kota
Balikpapan. Not the whole country: loading the national tree later must not widen their view."""

from django.db import migrations
from django.db.models import Q


def grant(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Permission = apps.get_model("auth", "Permission")
    KabupatenKota = apps.get_model("kelurahan", "KabupatenKota")
    RegionGrant = apps.get_model("kelurahan", "RegionGrant")
    permission = Permission.objects.filter(content_type__app_label="members", codename="view_all_kelurahan").first()
    if permission is None:
        return
    reviewers = User.objects.filter(Q(user_permissions=permission) | Q(groups__permissions=permission), is_superuser=False).distinct()
    regions = list(KabupatenKota.objects.filter(kecamatan__kelurahan__isnull=False).distinct())
    RegionGrant.objects.bulk_create(
        [RegionGrant(user=user, kabupaten_kota=region) for user in reviewers for region in regions
         if not RegionGrant.objects.filter(user=user, kabupaten_kota=region).exists()]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kelurahan", "0009_regions_active_and_reviewer_grants"),
        ("members", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
