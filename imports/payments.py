"""Importing simpanan payments (setoran) that a cooperative kept in Excel, through the import
pipeline (`pipeline.py`): the same reading, preview, error file, all-or-nothing commit and undo
as households. Registered in `pipeline.IMPORTS` by `ImportsConfig.ready()`.

One row is one payment of one member, who is named by their member number (within the
kelurahan chosen on upload, or the kelurahan the full number names) or their NIK.
`PaymentImport` reads each row's cells (what they mean: `payment_values.py`), has every row
checked in the preview against the register and the ledger (`payment_checks.py`), and at commit
records each row with `koperasi.simpanan.record_payment` in file order (receipt numbers,
balances, activation of an applicant whose simpanan pokok is paid). Undo reverses what it
recorded, or is refused while a later entry depends on it (`payment_undo.py`).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan
from koperasi.models import Entry
from koperasi.simpanan import MAX_WAJIB_MONTHS, record_payment, rupiah
from koperasi.simpanan import batch as simpanan_batch
from members.identity import check_nik
from members.models import Member, MemberStatusChange

from . import payment_checks, payment_undo
from .base import BaseImport, Parsed, Problem
from .models import ImportBatch
from .payment_checks import _chunks
from .payment_values import PAYMENT_ALIASES, kind_of, method_of, parse_amount, parse_date, parse_months
from .table import ImportFileError
from .values import brief, text

# Each row is one `record_payment` (about ten queries under two row locks, ~8 ms on
# PostgreSQL), and undo one `reverse_entry` each: a file is kept to what the worker writes in
# a few minutes. `write_cost` sends all but small files to the task worker (`tasks.py`).
MAX_PAYMENT_ROWS = 20_000


class PaymentImport(BaseImport):
    """Simpanan payments, one row each, recorded in the ledger in file order."""

    kind = ImportBatch.Kind.PAYMENTS
    model = Entry
    key_attnames = ()
    # kelurahan_id first: the preview names it (pipeline.summarise)
    fields = ("kelurahan_id", "member", "kind", "paid_on", "amount", "months", "method", "reference")
    aliases = PAYMENT_ALIASES
    required = ("tanggal", "jenis", "jumlah")
    template_headers = ["nomor_anggota", "nik", "nama", "tanggal", "jenis", "jumlah", "bulan", "cara_bayar", "referensi"]
    template_rows = [
        ["64.71.05.1002-00001", "6471051203900001", "Ahmad Saputra", "2025-09-01", "Simpanan Pokok", 50000, "", "tunai", ""],
        ["64.71.05.1002-00001", "6471051203900001", "Ahmad Saputra", "2025-10-05", "Simpanan Wajib", 30000, 3, "transfer", "TRF-0001"],
    ]
    text_columns = ("A", "B", "D")
    write_cost = 20  # per byte of file, against a household row (tasks.runs_in_background)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.wanted = {}  # row -> (member number, NIK, name) as the file gives them
        self.member_of = {}  # row -> member id, for the write

    # -- columns
    def member_columns(self):
        return _("nomor_anggota or nik")

    def required_columns(self, columns):
        required = list(self.required)
        if "nomor_anggota" not in columns and "nik" not in columns:
            required.insert(0, self.member_columns())
        return required

    def ident_column(self, raw_number):
        """The column a row's member is read from (for messages)."""
        return "nomor_anggota" if raw_number else "nik"

    # -- the cells of each row
    def parse(self, table):
        columns = self.columns(table)
        self.present = set(columns.index)
        label, get = columns.label, columns.get
        parsed = Parsed(layout=ImportBatch.Layout.PAYMENT_LIST)
        today = timezone.localdate()
        for number, row, problems in self.rows(table, columns):
            parsed.rows_total += 1
            if parsed.rows_total > MAX_PAYMENT_ROWS:
                raise ImportFileError(_(
                    "The file has more than %(max)s payments. Split it into smaller files (for example one per "
                    "half-year) and import them one after the other, in date order."
                ) % {"max": f"{MAX_PAYMENT_ROWS:,}"})
            if parsed.rows_total % 1000 == 0:
                self.progress("check", parsed.rows_total, table.estimated_rows)

            def problem(column, message):
                problems.append(Problem(number, label(column), str(message)))

            raw_number = text(get(row, "nomor_anggota"))
            raw_nik = get(row, "nik")
            nik = ""
            identified = True
            if len(raw_number) > 40:
                problem("nomor_anggota", _("'%(value)s' is not a member number.") % {"value": brief(raw_number)})
                identified = False
            if text(raw_nik):
                check = check_nik(raw_nik, today=today, warnings=False)
                for error in check.errors:
                    problem("nik", error)
                    identified = False
                nik = check.value
            if not raw_number and not text(raw_nik):
                problem("nomor_anggota" if "nomor_anggota" in self.present else "nik", _("The member is missing: give the member number (nomor anggota) or the NIK."))
                identified = False
            if identified:
                self.wanted[number] = (raw_number, nik, text(get(row, "nama")))

            raw_date = get(row, "tanggal")
            paid_on = parse_date(raw_date)
            if not text(raw_date):
                problem("tanggal", _("The date is missing."))
            elif paid_on is None:
                problem("tanggal", _("'%(value)s' is not a date; write it as 2025-08-19 or 19/08/2025.") % {"value": brief(text(raw_date))})
            elif paid_on > today:
                problem("tanggal", _("The date %(value)s is in the future (today is %(today)s).")
                        % {"value": paid_on.strftime("%d-%m-%Y"), "today": today.strftime("%d-%m-%Y")})

            raw_kind = get(row, "jenis")
            kind = kind_of(raw_kind)
            if kind is None:
                if not text(raw_kind):
                    problem("jenis", _("The kind of simpanan is missing: write pokok, wajib or sukarela."))
                else:
                    problem("jenis", _("'%(value)s' is not a kind of simpanan: write pokok, wajib or sukarela.") % {"value": brief(text(raw_kind))})

            amount, wrong = parse_amount(get(row, "jumlah"))
            if wrong:
                problem("jumlah", wrong)

            months, wrong = parse_months(get(row, "bulan"))
            if wrong:
                problem("bulan", wrong)
            elif kind and kind != Entry.Kind.WAJIB and months:
                problem("bulan", _("Months are counted for simpanan wajib only; leave the cell empty for this payment."))
            elif kind == Entry.Kind.WAJIB and months is not None and not 1 <= months <= MAX_WAJIB_MONTHS:
                problem("bulan", _("One payment covers 1 to %(max)d months of simpanan wajib.") % {"max": MAX_WAJIB_MONTHS})

            raw_method = get(row, "cara_bayar")
            method = method_of(raw_method)
            if method is None:
                problem("cara_bayar", _("'%(value)s' is not a way of paying: write tunai, transfer or qris (empty: tunai).")
                        % {"value": brief(text(raw_method))})

            reference = text(get(row, "referensi"))
            if len(reference) > 100:
                problem("referensi", _("The reference is longer than 100 characters."))

            if problems:
                parsed.problems += problems
                continue
            parsed.records[number] = (None, "", kind, paid_on, amount, months, method, reference)
            parsed.rows[number] = number
        return parsed

    # -- the rows against the register and the ledger
    def key_problems(self, parsed):
        """Every row against the register and the ledger (`payment_checks.check_rows`)."""
        return payment_checks.check_rows(self, parsed)

    def existing(self, keys):
        return iter(())  # every payment is new

    def snapshot(self, values):
        """A payment as the preview shows it."""
        kelurahan_id, member, kind, paid_on, amount, months, method, reference = values
        return {
            "kelurahan_id": kelurahan_id,
            "member": member,
            "kind": str(Entry.Kind(kind).label) if kind else "",
            "paid_on": paid_on.strftime("%d-%m-%Y") if isinstance(paid_on, date) else paid_on,
            "amount": rupiah(amount) if amount else "",
            "months": months or "",
            "method": str(Entry.Method(method).label) if method else "",
            "reference": reference,
        }

    # -- writing
    def write(self, plan, batch):
        """Every payment with `record_payment`, in file order, in the pipeline's transaction:
        receipt numbers, balances and the activation of applicants follow from it."""
        by = self.user or batch.committed_by or batch.created_by
        kelurahan_ids = sorted({values[0] for _key, values in plan.new})
        # Lock the cooperatives (in id order, as every ledger write locks its cooperative first)
        # for the whole import: no officer records a payment in them until it commits.
        list(Kelurahan.objects.select_for_update().filter(pk__in=kelurahan_ids).order_by("pk").values_list("pk"))
        members = {}
        for chunk in _chunks({self.member_of[key] for key, _values in plan.new}):
            members.update(Member.objects.select_related("kelurahan").in_bulk(chunk))
        applicants = {pk for pk, m in members.items() if m.is_applicant}
        activated = []
        total = len(plan.new)
        with simpanan_batch():  # the dashboard's capital counters once, at the end
            self._write_rows(plan, batch, by, members, applicants, activated, total)
        batch.activated_members = activated  # saved by pipeline.commit

    def _write_rows(self, plan, batch, by, members, applicants, activated, total):
        for done, (key, values) in enumerate(plan.new, 1):
            _kelurahan_id, _label, kind, paid_on, amount, months, method, reference = values
            member = members[self.member_of[key]]
            try:
                record_payment(member=member, kind=kind, paid_on=paid_on, amount=amount, months=months or 1, method=method,
                               reference=reference, by=by, import_batch_id=batch.pk)
            except ValidationError as exc:
                # Checked in this transaction a moment ago: only a payment recorded in between
                # (an officer, before the cooperative's row was locked) gets here.
                problem = Problem(key, "", " ".join(exc.messages))
                raise ImportFileError(_(
                    "The ledger changed while the file was being imported (%(problem)s). Nothing was imported; "
                    "upload the file again to check it against the ledger as it is now."
                ) % {"problem": problem}) from None
            if kind == Entry.Kind.POKOK and member.pk in applicants:
                if Member.objects.filter(pk=member.pk, status=Member.Status.AKTIF).exists():
                    applicants.discard(member.pk)
                    change = MemberStatusChange.objects.filter(member_id=member.pk, status=Member.Status.AKTIF).latest("pk")
                    activated.append([member.pk, member.joined_on.isoformat(), change.pk])
            if done % 100 == 0 or done == total:
                self.progress("write", done, total)

    # -- undo
    def prepare_undo(self, batch, changes):
        """Lock the cooperatives and members, then refuse (changing nothing) while a later entry
        or change depends on what the import recorded (`payment_undo.entries_to_reverse`)."""
        self.todo, self.undone_kelurahan = payment_undo.entries_to_reverse(batch)

    def finish_undo(self, batch):
        """Reverse every entry, then make the applicants the import activated applicants again
        (`payment_undo.reverse_payments`)."""
        payment_undo.reverse_payments(batch, todo=self.todo, kelurahan_ids=self.undone_kelurahan, by=self.user)
