"""Importing households (`HouseholdImport`): one row per KK, or a per-person population export
(SIAK/Disdukcapil, OpenSID) folded into one household per KK, with the column aliases real
exports use. On PostgreSQL the checked rows are staged in a temporary table and compared with
the household table in the database (`plan_in_database`).
"""

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan, normalise_name
from members.identity import (
    check_nik,
    check_no_kk,
    nik_has_no_errors,
    no_kk_has_no_errors,
)
from members.models import Household
from members.values import normalise_rt_rw

from .base import PREVIEW_ROWS, BaseImport, Parsed, Plan, Problem
from .copying import CHUNK, _copy, _plain_plans, rows_matching
from .models import ImportBatch
from .values import brief, text

HOUSEHOLD_ALIASES = {
    **{a: "kode_kelurahan" for a in (
        "kode_kelurahan", "kode_kel", "kd_kel", "kode_desa", "kode_desa_kelurahan", "kelurahan", "kel",
        "nama_kel", "nama_kelurahan", "desa", "kelurahan_desa", "desa_kelurahan", "nama_desa", "no_kel",
    )},
    **{a: "no_kk" for a in (
        "no_kk", "nomor_kk", "nkk", "no_kartu_keluarga", "nomor_kartu_keluarga", "kk", "nokk",
    )},
    **{a: "nama_kepala_keluarga" for a in (
        "nama_kepala_keluarga", "nama_kk", "kepala_keluarga", "nama_lgkp", "nama", "nama_lengkap",
        "nama_kepala",
    )},
    **{a: "nik_kepala_keluarga" for a in ("nik_kepala_keluarga", "nik_kk", "nik_kepala", "nik")},
    **{a: "alamat" for a in ("alamat", "address", "alamat_lengkap", "alamat_rumah")},
    **{a: "rt" for a in ("rt", "no_rt", "nort")},
    **{a: "rw" for a in ("rw", "no_rw", "norw")},
    **{a: "hubungan" for a in (
        "stat_hbkel", "shdk", "hubungan_keluarga", "hubungan_dalam_keluarga", "status_hubungan",
        "status_hubungan_dalam_keluarga", "hbkel", "kk_level",
    )},
}
HEAD_VALUES = {"1", "01", "kepalakeluarga", "kepala", "kk"}


class HouseholdImport(BaseImport):
    """Households, one row per KK, or a per-person population export folded into one household
    per KK (SIAK/Disdukcapil `STAT_HBKEL`, OpenSID `kk_level`; the head is relationship 1 or
    "KEPALA KELUARGA")."""

    kind = ImportBatch.Kind.HOUSEHOLDS
    model = Household
    key_attnames = ("no_kk",)
    fields = ("kelurahan_id", "head_name", "head_nik", "address", "rt", "rw")
    aliases = HOUSEHOLD_ALIASES
    required = ("kode_kelurahan", "no_kk")
    template_headers = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]
    template_rows = [["64.71.05.1002", "6471050506150001", "Ahmad Saputra", "6471051203900001", "Jl. Mawar No. 1", "007", ""]]
    text_columns = ("B", "D", "F", "G")

    def required_columns(self, columns):
        """The KK, its kelurahan, and who heads it: a household list names the head on each row,
        a per-person export has each person's name and NIK and their relationship."""
        return [*super().required_columns(columns), "nama_kepala_keluarga", "nik_kepala_keluarga"]

    def parse(self, table):
        columns = self.columns(table)
        per_person = "hubungan" in columns
        if per_person:
            opensid = columns.label("hubungan").lower() == "kk_level"
            layout = ImportBatch.Layout.OPENSID_PEOPLE if opensid else ImportBatch.Layout.SIAK_PEOPLE
        else:
            layout = ImportBatch.Layout.HOUSEHOLD_LIST
        parsed = Parsed(layout=layout)
        label = columns.label
        heads_seen = {}
        today = timezone.localdate()
        records, rows_of, problems_out = parsed.records, parsed.rows, parsed.problems
        # Column positions, read once: this loop runs for every row of a city file.
        at = {name: columns.index.get(name) for name in self.aliases.values()}
        i_kk, i_kel, i_name, i_nik = at["no_kk"], at["kode_kelurahan"], at["nama_kepala_keluarga"], at["nik_kepala_keluarga"]
        i_addr, i_rt, i_rw, i_rel = at["alamat"], at["rt"], at["rw"], at["hubungan"]

        # A short row is padded once, so every cell is read by index; a column the file lacks
        # is read as None.
        width = max(i for i in at.values() if i is not None) + 1
        # Caches for the cells that repeat (34 kelurahan, 999 RTs): one dict lookup per cell.
        kelurahan_of, rt_rw_of, is_head_of = {}, {}, {}

        def rt_rw(raw):
            value = normalise_rt_rw(raw)
            return value, not value or (len(value) == 3 and value.isdigit() and value != "000")

        for number, row, problems in self.rows(table, columns):
            parsed.rows_total += 1
            if parsed.rows_total % 5000 == 0:
                self.progress("check", parsed.rows_total, table.estimated_rows)
            if len(row) < width:
                row += [None] * (width - len(row))

            raw_kk = row[i_kk]
            if no_kk_has_no_errors(raw_kk):  # the usual case; the full check for its messages
                key = raw_kk
            else:
                kk = check_no_kk(raw_kk, today=today, warnings=False)
                problems += [Problem(number, label("no_kk"), str(e)) for e in kk.errors]
                key = kk.value
            raw_kel = None if i_kel is None else row[i_kel]
            try:
                kelurahan_id = kelurahan_of[raw_kel]
            except (KeyError, TypeError):
                kelurahan_id = self.kelurahan_id(raw_kel)
                if type(raw_kel) is str or raw_kel is None:
                    kelurahan_of[raw_kel] = kelurahan_id
            if kelurahan_id is None:
                problems.append(Problem(number, label("kode_kelurahan"), self.unknown_kelurahan(raw_kel)))

            if per_person:
                raw_rel = None if i_rel is None else row[i_rel]
                is_head = is_head_of.get(raw_rel) if type(raw_rel) is str else None
                if is_head is None:
                    is_head = normalise_name(text(raw_rel)) in HEAD_VALUES
                    if type(raw_rel) is str:
                        is_head_of[raw_rel] = is_head
            else:
                is_head = True
            raw_name = None if i_name is None else row[i_name]
            name = "" if not is_head else raw_name if type(raw_name) is str else text(raw_name)
            nik = ""
            raw_nik = None if i_nik is None else row[i_nik]
            if is_head and raw_nik not in (None, ""):
                if nik_has_no_errors(raw_nik, today=today):
                    nik = raw_nik
                else:
                    nik_check = check_nik(raw_nik, today=today, warnings=False)
                    if nik_check.errors:
                        problems += [Problem(number, label("nik_kepala_keluarga"), str(e)) for e in nik_check.errors]
                    nik = nik_check.value
            elif is_head:
                # The head's row names the head: a blank here would erase a known KK's head.
                problems.append(Problem(number, label("nik_kepala_keluarga"), _("The NIK of the head of household is missing.")))
            if is_head and not name:
                problems.append(Problem(number, label("nama_kepala_keluarga"), _("The name of the head of household is missing.")))
            if len(name) > 150:
                problems.append(Problem(number, label("nama_kepala_keluarga"), _("The name is longer than 150 characters.")))
            raw_addr = None if i_addr is None else row[i_addr]
            address = ("" if not is_head and per_person else raw_addr if type(raw_addr) is str else text(raw_addr))
            if len(address) > 255:
                problems.append(Problem(number, label("alamat"), _("The address is longer than 255 characters.")))
            for column, raw in (("rt", None if i_rt is None else row[i_rt]), ("rw", None if i_rw is None else row[i_rw])):
                try:
                    value, ok = rt_rw_of[raw]
                except (KeyError, TypeError):
                    value, ok = rt_rw(raw)
                    if type(raw) is str or raw is None:
                        rt_rw_of[raw] = value, ok
                if column == "rt":
                    rt = value
                else:
                    rw = value
                if not ok:
                    problems.append(Problem(number, label(column), _("RT/RW must be a number from 1 to 999 (given: %(value)s).") % {"value": brief(value)}))

            if problems:
                problems_out += problems
                continue
            values = (kelurahan_id, name, nik, address, rt, rw)
            if not per_person:
                if key in records:
                    problems_out.append(Problem(number, label("no_kk"), _("KK %(kk)s also appears on row %(row)s of this file.") % {"kk": key, "row": rows_of[key]}))
                    continue
                records[key], rows_of[key] = values, number
                continue
            # Per-person file: one household per KK, its details from the head's row.
            if key not in records:
                records[key], rows_of[key] = values, number
            elif records[key][0] != kelurahan_id:
                problems_out.append(Problem(number, label("kode_kelurahan"), _("KK %(kk)s is in another kelurahan on row %(row)s.") % {"kk": key, "row": rows_of[key]}))
                continue
            if is_head:
                if key in heads_seen:
                    problems_out.append(Problem(number, label("hubungan"), _("KK %(kk)s already has a head of household on row %(row)s.") % {"kk": key, "row": heads_seen[key]}))
                    continue
                heads_seen[key] = number
                old = records[key]
                records[key], rows_of[key] = (kelurahan_id, name, nik, address, rt or old[4], rw or old[5]), number
            elif not records[key][4] and rt:
                old = records[key]
                records[key] = (old[0], old[1], old[2], old[3], rt, rw)
        if per_person:
            without_head = [k for k in records if k not in heads_seen]
            if without_head:
                parsed.warnings.append(
                    _("%(n)d KK have no row with the head of household; they are imported without a head's name and NIK.")
                    % {"n": len(without_head)}
                )
        self.in_file_head_duplicates(parsed, label("nik_kepala_keluarga"))
        return parsed

    def in_file_head_duplicates(self, parsed, column):
        seen = {}
        for key, values in list(parsed.records.items()):
            nik = values[2]
            if not nik:
                continue
            if nik in seen:
                parsed.problems.append(Problem(parsed.rows[key], column, _("This NIK is also the head of KK %(kk)s on row %(row)s.") % {"kk": seen[nik], "row": parsed.rows[seen[nik]]}))
                del parsed.records[key]
            else:
                seen[nik] = key

    def existing(self, keys):
        for rows in rows_matching(Household, ["no_kk", "id", *self.fields], "no_kk", keys):
            yield {row[0]: (row[1], tuple(row[2:])) for row in rows}

    def plan(self, parsed):
        if connection.vendor == "postgresql":
            return self.plan_in_database(parsed)
        plan = super().plan(parsed)
        # Undo restores `updated_at` exactly too; read it for the changed rows only.
        changed = {pk: before for _key, pk, before, _values in plan.changed}
        for start in range(0, len(changed), CHUNK):
            pks = list(changed)[start:start + CHUNK]
            for pk, updated_at in Household.objects.filter(pk__in=pks).values_list("pk", "updated_at"):
                changed[pk]["updated_at"] = updated_at.isoformat()
        return plan

    def plan_in_database(self, parsed):
        """PostgreSQL: COPY the checked rows into a temporary table `import_rows` once and let
        the database find the conflicts, the changed rows and the new ones; `write` then
        inserts straight from that table.

        Two joins with the household table, whatever the file: one on the head's NIK (a NIK
        heading another KK), one on the KK number that counts the existing rows and returns
        only those that differ (changed, or registered in another kelurahan)."""
        table = connection.ops.quote_name(Household._meta.db_table)
        columns = ["no_kk", *self.fields]
        total = len(parsed.records)
        with transaction.atomic(), connection.cursor() as cursor:
            _plain_plans(cursor)
            cursor.execute("DROP TABLE IF EXISTS import_rows")
            # No index: every query below reads the whole table once (a hash join). A small
            # ANALYZE sample is enough for the planner to know its size.
            cursor.execute(f"CREATE TEMP TABLE import_rows AS SELECT {', '.join(columns)} FROM {table} WITH NO DATA")
            _copy(cursor, "import_rows", columns, ((key, *values) for key, values in parsed.records.items()))
            cursor.execute("SET LOCAL default_statistics_target = 10")
            cursor.execute("ANALYZE import_rows")
            self.progress("compare", total // 3, total)

            bad, bad_existing = {}, 0
            cursor.execute(
                f"SELECT s.no_kk, h.no_kk, EXISTS (SELECT 1 FROM {table} o WHERE o.no_kk = s.no_kk) "
                f"FROM import_rows s JOIN {table} h ON h.head_nik = s.head_nik "
                "WHERE s.head_nik <> '' AND h.no_kk <> s.no_kk"
            )
            for key, other, exists in cursor.fetchall():
                if key not in bad:
                    bad[key] = Problem(parsed.rows[key], self.label("nik_kepala_keluarga"), _("This NIK is already the head of KK %(kk)s.") % {"kk": other})
                    bad_existing += exists
            fields = ", ".join(f"h.{f}" for f in self.fields)
            cursor.execute(
                f"SELECT count(*), json_agg(json_build_array(h.no_kk, h.id, h.updated_at, {fields})) "
                f"FILTER (WHERE ({fields}) IS DISTINCT FROM ({', '.join('s.' + f for f in self.fields)})) "
                f"FROM import_rows s JOIN {table} h ON h.no_kk = s.no_kk"
            )
            existing, differing = cursor.fetchone()
            self.progress("compare", 2 * total // 3, total)

            plan = Plan(staged=True)
            moved = {}
            for key, pk, updated_at, *before in differing or ():
                if before[0] != parsed.records[key][0]:
                    moved[key] = before[0]
                if key in bad or key in moved:
                    continue
                snapshot = self.snapshot(before)
                snapshot["updated_at"] = parse_datetime(updated_at).isoformat()
                plan.changed.append((key, pk, snapshot, parsed.records[key]))
            if moved:
                names = dict(Kelurahan.objects.filter(pk__in=set(moved.values())).values_list("pk", "nama"))
                for key, kelurahan_id in moved.items():
                    if key not in bad:
                        bad[key] = Problem(parsed.rows[key], self.label("no_kk"), _("KK %(kk)s is already registered in kelurahan %(kelurahan)s; moving a household is done in the admin, not by import.") % {"kk": key, "kelurahan": names.get(kelurahan_id, kelurahan_id)})
                        bad_existing += 1
            if bad:
                cursor.execute("DELETE FROM import_rows WHERE no_kk = ANY(%s)", [list(bad)])
                for key in bad:
                    parsed.records.pop(key, None)
                parsed.problems += list(bad.values())
            existing -= bad_existing
            plan.unchanged = existing - len(plan.changed)
            plan.staged_new = len(parsed.records) - existing
            plan.staged_existing = existing
            if plan.staged_new:
                anti_join = f"WHERE NOT EXISTS (SELECT 1 FROM {table} h WHERE h.no_kk = s.no_kk)" if existing else ""
                cursor.execute(
                    f"SELECT no_kk, {', '.join(self.fields)} FROM import_rows s {anti_join} LIMIT %s",
                    [PREVIEW_ROWS],
                )
                plan.new = [(row[0], tuple(row[1:])) for row in cursor.fetchall()]
        self.progress("compare", total, total)
        return plan

    def database_problems(self, parsed, existing):
        moved = {
            key: before[0]
            for key, (_pk, before) in existing.items()
            if key in parsed.records and before[0] != parsed.records[key][0]
        }
        if not moved:
            return []
        names = dict(Kelurahan.objects.filter(pk__in=set(moved.values())).values_list("pk", "nama"))
        problems = []
        for key, before in moved.items():
            problems.append(Problem(parsed.rows[key], self.label("no_kk"), _("KK %(kk)s is already registered in kelurahan %(kelurahan)s; moving a household is done in the admin, not by import.") % {"kk": key, "kelurahan": names.get(before, before)}))
            del parsed.records[key]
        return problems

    def key_problems(self, parsed):
        head_niks = {values[2]: key for key, values in parsed.records.items() if values[2]}
        problems = []
        for rows in rows_matching(Household, ["head_nik", "no_kk"], "head_nik", head_niks):
            for nik, no_kk in rows:
                key = head_niks[nik]
                if no_kk != key and key in parsed.records:
                    problems.append(Problem(parsed.rows[key], self.label("nik_kepala_keluarga"), _("This NIK is already the head of KK %(kk)s.") % {"kk": no_kk}))
                    del parsed.records[key]
        return problems

    def build(self, key, values):
        return Household(no_kk=key, **dict(zip(self.fields, values)))

    def stamps(self, now, *, new):
        return {"created_at": now, "updated_at": now} if new else {"updated_at": now}

    def restore_values(self, before):
        before = dict(before)
        if "updated_at" in before:
            before["updated_at"] = parse_datetime(before["updated_at"])
        return before
