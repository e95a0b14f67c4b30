"""Importing simpanan payments (setoran) that a cooperative kept in Excel, through the import
pipeline (`pipeline.py`): the same reading, preview, error file, all-or-nothing commit and undo
as households. Registered in `pipeline.IMPORTS` by `ImportsConfig.ready()`.

One row is one payment of one member, who is named by their member number (within the
kelurahan chosen on upload, or the kelurahan the full number names) or their NIK. Every row is
checked in the preview against the ledger as it is plus the earlier rows of the same file, with
the rules `koperasi.simpanan.record_payment` applies (a simpanan pokok is paid once and up to the
cooperative's amount, simpanan wajib in whole months by active members, no payment for a former
member, no date in the future or before the member registered), so that the commit, which
records each row with `record_payment` in file order (receipt numbers, balances, activation of
an applicant whose simpanan pokok is paid), finds nothing to refuse.

The ledger is append-only, so undo reverses every entry the import made (`reverse_entry`, reason
"import <id> undone"), makes the applicants it activated applicants again, and is refused,
changing nothing, while a later entry depends on them (a withdrawal the deposits paid for, a
later simpanan pokok or wajib, a change of status, an office or a meeting attended since).
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan
from koperasi.amounts import parse_rupiah
from koperasi.models import Account, Attendance, Cooperative, Entry, Officer
from koperasi.simpanan import MAX_WAJIB_MONTHS, record_payment, reverse_entry, rupiah
from koperasi.simpanan import batch as simpanan_batch
from members.identity import check_nik
from members.models import Member, MemberStatusChange
from members.signals import members_changed

from .base import BaseImport, Parsed, Problem, UndoRefused
from .models import ImportBatch
from .table import ImportFileError
from .values import a_date, brief, text

PAYMENT_ALIASES = {
    **{a: "nomor_anggota" for a in (
        "nomor_anggota", "no_anggota", "nomor_induk_anggota", "no_induk_anggota", "no_induk", "nia", "no_agt",
        "member_number", "nomor_anggota_koperasi",
    )},
    **{a: "nik" for a in ("nik", "no_nik", "nomor_nik", "nik_anggota")},
    **{a: "nama" for a in ("nama", "nama_anggota", "nama_lengkap", "name")},
    **{a: "tanggal" for a in (
        "tanggal", "tgl", "tanggal_bayar", "tgl_bayar", "tanggal_setor", "tgl_setor", "tanggal_setoran", "tgl_setoran",
        "tanggal_pembayaran", "tanggal_transaksi", "tgl_transaksi", "date", "paid_on",
    )},
    **{a: "jenis" for a in ("jenis", "jenis_simpanan", "simpanan", "jenis_setoran", "kind")},
    **{a: "jumlah" for a in (
        "jumlah", "jumlah_rp", "jumlah_setoran", "jumlah_bayar", "nominal", "nominal_rp", "setoran", "besar_setoran",
        "rupiah", "amount",
    )},
    **{a: "bulan" for a in ("bulan", "jumlah_bulan", "jml_bulan", "banyak_bulan", "months")},
    **{a: "cara_bayar" for a in (
        "cara_bayar", "cara_pembayaran", "metode", "metode_bayar", "metode_pembayaran", "via", "method",
    )},
    **{a: "referensi" for a in (
        "referensi", "no_referensi", "nomor_referensi", "ref", "no_ref", "reference", "no_transaksi", "nomor_transaksi",
    )},
}

KINDS = {
    "pokok": Entry.Kind.POKOK, "sp": Entry.Kind.POKOK, "principal": Entry.Kind.POKOK,
    "wajib": Entry.Kind.WAJIB, "sw": Entry.Kind.WAJIB, "iuran wajib": Entry.Kind.WAJIB, "mandatory": Entry.Kind.WAJIB,
    "sukarela": Entry.Kind.SUKARELA, "ss": Entry.Kind.SUKARELA, "voluntary": Entry.Kind.SUKARELA,
}
_KIND_PREFIX = re.compile(r"^(simpanan|simp\.?|setoran|s\.)\s*")
METHODS = {
    "": Entry.Method.TUNAI, "tunai": Entry.Method.TUNAI, "uang tunai": Entry.Method.TUNAI, "cash": Entry.Method.TUNAI,
    "kontan": Entry.Method.TUNAI, "kas": Entry.Method.TUNAI,
    "transfer": Entry.Method.TRANSFER, "transfer bank": Entry.Method.TRANSFER, "bank transfer": Entry.Method.TRANSFER,
    "bank": Entry.Method.TRANSFER, "tf": Entry.Method.TRANSFER, "trf": Entry.Method.TRANSFER, "tranfer": Entry.Method.TRANSFER,
    "qris": Entry.Method.QRIS, "qr": Entry.Method.QRIS, "qr code": Entry.Method.QRIS,
}

# Each row is one `record_payment` (about ten queries under two row locks, ~8 ms on
# PostgreSQL), and undo one `reverse_entry` each: a file is kept to what the worker writes in
# a few minutes. `write_cost` sends all but small files to the task worker (`tasks.py`).
MAX_PAYMENT_ROWS = 20_000
IN = 900  # values per IN (...) query (SQLite's limit on parameters)

_DATETIME_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00(\.0+)?)?$")


def _chunks(values, size=IN):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def parse_amount(value):
    """(rupiah, None) or (None, what is wrong) for an amount cell, read as the payment form reads
    an amount (`koperasi.amounts.parse_rupiah`): a number from a workbook; "50000", "50.000",
    "Rp 50.000", "Rp50.000,-", "50.000,00" or Excel's "5E+04" from a CSV."""
    try:
        return parse_rupiah(value), None
    except ValidationError as exc:
        return None, exc.messages[0]


def parse_months(value):
    """(months, None), (None, None) for an empty cell, or (None, what is wrong)."""
    if isinstance(value, bool):
        return None, _("'%(value)s' is not a number of months.") % {"value": value}
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        if value.is_integer():
            return int(value), None
        return None, _("'%(value)s' is not a whole number of months.") % {"value": value}
    raw = text(value)
    if not raw:
        return None, None
    match = re.fullmatch(r"(\d+)(?:[.,]0+)?\s*(?:bulan|bln|months?)?", raw.lower())
    if not match:
        return None, _("'%(value)s' is not a whole number of months.") % {"value": brief(raw)}
    return int(match.group(1)), None


def parse_date(value):
    """A date cell, also "2025-09-01 00:00:00" as some programs write dates in a CSV."""
    if isinstance(value, str):
        match = _DATETIME_MIDNIGHT.match(value.strip())
        if match:
            value = match.group(1)
    return a_date(value)


def kind_of(value):
    raw = " ".join(text(value).lower().split())
    return KINDS.get(raw) or KINDS.get(_KIND_PREFIX.sub("", raw))


def method_of(value):
    return METHODS.get(" ".join(text(value).lower().split()))


def _same_name(a, b):
    def simple(name):
        return " ".join(re.sub(r"[^\w ]", " ", name.casefold()).split())

    return simple(a) == simple(b)


def _names(members, limit=5):
    """"Ani (64.71.05.1002-00001), Budi (…) and 3 more" for a refusal naming members."""
    members = list(members)
    shown = ", ".join(f"{m.name} ({m.member_number})" for m in members[:limit])
    if len(members) > limit:
        shown += " " + _("and %(n)d more") % {"n": len(members) - limit}
    return shown


class _Ledger:
    """One member as the preview sees them: their ledger as it is, plus the earlier rows."""

    def __init__(self, member, account, registered):
        self.member = member
        self.status = member.status
        self.pokok = account[0] if account else 0
        self.pokok_rows = []  # rows of this file paying simpanan pokok
        self.registered = registered


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
        """The member of every row, then every row in file order against the ledger as it is
        plus the earlier rows: what `record_payment` would refuse is a problem of that row."""
        problems = []
        members = self.find_members(problems)
        records = parsed.records
        ids = {m.pk for m in members.values()}
        kelurahan_ids = {m.kelurahan_id for m in members.values()}
        cooperatives = self.cooperatives(kelurahan_ids)
        accounts, registered, paid = {}, {}, {}
        for chunk in _chunks(ids):
            accounts.update((pk, (pokok, sukarela)) for pk, pokok, sukarela in
                            Account.objects.filter(member_id__in=chunk).values_list("member_id", "pokok", "sukarela"))
            first = MemberStatusChange.objects.filter(member_id__in=chunk).order_by("member_id", "on", "pk")
            for member_id, on in first.values_list("member_id", "on"):
                registered.setdefault(member_id, on)
            payments = Entry.objects.filter(member_id__in=chunk, type=Entry.Type.PAYMENT, reversed_by__isnull=True)
            for entry in payments.values_list("member_id", "kind", "paid_on", "amount"):
                paid.setdefault(entry, True)
        ledgers = {}
        duplicates, in_file, seen, other_names = [], [], {}, []
        total, done = len(records), 0
        for key in list(records):
            done += 1
            if done % 1000 == 0:
                self.progress("compare", done, total)
            member = members.get(key)
            if member is None:
                del records[key]  # the member's problem is already reported
                continue
            _none, _label, kind, paid_on, amount, months, method, reference = records[key]
            raw_number, _nik, name = self.wanted[key]
            column = self.label(self.ident_column(raw_number))
            state = ledgers.get(member.pk)
            if state is None:
                state = ledgers[member.pk] = _Ledger(member, accounts.get(member.pk), registered.get(member.pk, member.joined_on))
            cooperative = cooperatives[member.kelurahan_id]
            row = []

            def problem(column_label, message):
                row.append(Problem(key, column_label, str(message)))

            if member.has_left:
                problem(column, _("%(name)s left the cooperative on %(date)s: no payment is recorded for a former member.")
                        % {"name": member.name, "date": member.left_on.strftime("%d-%m-%Y") if member.left_on else "?"})
            if paid_on < state.registered:
                problem(self.label("tanggal"), _("The date is before %(name)s registered (%(date)s).")
                        % {"name": member.name, "date": state.registered.strftime("%d-%m-%Y")})
            if kind == Entry.Kind.POKOK:
                remaining = max(cooperative.pokok_amount - state.pokok, 0)
                if remaining == 0:
                    earlier = _(" (row %(rows)s of this file)") % {"rows": ", ".join(map(str, state.pokok_rows))} if state.pokok_rows else ""
                    problem(self.label("jenis"), _("The simpanan pokok of %(name)s is already fully paid (%(amount)s%(earlier)s); it is paid only once.")
                            % {"name": member.name, "amount": rupiah(state.pokok), "earlier": earlier})
                elif amount > remaining:
                    problem(self.label("jumlah"), _("Only %(remaining)s of the simpanan pokok of %(name)s remains to be paid, not %(amount)s.")
                            % {"remaining": rupiah(remaining), "name": member.name, "amount": rupiah(amount)})
            elif kind == Entry.Kind.WAJIB:
                if state.status != Member.Status.AKTIF and not member.has_left:
                    problem(self.label("jenis"), _(
                        "Simpanan wajib is paid by active members; %(name)s is still an applicant (calon) on this row: "
                        "the simpanan pokok comes first."
                    ) % {"name": member.name})
                each = cooperative.wajib_amount
                if months is None:
                    if amount % each:
                        problem(self.label("jumlah"), _(
                            "%(amount)s is not a whole number of months of simpanan wajib (%(each)s a month)."
                        ) % {"amount": rupiah(amount), "each": rupiah(each)})
                    elif not 1 <= amount // each <= MAX_WAJIB_MONTHS:
                        problem(self.label("jumlah"), _(
                            "%(amount)s is %(months)d months of simpanan wajib; one payment covers 1 to %(max)d months."
                        ) % {"amount": rupiah(amount), "months": amount // each, "max": MAX_WAJIB_MONTHS})
                    else:
                        months = amount // each
                elif amount != months * each:
                    problem(self.label("jumlah"), _(
                        "%(months)d months of simpanan wajib are %(expected)s (%(each)s a month), not %(amount)s."
                    ) % {"months": months, "expected": rupiah(months * each), "each": rupiah(each), "amount": rupiah(amount)})
            if row:
                problems += row
                del records[key]
                continue
            if kind == Entry.Kind.POKOK:
                state.pokok += amount
                state.pokok_rows.append(key)
                if state.pokok >= cooperative.pokok_amount and state.status == Member.Status.CALON \
                        and cooperative.activation == Cooperative.Activation.AUTOMATIC:
                    state.status = Member.Status.AKTIF
            if name and "nama" in self.present and not _same_name(name, member.name):
                other_names.append(key)
            same = (member.pk, kind, paid_on, amount)
            if same in paid:
                duplicates.append(key)
            if same in seen:
                in_file.append((key, seen[same]))
            seen.setdefault(same, key)
            records[key] = (member.kelurahan_id, f"{member.member_number} {member.name}", kind, paid_on, amount,
                            months if kind == Entry.Kind.WAJIB else 0, method, reference)
            self.member_of[key] = member.pk
        self.progress("compare", total, total)
        self.add_warnings(parsed, other_names, duplicates, in_file)
        return problems

    def add_warnings(self, parsed, other_names, duplicates, in_file):
        def rows(keys):
            shown = ", ".join(map(str, keys[:10]))
            return shown + (" …" if len(keys) > 10 else "")

        if other_names:
            parsed.warnings.append(_(
                "The name on %(n)d row(s) differs from the name of the member the number or NIK names (rows %(rows)s): "
                "check that each row names the right member."
            ) % {"n": len(other_names), "rows": rows(other_names)})
        if duplicates:
            parsed.warnings.append(_(
                "%(n)d row(s) look like payments already in the ledger (same member, kind, date and amount; rows %(rows)s): "
                "check that this file, or these payments, were not recorded before."
            ) % {"n": len(duplicates), "rows": rows(duplicates)})
        if in_file:
            parsed.warnings.append(_(
                "%(n)d row(s) repeat an earlier row of the file (same member, kind, date and amount; rows %(rows)s): "
                "each is recorded as a payment of its own."
            ) % {"n": len(in_file), "rows": rows([f"{key} = {first}" for key, first in in_file])})

    def find_members(self, problems):
        """{row: member} for the rows whose member is found and may be paid for here; a
        problem for each of the others."""
        default = self.default_kelurahan
        numbers, seqs, niks = set(), set(), set()
        for raw_number, nik, _name in self.wanted.values():
            if raw_number and default is not None and raw_number.isdigit():
                seqs.add(int(raw_number))
            elif raw_number:
                numbers.add(raw_number)
            if nik:
                niks.add(nik)
        by_number, by_seq, by_nik = {}, {}, {}
        fields = ("pk", "kelurahan_id", "member_number", "member_seq", "nik", "name", "status", "joined_on", "left_on")
        for chunk in _chunks(numbers):
            for member in Member.objects.filter(member_number__in=chunk).only(*fields):
                by_number.setdefault(member.member_number, []).append(member)
        for chunk in _chunks(seqs):
            for member in Member.objects.filter(kelurahan=default, member_seq__in=chunk).only(*fields):
                by_seq[member.member_seq] = member
        for chunk in _chunks(niks):
            for member in Member.objects.filter(nik__in=chunk).only(*fields):
                by_nik[member.nik] = member
        found = {*by_nik.values(), *by_seq.values(), *(m for ms in by_number.values() for m in ms)}
        names = dict(Kelurahan.objects.filter(pk__in={m.kelurahan_id for m in found} | ({default.pk} if default else set()))
                     .values_list("pk", "nama"))
        here = names.get(default.pk) if default else None
        members = {}
        for key, (raw_number, nik, _name) in self.wanted.items():
            def problem(column, message):
                problems.append(Problem(key, self.label(column), str(message)))

            def elsewhere(member):
                return _("%(name)s is a member of KKMP %(other)s, not of KKMP %(here)s chosen for this import.") % {
                    "name": member.name, "other": names.get(member.kelurahan_id, "?"), "here": here}

            member = None
            if raw_number:
                if default is not None and raw_number.isdigit():
                    member = by_seq.get(int(raw_number))
                    if member is None:
                        problem("nomor_anggota", _("KKMP %(here)s has no member number %(value)s.") % {"here": here, "value": brief(raw_number)})
                        continue
                else:
                    candidates = by_number.get(raw_number, [])
                    if default is not None:
                        inside = [m for m in candidates if m.kelurahan_id == default.pk]
                        if not inside and candidates:
                            problem("nomor_anggota", elsewhere(candidates[0]))
                            continue
                        candidates = inside
                    if not candidates:
                        if raw_number.isdigit():
                            problem("nomor_anggota", _(
                                "No member has the number %(value)s. Give the full member number (e.g. 64.71.05.1002-00001), "
                                "or choose the kelurahan when uploading."
                            ) % {"value": brief(raw_number)})
                        elif default is not None:
                            problem("nomor_anggota", _("KKMP %(here)s has no member number %(value)s.") % {"here": here, "value": brief(raw_number)})
                        else:
                            problem("nomor_anggota", _("No member has the number %(value)s.") % {"value": brief(raw_number)})
                        continue
                    if len(candidates) > 1:
                        problem("nomor_anggota", _(
                            "The member number %(value)s is used by several cooperatives: choose the kelurahan when uploading."
                        ) % {"value": brief(raw_number)})
                        continue
                    member = candidates[0]
                if nik and member.nik != nik:
                    problem("nik", _("This NIK is not that of member %(number)s (%(name)s): check which member the row is for.")
                            % {"number": member.member_number, "name": member.name})
                    continue
            else:
                member = by_nik.get(nik)
                if member is None:
                    problem("nik", _("No member has this NIK."))
                    continue
                if default is not None and member.kelurahan_id != default.pk:
                    problem("nik", elsewhere(member))
                    continue
            members[key] = member
        return members

    def cooperatives(self, kelurahan_ids):
        """Each kelurahan's cooperative rules, read (with the defaults when it has no row yet:
        the preview writes nothing)."""
        found = {c.kelurahan_id: c for c in Cooperative.objects.filter(kelurahan_id__in=kelurahan_ids)}
        return {pk: found.get(pk) or Cooperative(kelurahan_id=pk) for pk in kelurahan_ids}

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
        or change depends on what the import recorded."""
        entries = list(Entry.objects.filter(import_batch_id=batch.pk, type=Entry.Type.PAYMENT).order_by("pk"))
        kelurahan_ids = sorted({e.kelurahan_id for e in entries})
        list(Kelurahan.objects.select_for_update().filter(pk__in=kelurahan_ids).order_by("pk").values_list("pk"))
        member_ids = sorted({e.member_id for e in entries})
        members = {}
        for chunk in _chunks(member_ids):
            members.update((m.pk, m) for m in Member.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
        entry_ids = [e.pk for e in entries]
        reversed_ids = set()
        for chunk in _chunks(entry_ids):
            reversed_ids |= set(Entry.objects.filter(reverses_id__in=chunk).values_list("reverses_id", flat=True))
        todo = [e for e in entries if e.pk not in reversed_ids]  # one corrected by hand is undone already

        # A deposit of simpanan sukarela that a later withdrawal spent.
        sukarela = {}
        for e in todo:
            if e.kind == Entry.Kind.SUKARELA:
                sukarela[e.member_id] = sukarela.get(e.member_id, 0) + e.amount
        overdrawn = []
        for chunk in _chunks(sukarela):
            for member_id, balance in Account.objects.filter(member_id__in=chunk).values_list("member_id", "sukarela"):
                if balance - sukarela[member_id] < 0:
                    overdrawn.append(members[member_id])
        if overdrawn:
            raise UndoRefused(_(
                "Simpanan sukarela was withdrawn after this import: reversing the deposits it recorded would make the "
                "balance of %(members)s negative. Correct those withdrawals first; nothing was undone."
            ) % {"members": _names(overdrawn)})

        pokok_members = sorted({e.member_id for e in todo if e.kind == Entry.Kind.POKOK})
        activated = {member_id for member_id, _joined, _change in batch.activated_members}
        ours = set(entry_ids)
        # A simpanan pokok or wajib recorded since for the same members, net of its corrections.
        # The import held its cooperatives' rows locked while it wrote, so what its members'
        # ledgers gained after its last entry was recorded after the import.
        last = max(entry_ids, default=0)
        dependent = {}
        # (An activated member counts even when the imported pokok was corrected by hand: a
        # pokok paid again since keeps them active.)
        for kind, ids in ((Entry.Kind.POKOK, sorted(set(pokok_members) | activated)), (Entry.Kind.WAJIB, sorted(activated))):
            later = {}
            for chunk in _chunks(ids):
                rows = Entry.objects.filter(member_id__in=chunk, kind=kind, pk__gt=last).values_list("member_id", "amount", "reverses_id")
                for member_id, amount, reverses_id in rows:
                    if reverses_id not in ours:  # a correction of an imported entry is not a later payment
                        later[member_id] = later.get(member_id, 0) + amount
            dependent[kind] = [members[m] for m in ids if later.get(m)]
        if dependent[Entry.Kind.POKOK]:
            raise UndoRefused(_(
                "Simpanan pokok was recorded for %(members)s after this import: undoing it would leave their simpanan pokok "
                "part-paid. Correct those payments first; nothing was undone."
            ) % {"members": _names(dependent[Entry.Kind.POKOK])})
        if dependent[Entry.Kind.WAJIB]:
            raise UndoRefused(_(
                "Simpanan wajib was recorded for %(members)s after this import made them active members: undoing it would "
                "make them applicants again. Correct those payments first; nothing was undone."
            ) % {"members": _names(dependent[Entry.Kind.WAJIB])})

        # A change of status (accepted, resigned…) since, for members whose simpanan pokok it recorded.
        changed = set()
        for chunk in _chunks(sorted(set(pokok_members) | activated)):
            changed |= set(MemberStatusChange.objects.filter(member_id__in=chunk, recorded_at__gt=batch.committed_at)
                           .values_list("member_id", flat=True))
        if changed:
            raise UndoRefused(_(
                "The status of %(members)s changed after this import (accepted, resigned…): the simpanan pokok it recorded "
                "can no longer be undone. Correct the payments one by one instead; nothing was undone."
            ) % {"members": _names(members[m] for m in sorted(changed))})
        serving = set()
        for chunk in _chunks(sorted(activated)):
            serving |= set(Officer.objects.filter(member_id__in=chunk).values_list("member_id", flat=True))
            serving |= set(Attendance.objects.filter(member_id__in=chunk, recorded_at__gt=batch.committed_at)
                           .values_list("member_id", flat=True))
        if serving:
            raise UndoRefused(_(
                "%(members)s became active members through this import and have since served as pengurus or pengawas or "
                "attended a members' meeting: undo is no longer possible."
            ) % {"members": _names(members[m] for m in sorted(serving))})
        self.todo = todo
        self.undone_kelurahan = kelurahan_ids

    def finish_undo(self, batch):
        """Reverse every entry (in the pipeline's transaction: all or none), then make the
        applicants the import activated applicants again."""
        reason = _("import %(id)s undone") % {"id": batch.pk}
        by = self.user
        try:
            with simpanan_batch():
                for entry in self.todo:
                    reverse_entry(entry=entry, reason=reason, by=by)
        except ValidationError as exc:
            raise UndoRefused(" ".join(exc.messages) + " " + _("Nothing was undone.")) from None
        for member_id, joined_before, change_id in batch.activated_members:
            member = Member.objects.get(pk=member_id)
            accepted = MemberStatusChange.objects.filter(pk=change_id).values_list("on", flat=True).first() or member.joined_on
            member.status = Member.Status.CALON
            member.joined_on = date.fromisoformat(joined_before)
            member.save(update_fields=["status", "joined_on", "updated_at"])
            # The status history is append-only: the acceptance stays, and this change, dated
            # the same day, makes them an applicant from that day on (`with_status_on`).
            MemberStatusChange.objects.create(member=member, status=Member.Status.CALON, on=accepted, reason=reason[:255],
                                              recorded_by=by if getattr(by, "is_authenticated", False) else None)
        if batch.activated_members:
            members_changed.send(sender=Member, kelurahan_ids=self.undone_kelurahan)

