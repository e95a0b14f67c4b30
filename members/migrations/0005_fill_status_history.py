"""Give every member registered before the status history its first entries: active from the
joining date and, for those who left, the leaving status from the leaving date."""

from django.db import migrations


def fill(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    MemberStatusChange = apps.get_model("members", "MemberStatusChange")
    batch = []
    for pk, status, joined_on, left_on in Member.objects.values_list("pk", "status", "joined_on", "left_on").iterator():
        batch.append(MemberStatusChange(member_id=pk, status="aktif", on=joined_on))
        if left_on:
            batch.append(MemberStatusChange(member_id=pk, status=status, on=left_on))
        if len(batch) >= 5000:
            MemberStatusChange.objects.bulk_create(batch)
            batch = []
    MemberStatusChange.objects.bulk_create(batch)


def empty(apps, schema_editor):
    apps.get_model("members", "MemberStatusChange").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0004_member_calon_status_history")]

    operations = [migrations.RunPython(fill, empty)]
