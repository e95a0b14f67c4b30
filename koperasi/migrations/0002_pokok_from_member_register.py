"""The simpanan pokok the member register held (amount and date on the member) becomes the
first entry of each member's ledger, with a receipt number, before the register's columns go
(members 0011). Backwards: the amounts go back onto the members."""

from django.db import migrations
from django.db.models import Max, Sum


def forwards(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Entry = apps.get_model("koperasi", "Entry")
    Account = apps.get_model("koperasi", "Account")
    Cooperative = apps.get_model("koperasi", "Cooperative")
    paid = (Member.objects.filter(simpanan_pokok__gt=0).select_related("kelurahan")
            .order_by("kelurahan_id", "member_seq"))
    seq, entries, accounts = {}, [], []
    for member in paid.iterator(chunk_size=2000):
        n = seq[member.kelurahan_id] = seq.get(member.kelurahan_id, 0) + 1
        entries.append(Entry(
            member_id=member.pk, kelurahan_id=member.kelurahan_id, kind="pokok", type="setoran",
            amount=member.simpanan_pokok, months=0, paid_on=member.simpanan_pokok_paid_on, method="tunai",
            reason="Dicatat di daftar anggota", receipt_seq=n, receipt_number=f"KW-{member.kelurahan.kode}-{n:06d}",
        ))
        required = Cooperative.objects.filter(kelurahan_id=member.kelurahan_id).values_list("pokok_amount", flat=True).first() or 50_000
        accounts.append(Account(
            member_id=member.pk, kelurahan_id=member.kelurahan_id, pokok=member.simpanan_pokok,
            pokok_paid_on=member.simpanan_pokok_paid_on if member.simpanan_pokok >= required else None,
        ))
    Entry.objects.bulk_create(entries, batch_size=2000)
    Account.objects.bulk_create(accounts, batch_size=2000)


def backwards(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Entry = apps.get_model("koperasi", "Entry")
    for row in Entry.objects.filter(kind="pokok").values("member_id").annotate(total=Sum("amount"), last=Max("paid_on")):
        if row["total"] > 0:
            Member.objects.filter(pk=row["member_id"]).update(simpanan_pokok=row["total"], simpanan_pokok_paid_on=row["last"])


class Migration(migrations.Migration):
    dependencies = [
        ("koperasi", "0001_initial"),
        ("members", "0010_member_rt_joined_index"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
