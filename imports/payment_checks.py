"""The rows of a payments file against the register and the ledger (`PaymentImport.key_problems`
in `payments.py`): each row's member found by member number or NIK (`find_members`), then every
row checked in file order against the ledger as it is plus the earlier rows of the same file
(`check_rows`), with the rules `koperasi.simpanan.record_payment` applies (a simpanan pokok is
paid once and up to the cooperative's amount, simpanan wajib in whole months by active members,
no payment for a former member, no date before the member registered), so that the commit finds
nothing to refuse. Also the preview's warnings (another name than the member's, a payment
already in the ledger or repeated in the file), and `_chunks`, which cuts the ids the payments
modules look up into `IN (...)` lists of a size SQLite accepts.
"""

import re

from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan
from koperasi.models import Account, Cooperative, Entry
from koperasi.simpanan import MAX_WAJIB_MONTHS, rupiah
from members.models import Member, MemberStatusChange

from .base import Problem
from .values import brief

IN = 900  # values per IN (...) query (SQLite's limit on parameters)


def _chunks(values, size=IN):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _same_name(a, b):
    def simple(name):
        return " ".join(re.sub(r"[^\w ]", " ", name.casefold()).split())

    return simple(a) == simple(b)


class _Ledger:
    """One member as the preview sees them: their ledger as it is, plus the earlier rows."""

    def __init__(self, member, account, registered):
        self.member = member
        self.status = member.status
        self.pokok = account[0] if account else 0
        self.pokok_rows = []  # rows of this file paying simpanan pokok
        self.registered = registered


def check_rows(importer, parsed):
    """The member of every row, then every row in file order against the ledger as it is
    plus the earlier rows: what `record_payment` would refuse is a problem of that row.
    `importer` is the `PaymentImport` that parsed the rows; each row kept gets its member in
    `importer.member_of`, for the write."""
    problems = []
    members = find_members(importer, problems)
    records = parsed.records
    ids = {m.pk for m in members.values()}
    kelurahan_ids = {m.kelurahan_id for m in members.values()}
    cooperatives = cooperative_rules(kelurahan_ids)
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
            importer.progress("compare", done, total)
        member = members.get(key)
        if member is None:
            del records[key]  # the member's problem is already reported
            continue
        _none, _label, kind, paid_on, amount, months, method, reference = records[key]
        raw_number, _nik, name = importer.wanted[key]
        column = importer.label(importer.ident_column(raw_number))
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
            problem(importer.label("tanggal"), _("The date is before %(name)s registered (%(date)s).")
                    % {"name": member.name, "date": state.registered.strftime("%d-%m-%Y")})
        if kind == Entry.Kind.POKOK:
            remaining = max(cooperative.pokok_amount - state.pokok, 0)
            if remaining == 0:
                earlier = _(" (row %(rows)s of this file)") % {"rows": ", ".join(map(str, state.pokok_rows))} if state.pokok_rows else ""
                problem(importer.label("jenis"), _("The simpanan pokok of %(name)s is already fully paid (%(amount)s%(earlier)s); it is paid only once.")
                        % {"name": member.name, "amount": rupiah(state.pokok), "earlier": earlier})
            elif amount > remaining:
                problem(importer.label("jumlah"), _("Only %(remaining)s of the simpanan pokok of %(name)s remains to be paid, not %(amount)s.")
                        % {"remaining": rupiah(remaining), "name": member.name, "amount": rupiah(amount)})
        elif kind == Entry.Kind.WAJIB:
            if state.status != Member.Status.AKTIF and not member.has_left:
                problem(importer.label("jenis"), _(
                    "Simpanan wajib is paid by active members; %(name)s is still an applicant (calon) on this row: "
                    "the simpanan pokok comes first."
                ) % {"name": member.name})
            each = cooperative.wajib_amount
            if months is None:
                if amount % each:
                    problem(importer.label("jumlah"), _(
                        "%(amount)s is not a whole number of months of simpanan wajib (%(each)s a month)."
                    ) % {"amount": rupiah(amount), "each": rupiah(each)})
                elif not 1 <= amount // each <= MAX_WAJIB_MONTHS:
                    problem(importer.label("jumlah"), _(
                        "%(amount)s is %(months)d months of simpanan wajib; one payment covers 1 to %(max)d months."
                    ) % {"amount": rupiah(amount), "months": amount // each, "max": MAX_WAJIB_MONTHS})
                else:
                    months = amount // each
            elif amount != months * each:
                problem(importer.label("jumlah"), _(
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
        if name and "nama" in importer.present and not _same_name(name, member.name):
            other_names.append(key)
        same = (member.pk, kind, paid_on, amount)
        if same in paid:
            duplicates.append(key)
        if same in seen:
            in_file.append((key, seen[same]))
        seen.setdefault(same, key)
        records[key] = (member.kelurahan_id, f"{member.member_number} {member.name}", kind, paid_on, amount,
                        months if kind == Entry.Kind.WAJIB else 0, method, reference)
        importer.member_of[key] = member.pk
    importer.progress("compare", total, total)
    add_warnings(parsed, other_names, duplicates, in_file)
    return problems


def add_warnings(parsed, other_names, duplicates, in_file):
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


def find_members(importer, problems):
    """{row: member} for the rows whose member is found and may be paid for here (the member
    numbers and NIKs in `importer.wanted`, within `importer.default_kelurahan` when one was
    chosen); a problem for each of the others."""
    default = importer.default_kelurahan
    numbers, seqs, niks = set(), set(), set()
    for raw_number, nik, _name in importer.wanted.values():
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
    for key, (raw_number, nik, _name) in importer.wanted.items():
        def problem(column, message):
            problems.append(Problem(key, importer.label(column), str(message)))

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


def cooperative_rules(kelurahan_ids):
    """Each kelurahan's cooperative rules, read (with the defaults when it has no row yet:
    the preview writes nothing)."""
    found = {c.kelurahan_id: c for c in Cooperative.objects.filter(kelurahan_id__in=kelurahan_ids)}
    return {pk: found.get(pk) or Cooperative(kelurahan_id=pk) for pk in kelurahan_ids}
