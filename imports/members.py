"""Importing a cooperative's existing register of members (their Excel buku daftar anggota)
through the import pipeline (`pipeline.py`): the same reading, preview, error file and undo as
households. Registered in `pipeline.IMPORTS` by `ImportsConfig.ready()`.

Only new members are imported: a NIK already registered (anywhere) is reported with its
kelurahan, never merged or updated. Member numbers are given at commit, in file order,
continuing each cooperative's sequence under a lock on its kelurahan row, so they stay
gap-free and never collide with an officer registering at the same moment. Numbers written in
the file (an old register's) are not used. A KK number links the member to that household,
or creates it in the member's kelurahan.
"""

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard import counters
from kelurahan.models import Kelurahan
from koperasi.models import Account, Cooperative, Entry
from koperasi.simpanan import rupiah
from members.identity import check_nik, check_no_kk
from members.models import Household, Member, MemberStatusChange
from members.values import age_on, is_ascii_number, normalise_phone, normalise_rt_rw

from .base import BaseImport, Parsed, Problem, UndoRefused
from .copying import CHUNK, _in_ranges, id_ranges, rows_matching
from .models import ImportBatch, ImportRowChange
from .values import a_date, brief, text, whole_number

MEMBER_ALIASES = {
    **{a: "kode_kelurahan" for a in ("kode_kelurahan", "kode_kel", "kelurahan", "nama_kelurahan", "koperasi")},
    **{a: "nik" for a in ("nik", "no_nik", "nomor_nik", "nik_anggota")},
    **{a: "nama" for a in ("nama", "nama_anggota", "nama_lengkap", "nama_lgkp", "name")},
    **{a: "jenis_kelamin" for a in ("jenis_kelamin", "jk", "l_p", "sex")},
    **{a: "tanggal_lahir" for a in ("tanggal_lahir", "tgl_lahir", "tgl_lhr")},
    **{a: "no_kk" for a in ("no_kk", "nomor_kk", "nkk", "kk")},
    **{a: "kepala_keluarga" for a in ("kepala_keluarga", "kk_kepala", "kepala")},
    **{a: "tanggal_masuk" for a in ("tanggal_masuk", "tgl_masuk", "tanggal_bergabung", "tanggal_daftar")},
    **{a: "status" for a in ("status", "status_anggota")},
    **{a: "telepon" for a in ("telepon", "telp", "no_hp", "hp", "no_telepon", "nomor_hp")},
    **{a: "alamat_ktp" for a in ("alamat_ktp", "alamat")},
    **{a: "alamat_domisili" for a in ("alamat_domisili", "domisili")},
    **{a: "rt" for a in ("rt", "no_rt", "rt_domisili")},
    **{a: "rw" for a in ("rw", "no_rw", "rw_domisili")},
    **{a: "kawin" for a in ("kawin", "status_kawin", "status_perkawinan", "menikah")},
    **{a: "simpanan_pokok" for a in ("simpanan_pokok", "pokok")},
    **{a: "tanggal_simpanan_pokok" for a in ("tanggal_simpanan_pokok", "tgl_simpanan_pokok", "tanggal_bayar_pokok")},
}

YES = {"1", "y", "ya", "yes", "true", "kepala", "kepala keluarga", "v", "x"}
SEX = {"l": "L", "laki-laki": "L", "laki laki": "L", "lk": "L", "p": "P", "perempuan": "P", "pr": "P", "wanita": "P"}
MARRIED = {"1", "y", "ya", "yes", "true", "kawin", "sudah kawin", "menikah", "sudah menikah", "cerai hidup", "cerai mati"}
STATUS = {"": Member.Status.AKTIF, "aktif": Member.Status.AKTIF, "calon": Member.Status.CALON}


class MemberImport(BaseImport):
    kind = ImportBatch.Kind.MEMBERS
    model = Member
    key_attnames = ("nik",)
    # kelurahan_id first: the preview names it (pipeline.summarise)
    fields = (
        "kelurahan_id", "name", "sex", "birth_date", "is_head_of_household", "joined_on", "status", "is_married", "phone",
        "ktp_address", "domicile_address", "domicile_rt", "domicile_rw",
    )
    aliases = MEMBER_ALIASES
    required = ("kode_kelurahan", "nik", "nama", "tanggal_masuk")
    template_headers = [
        "kode_kelurahan", "nik", "nama", "jenis_kelamin", "tanggal_lahir", "no_kk", "kepala_keluarga",
        "tanggal_masuk", "status", "kawin", "telepon", "alamat_ktp", "alamat_domisili", "rt", "rw", "simpanan_pokok",
        "tanggal_simpanan_pokok",
    ]
    template_rows = [[
        "64.71.05.1002", "6471051203900001", "Ahmad Saputra", "L", "1990-03-12", "6471050506150001", "ya",
        "2025-09-01", "aktif", "kawin", "081234567890", "Jl. Mawar 1", "Jl. Mawar 1", "7", "", 50000, "2025-09-01",
    ]]
    text_columns = ("B", "F", "K")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kk_of = {}  # NIK -> KK number, for the write
        self.pokok_of = {}  # NIK -> (amount, date) of the simpanan pokok paid, for the write
        self.pokok_amount = {}  # kelurahan id -> the cooperative's simpanan pokok

    def parse(self, table):
        columns = self.columns(table)
        label, get = columns.label, columns.get
        parsed = Parsed(layout=ImportBatch.Layout.MEMBER_LIST)
        today = timezone.localdate()
        heads = {}  # KK number: the row of its head
        for number, row, problems in self.rows(table, columns):
            parsed.rows_total += 1

            def problem(column, message):
                problems.append(Problem(number, label(column), str(message)))

            raw_kel = get(row, "kode_kelurahan")
            kelurahan_id = self.kelurahan_id(raw_kel)
            if kelurahan_id is None:
                problem("kode_kelurahan", self.unknown_kelurahan(raw_kel))
            nik = check_nik(get(row, "nik"), today=today, warnings=False)
            for error in nik.errors:
                problem("nik", error)
            name = text(get(row, "nama"))
            if not name:
                problem("nama", _("The name is missing."))
            elif len(name) > 150:
                problem("nama", _("The name is longer than 150 characters."))
            raw_sex = text(get(row, "jenis_kelamin")).lower()
            sex = SEX.get(raw_sex, "" if not raw_sex else None)
            if sex is None:
                problem("jenis_kelamin", _("'%(value)s' is not a sex: write L or P.") % {"value": brief(raw_sex)})
            elif not sex and nik.sex:
                sex = nik.sex
            birth_date = self.date_cell(get(row, "tanggal_lahir"), "tanggal_lahir", problem) or nik.birth_date
            joined_on = self.date_cell(get(row, "tanggal_masuk"), "tanggal_masuk", problem, required=True)
            if joined_on and joined_on > today:
                problem("tanggal_masuk", _("The date %(value)s is in the future.") % {"value": joined_on.isoformat()})
            married = text(get(row, "kawin")).lower() in MARRIED
            if birth_date and joined_on and not married and age_on(birth_date, joined_on) < settings.KKMP_MIN_AGE:
                problem("tanggal_lahir", _("A member must be at least %(min)d years old or married; this person is %(age)d.")
                        % {"min": settings.KKMP_MIN_AGE, "age": age_on(birth_date, joined_on)})
            raw_status = text(get(row, "status")).lower()
            status = STATUS.get(raw_status)
            if status is None:
                problem("status", _("'%(value)s' is not a status to import: write aktif or calon (members who left are not imported).")
                        % {"value": brief(raw_status)})
            no_kk = ""
            if text(get(row, "no_kk")):
                kk = check_no_kk(get(row, "no_kk"), nik=nik.value, warnings=False)
                for error in kk.errors:
                    problem("no_kk", error)
                no_kk = kk.value or ""
            is_head = text(get(row, "kepala_keluarga")).lower() in YES
            if is_head and not no_kk and not problems:
                problem("no_kk", _("A head of household needs the KK number."))
            phone = normalise_phone(text(get(row, "telepon")))
            if phone.startswith("8"):  # Excel drops the leading 0 of a number cell
                phone = "0" + phone
            if phone and not (is_ascii_number(phone.lstrip("+")) and 8 <= len(phone.lstrip("+")) <= 15):
                problem("telepon", _("A phone number has 8 to 15 digits, optionally starting with +."))
            rt, rw = normalise_rt_rw(get(row, "rt")), normalise_rt_rw(get(row, "rw"))
            for column, value in (("rt", rt), ("rw", rw)):
                if value and not (is_ascii_number(value) and len(value) == 3):
                    problem(column, _("RT/RW must be a number from 1 to 999 (given: %(value)s).") % {"value": value})
            raw_pokok = get(row, "simpanan_pokok")
            pokok = whole_number(raw_pokok) if text(raw_pokok) else None
            if text(raw_pokok) and pokok is None:
                problem("simpanan_pokok", _("'%(value)s' is not a whole number.") % {"value": brief(text(raw_pokok))})
            paid_on = self.date_cell(get(row, "tanggal_simpanan_pokok"), "tanggal_simpanan_pokok", problem)
            if (pokok is None) != (paid_on is None) and not problems:
                problem("simpanan_pokok", _("Give both the simpanan pokok amount and the date it was paid."))
            elif pokok is not None and pokok <= 0:
                problem("simpanan_pokok", _("The amount must be more than Rp 0."))
            elif pokok is not None and kelurahan_id is not None and pokok > self.required_pokok(kelurahan_id):
                problem("simpanan_pokok", _("%(amount)s is more than the cooperative's simpanan pokok (%(required)s).")
                        % {"amount": rupiah(pokok), "required": rupiah(self.required_pokok(kelurahan_id))})
            elif paid_on and paid_on > today:
                problem("tanggal_simpanan_pokok", _("The date %(value)s is in the future.") % {"value": paid_on.isoformat()})
            if problems:
                parsed.problems += problems
                continue
            key = nik.value
            if key in parsed.records:
                parsed.problems.append(Problem(number, label("nik"), _("The same NIK is also on row %(row)s.") % {"row": parsed.rows[key]}))
                continue
            if is_head and no_kk in heads:
                parsed.problems.append(Problem(number, label("kepala_keluarga"), _(
                    "This KK already has its head (kepala keluarga) on row %(row)s: a KK has one head."
                ) % {"row": heads[no_kk]}))
                continue
            if is_head:
                heads[no_kk] = number
            parsed.records[key] = (
                kelurahan_id, name, sex, birth_date, is_head, joined_on, status, married, phone,
                text(get(row, "alamat_ktp"))[:255], text(get(row, "alamat_domisili"))[:255], rt, rw,
            )
            if pokok:
                self.pokok_of[key] = (pokok, paid_on)
            parsed.rows[key] = number
            self.kk_of[key] = no_kk
        return parsed

    def required_pokok(self, kelurahan_id):
        if kelurahan_id not in self.pokok_amount:
            self.pokok_amount[kelurahan_id] = Cooperative.of(Kelurahan.objects.get(pk=kelurahan_id)).pokok_amount
        return self.pokok_amount[kelurahan_id]

    def date_cell(self, value, column, problem, required=False):
        if not text(value):
            if required:
                problem(column, _("The date is missing."))
            return None
        found = a_date(value)
        if found is None:
            problem(column, _("'%(value)s' is not a date; write it as 2025-08-19 or 19/08/2025.") % {"value": brief(text(value))})
        return found

    def key_problems(self, parsed):
        """A NIK already a member anywhere is reported with its kelurahan, not merged."""
        names = dict(Kelurahan.objects.values_list("pk", "nama"))
        problems = []
        for rows in rows_matching(Member, ["nik", "kelurahan_id"], "nik", list(parsed.records)):
            for nik, kelurahan_id in rows:
                problems.append(Problem(parsed.rows[nik], self.label("nik"), _("This NIK is already a member of KKMP %(kelurahan)s.") % {"kelurahan": names.get(kelurahan_id, "?")}))
                del parsed.records[nik]
        # A KK has one head: a head in the file for a KK whose head is already a member is refused.
        heads = {self.kk_of[nik]: nik for nik, values in parsed.records.items() if values[4]}
        kks = list(heads)
        for start in range(0, len(kks), CHUNK):
            known = Member.objects.filter(
                household__no_kk__in=kks[start:start + CHUNK], is_head_of_household=True, status__in=Member.CURRENT
            ).values_list("household__no_kk", "member_number")
            for kk, number in known:
                nik = heads[kk]
                problems.append(Problem(parsed.rows[nik], self.label("kepala_keluarga"), _(
                    "This KK already has its head (kepala keluarga) among the members: member %(number)s."
                ) % {"number": number}))
                del parsed.records[nik]
        return problems

    def existing(self, keys):
        return iter(())  # every remaining row is new (known NIKs are problems)

    def write(self, plan, batch):
        """Households first (linked or created by KK number), then the members with the next
        member numbers of their cooperative, their first status, and the undo record."""
        now = timezone.now()
        new = plan.new
        kelurahan_ids = sorted({values[0] for _key, values in new})
        # Lock the cooperatives (in id order, as register_member does) while numbers are chosen.
        list(Kelurahan.objects.select_for_update().filter(pk__in=kelurahan_ids).order_by("pk").values_list("pk"))
        last = dict(
            Member.objects.filter(kelurahan_id__in=kelurahan_ids).values("kelurahan_id")
            .annotate(last=Max("member_seq")).values_list("kelurahan_id", "last")
        )
        kode = dict(Kelurahan.objects.filter(pk__in=kelurahan_ids).values_list("pk", "kode"))
        households = self.link_households(new, now)
        total, done = len(new), 0
        for start in range(0, len(new), CHUNK):
            members = []
            for nik, values in new[start:start + CHUNK]:
                member = Member(nik=nik, **dict(zip(self.fields, values)))
                seq = last.get(member.kelurahan_id, 0) + 1
                last[member.kelurahan_id] = seq
                member.member_seq = seq
                member.member_number = settings.KKMP_MEMBER_NUMBER_PATTERN.format(kode=kode[member.kelurahan_id], seq=seq)
                member.household_id = households.get(self.kk_of.get(nik))
                member.created_at = member.updated_at = now
                members.append(member)
            Member.objects.bulk_create(members, batch_size=2000)
            MemberStatusChange.objects.bulk_create(
                [MemberStatusChange(member=m, status=m.status, on=m.joined_on, reason=_("import #%(batch)s") % {"batch": batch.pk},
                                    recorded_by=batch.committed_by or batch.created_by) for m in members],
                batch_size=2000,
            )
            ImportRowChange.objects.bulk_create([ImportRowChange(batch=batch, object_id=m.pk, before=None) for m in members], batch_size=5000)
            self.write_pokok(members, batch)
            done += len(members)
            self.progress("write", done, total)
        batch.created_households = self.created_households  # saved by pipeline.commit
        counters.refresh(kelurahan_ids)  # the dashboard's figures, in this transaction

    def write_pokok(self, members, batch):
        """The simpanan pokok the file records, as each member's first ledger entry (with the
        next receipt numbers of their cooperative, whose row is locked) and their balance."""
        paid = [m for m in members if m.nik in self.pokok_of]
        if not paid:
            return
        receipts = getattr(self, "receipts", None)
        if receipts is None:
            ids = sorted({m.kelurahan_id for m in members} | set(self.pokok_amount))
            receipts = self.receipts = dict(Entry.objects.filter(kelurahan_id__in=ids).values("kelurahan_id")
                                            .annotate(last=Max("receipt_seq")).values_list("kelurahan_id", "last"))
        kode = dict(Kelurahan.objects.filter(pk__in={m.kelurahan_id for m in paid}).values_list("pk", "kode"))
        entries, accounts = [], []
        by = batch.committed_by or batch.created_by
        for m in paid:
            amount, on = self.pokok_of[m.nik]
            seq = receipts[m.kelurahan_id] = receipts.get(m.kelurahan_id, 0) + 1
            entries.append(Entry(
                member=m, kelurahan_id=m.kelurahan_id, kind=Entry.Kind.POKOK, amount=amount, paid_on=on,
                reason=_("import #%(batch)s") % {"batch": batch.pk}, receipt_seq=seq,
                receipt_number=f"KW-{kode[m.kelurahan_id]}-{seq:06d}", import_batch_id=batch.pk, recorded_by=by,
            ))
            full = amount >= self.required_pokok(m.kelurahan_id)
            accounts.append(Account(member=m, kelurahan_id=m.kelurahan_id, pokok=amount, pokok_paid_on=on if full else None))
        Entry.objects.bulk_create(entries, batch_size=2000)
        Account.objects.bulk_create(accounts, batch_size=2000)

    def link_households(self, new, now):
        """{KK number: household id}: the known households, and new ones for unknown KK numbers
        (in the member's kelurahan, with the head's name and NIK when the head is in the file)."""
        wanted = {}
        for nik, values in new:
            kk = self.kk_of.get(nik)
            if kk:
                head = wanted.setdefault(kk, {"kelurahan_id": values[0], "head_name": "", "head_nik": ""})
                if values[4]:  # is_head_of_household
                    head.update(head_name=values[1], head_nik=nik)
        found = {}
        for rows in rows_matching(Household, ["no_kk", "id"], "no_kk", list(wanted)):
            found.update(rows)
        created = [
            Household(no_kk=kk, created_at=now, updated_at=now, **values) for kk, values in wanted.items() if kk not in found
        ]
        Household.objects.bulk_create(created, batch_size=2000)
        found.update((h.no_kk, h.pk) for h in created)
        self.created_households = id_ranges([h.pk for h in created])
        return found

    def prepare_undo(self, batch, changes):
        """Undo deletes the imported members: refused once one of them was changed, or once a
        member was registered after them in the same cooperative (the numbers would have a gap)."""
        ids = list(changes.values_list("object_id", flat=True))
        members = Member.objects.filter(pk__in=ids)
        self.undone_kelurahan = sorted(set(members.values_list("kelurahan_id", flat=True)))
        changed = members.filter(updated_at__gt=batch.committed_at).count()
        if changed:
            raise UndoRefused(_("%(n)d imported member(s) were changed after this import; undo is no longer possible.") % {"n": changed})
        for kelurahan_id, first in members.values("kelurahan_id").annotate(first=Min("member_seq")).values_list("kelurahan_id", "first"):
            later = Member.objects.filter(kelurahan_id=kelurahan_id, member_seq__gt=first).exclude(pk__in=ids)
            if later.exists():
                raise UndoRefused(
                    _("Members were registered in KKMP %(kelurahan)s after this import; undoing it would leave gaps in the member numbers.")
                    % {"kelurahan": Kelurahan.objects.get(pk=kelurahan_id).nama}
                )
        later = Entry.objects.filter(member_id__in=ids).exclude(import_batch_id=batch.pk)
        if later.exists():
            raise UndoRefused(_("Simpanan was recorded for imported members after this import; undo is no longer possible."))
        imported = Entry.objects.filter(import_batch_id=batch.pk)
        for kelurahan_id, first in imported.values("kelurahan_id").annotate(first=Min("receipt_seq")).values_list("kelurahan_id", "first"):
            if Entry.objects.filter(kelurahan_id=kelurahan_id, receipt_seq__gt=first).exclude(import_batch_id=batch.pk).exists():
                raise UndoRefused(_("Receipts were issued after this import; undoing it would leave gaps in the receipt numbers."))
        imported.delete()
        Account.objects.filter(member_id__in=ids).delete()
        MemberStatusChange.objects.filter(member_id__in=ids).delete()

    def finish_undo(self, batch):
        """The households this import created for unknown KK numbers go too, unless someone
        has joined them or changed them since."""
        for rows in _in_ranges("pk", batch.created_households):
            Household.objects.filter(rows, members__isnull=True, updated_at__lte=batch.committed_at).delete()
        counters.refresh(self.undone_kelurahan)  # the dashboard's figures, in this transaction
