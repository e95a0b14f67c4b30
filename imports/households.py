"""Importing households (`HouseholdImport`): one row per KK, or a per-person population export
(SIAK/Disdukcapil, OpenSID) folded into one household per KK, with the column aliases real
exports use. On PostgreSQL the checked rows are staged in a temporary table and compared with
the household table in the database (`plan_in_database`).
"""

import dataclasses

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kelurahan.models import Kelurahan, normalise_name, without_region_word
from members.identity import (
    check_nik,
    check_no_kk,
    nik_has_no_errors,
    no_kk_has_no_errors,
)
from members.models import Household
from members.values import ascii_digits, normalise_rt_rw

from .base import PREVIEW_ROWS, BaseImport, Parsed, Plan, Problem
from .copying import CHUNK, _copy, _plain_plans, rows_matching
from .files import normalise_header
from .models import ImportBatch
from .table import ImportFileError
from .values import brief, text

HOUSEHOLD_ALIASES = {
    **{a: "kode_kelurahan" for a in (
        "kode_kelurahan", "kode_kel", "kd_kel", "kode_desa", "kode_desa_kelurahan", "kelurahan", "kel",
        "nama_kel", "nama_kelurahan", "desa", "kelurahan_desa", "desa_kelurahan", "nama_desa", "kel_name",
        "kelurahan_name", "desa_name",
    )},
    **{a: "kecamatan" for a in ("kecamatan", "kec", "nama_kec", "nama_kecamatan", "kec_name", "kecamatan_name")},
    # SIAK's numeric region parts: 64 / 71 / 5 / 1002 make 64.71.05.1002.
    "no_prop": "no_prop", "no_kab": "no_kab", "no_kec": "no_kec", "no_kel": "no_kel",
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
REGION_PARTS = ("no_prop", "no_kab", "no_kec", "no_kel")

# The other columns of the two per-person layouts admins receive: known, read by nobody here
# (a household needs its number, its head, where it lives). The preview lists them once as
# "not used" instead of as unknown columns.
OPENSID_COLUMNS = (
    "alamat", "dusun", "rw", "rt", "nama", "no_kk", "nik", "sex", "tempatlahir", "tanggallahir", "agama_id",
    "pendidikan_kk_id", "pendidikan_sedang_id", "pekerjaan_id", "status_kawin", "kk_level", "warganegara_id",
    "ayah_nik", "nama_ayah", "ibu_nik", "nama_ibu", "golongan_darah_id", "akta_lahir", "dokumen_pasport",
    "tanggal_akhir_paspor", "dokumen_kitas", "akta_perkawinan", "tanggalperkawinan", "akta_perceraian",
    "tanggalperceraian", "cacat_id", "cara_kb_id", "hamil", "ktp_el", "status_rekam", "alamat_sekarang",
    "status_dasar", "suku", "tag_id_card", "id_asuransi", "no_asuransi", "lat", "lng",
)
SIAK_COLUMNS = (
    "no", "nik", "no_kk", "nama_lgkp", "jenis_klmin", "tmpt_lhr", "tgl_lhr", "no_akta_lhr", "gol_darah", "agama",
    "status_kawin", "tgl_kwn", "no_akta_kwn", "tgl_crai", "no_akta_crai", "pddk_akh", "jenis_pkrjn", "stat_hbkel",
    "alamat", "dusun", "no_rt", "no_rw", "no_kel", "no_kec", "no_kab", "no_prop", "kel_name", "kec_name",
    "kab_name", "prop_name", "nik_ayah", "nama_lgkp_ayah", "nik_ibu", "nama_lgkp_ibu",
)
KNOWN_UNUSED = frozenset(OPENSID_COLUMNS + SIAK_COLUMNS) - set(HOUSEHOLD_ALIASES)

# Optional values a file may leave empty: an empty cell keeps what is stored for a known KK
# (clearing a value is an edit in the admin), index in the value tuple → field.
KEPT_WHEN_EMPTY = {1: "head_name", 2: "head_nik", 3: "address", 4: "rt", 5: "rw"}


class HouseholdImport(BaseImport):
    """Households, one row per KK, or a per-person population export folded into one household
    per KK across the whole file (SIAK/Disdukcapil `STAT_HBKEL`, OpenSID `kk_level`; the head
    is relationship 1 or "KEPALA KELUARGA"), from every sheet of a workbook but `Kode Data`."""

    kind = ImportBatch.Kind.HOUSEHOLDS
    model = Household
    key_attnames = ("no_kk",)
    fields = ("kelurahan_id", "head_name", "head_nik", "address", "rt", "rw")
    aliases = HOUSEHOLD_ALIASES
    known_unused = KNOWN_UNUSED
    required = ("kode_kelurahan", "no_kk")
    template_headers = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]
    template_rows = [["64.71.05.1002", "6471050506150001", "Ahmad Saputra", "6471051203900001", "Jl. Mawar No. 1", "007", ""]]
    text_columns = ("B", "D", "F", "G")
    # A per-person file has ~3.5 rows per household: the row limit is per household, so a
    # city's residents (~700,000 rows for ~200,000 KK) come in one file.
    rows_per_record = 4

    def required_columns(self, columns):
        """The KK, its kelurahan (a column, SIAK's region numbers, the sheet's name or the
        kelurahan chosen on upload), and who heads it: a household list names the head on each
        row, a per-person export has each person's name and NIK and their relationship."""
        required = [*super().required_columns(columns), "nama_kepala_keluarga", "nik_kepala_keluarga"]
        if "kode_kelurahan" in required and (all(p in columns for p in REGION_PARTS) or self.sheet_kelurahan):
            required.remove("kode_kelurahan")
        return required

    sheet_kelurahan = None  # the kelurahan the sheet being read is named after
    kept = 0  # known KK whose empty cells kept the stored values (`keep_stored`)

    def parse(self, table):
        parsed = Parsed()
        self.fold = {"heads": {}, "per_person": False, "layouts": set()}
        self.sheet_stats, self.used_columns, self.unused_columns = [], [], []
        sheets = 0
        for sheet in table.sheets():
            sheets += 1
            self.sheet_kelurahan = self.kelurahan_of_sheet(sheet)
            self.parse_sheet(sheet, parsed, sheets)
        layouts = self.fold["layouts"]
        parsed.layout = (ImportBatch.Layout.OPENSID_PEOPLE if ImportBatch.Layout.OPENSID_PEOPLE in layouts
                         else ImportBatch.Layout.SIAK_PEOPLE if ImportBatch.Layout.SIAK_PEOPLE in layouts
                         else ImportBatch.Layout.HOUSEHOLD_LIST)
        if self.fold["per_person"]:
            heads = self.fold["heads"]
            without_head = sum(1 for k in parsed.records if k not in heads)
            if without_head:
                parsed.warnings.append(
                    _("%(n)d KK have no row with the head of household; they are imported without a head's name and NIK.")
                    % {"n": without_head}
                )
        read, unknown = self.describe_columns()
        self.file_warnings = unknown  # a warning; what was read is told as notes
        parsed.notes = [*read, *self.sheet_notes(parsed)]
        self.in_file_head_duplicates(parsed, self.label("nik_kepala_keluarga"))
        return parsed

    def kelurahan_of_sheet(self, sheet):
        """The kelurahan a sheet is named after (a workbook with one sheet per kelurahan), or
        None; refused when it is not the kelurahan chosen on upload."""
        named = Kelurahan.objects.named(sheet.sheet_name) if sheet.sheet_name else None
        chosen = self.default_kelurahan
        if named is not None and chosen is not None and named.pk != chosen.pk:
            raise ImportFileError(_(
                "The sheet '%(sheet)s' is named after kelurahan %(named)s, but the file was uploaded for kelurahan "
                "%(chosen)s. Choose the right kelurahan, or rename the sheet."
            ) % {"sheet": brief(sheet.sheet_name), "named": named.nama, "chosen": chosen.nama})
        return named

    def one_kelurahan_per_file(self, sheet):
        return ImportFileError(_(
            "This workbook has more than one sheet, and the sheets are not named after their kelurahan "
            "(sheet '%(sheet)s'): one kelurahan per file (satu kelurahan per berkas). Name each sheet after its "
            "kelurahan, add a kelurahan column, or save each kelurahan's sheet as a file of its own."
        ) % {"sheet": brief(sheet.sheet_name)})

    def describe_columns(self):
        """The lines for the columns read and the layouts' known columns not used (notes), and
        for the columns not recognised (a warning)."""
        read, unknown = [], []
        if self.used_columns:
            read.append(_("Columns read: %(columns)s.") % {"columns": ", ".join(dict.fromkeys(self.used_columns))})
        unused = list(dict.fromkeys(self.unused_columns))
        known = [c for c in unused if normalise_header(c) in self.known_unused]
        others = [c for c in unused if normalise_header(c) not in self.known_unused]
        if known:
            read.append(_("Columns of the population export not used here: %(columns)s.") % {"columns": ", ".join(known)})
        if others:
            unknown.append(_("Column(s) not recognised and not imported: %(columns)s.") % {"columns": ", ".join(others[:20])})
        return read, unknown

    def parse_sheet(self, table, parsed, sheet_number):
        columns = self.columns(table)
        self.file_warnings = []
        self.used_columns += [columns.original[n] for n in sorted(columns.index, key=columns.index.get)]
        self.unused_columns += [brief(text(h), 60) for h in table.headers if h not in (None, "") and normalise_header(h) not in self.aliases]
        # A sheet that says nowhere where it lives (no kelurahan column, no region numbers, not
        # named after a kelurahan) takes the kelurahan chosen on upload: one such sheet per file.
        by_choice = ("kode_kelurahan" not in columns and not all(p in columns for p in REGION_PARTS)
                     and self.sheet_kelurahan is None)
        if sheet_number > 1 and (by_choice or self.fold.get("first_sheet_by_choice")):
            raise self.one_kelurahan_per_file(table)
        self.fold["first_sheet_by_choice"] = by_choice and sheet_number == 1
        per_person = "hubungan" in columns
        if per_person:
            self.fold["per_person"] = True
            opensid = columns.label("hubungan").lower() == "kk_level"
            self.fold["layouts"].add(ImportBatch.Layout.OPENSID_PEOPLE if opensid else ImportBatch.Layout.SIAK_PEOPLE)
        else:
            self.fold["layouts"].add(ImportBatch.Layout.HOUSEHOLD_LIST)
        label = columns.label
        heads_seen = self.fold["heads"]
        today = timezone.localdate()
        records, rows_of, problems_out = parsed.records, parsed.rows, parsed.problems
        sheet_rows, households_before, problems_before = 0, len(records), len(problems_out)
        # Column positions, read once: this loop runs for every row of a city file.
        at = {name: columns.index.get(name) for name in set(self.aliases.values())}
        i_kk, i_kel, i_name, i_nik = at["no_kk"], at["kode_kelurahan"], at["nama_kepala_keluarga"], at["nik_kepala_keluarga"]
        i_addr, i_rt, i_rw, i_rel, i_kec = at["alamat"], at["rt"], at["rw"], at["hubungan"], at["kecamatan"]
        i_parts = [at[p] for p in REGION_PARTS] if all(at[p] is not None for p in REGION_PARTS) else None
        sheet_default = self.sheet_kelurahan or self.default_kelurahan

        # A short row is padded once, so every cell is read by index; a column the file lacks
        # is read as None.
        width = max(i for i in at.values() if i is not None) + 1
        # Caches for the cells that repeat (34 kelurahan, 999 RTs): one dict lookup per cell.
        kelurahan_of, rt_rw_of, is_head_of = {}, {}, {}

        def rt_rw(raw):
            value = normalise_rt_rw(raw)
            return value, not value or (len(value) == 3 and value.isascii() and value.isdigit() and value != "000")

        max_records = settings.KKMP_IMPORT_MAX_ROWS
        for number, row, problems in self.rows(table, columns, per_record=self.rows_per_record if per_person else 1):
            parsed.rows_total += 1
            sheet_rows += 1
            if parsed.rows_total % 5000 == 0:
                self.progress("check", parsed.rows_total, table.estimated_rows)
                if len(records) > max_records:
                    raise ImportFileError(_(
                        "The file has more than %(max)s households. Split it into smaller files (for example one "
                        "per kecamatan) and import them one after the other.") % {"max": f"{max_records:,}"})
            if len(row) < width:
                row += [None] * (width - len(row))

            raw_kk = row[i_kk]
            if no_kk_has_no_errors(raw_kk):  # the usual case; the full check for its messages
                key = raw_kk
            else:
                kk = check_no_kk(raw_kk, today=today, warnings=False)
                problems += [Problem(number, label("no_kk"), str(e)) for e in kk.errors]
                key = kk.value
            where = (None if i_kel is None else row[i_kel], None if i_kec is None else row[i_kec],
                     None if i_parts is None else tuple(row[i] for i in i_parts))
            try:
                kelurahan_id, wrong = kelurahan_of[where]
            except (KeyError, TypeError):
                kelurahan_id, wrong = self.locate(*where, default=sheet_default)
                try:
                    kelurahan_of[where] = kelurahan_id, wrong
                except TypeError:
                    pass
            if kelurahan_id is None:
                problems.append(Problem(number, label("kode_kelurahan") if i_parts is None else label("no_kel"), wrong))

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
                # The head's row names the head: a blank here would leave a KK without one.
                problems.append(Problem(number, label("nik_kepala_keluarga"), _("The NIK of the head of household is missing.")))
            if is_head and not name:
                problems.append(Problem(number, label("nama_kepala_keluarga"), _("The name of the head of household is missing.")))
            if len(name) > 150:
                problems.append(Problem(number, label("nama_kepala_keluarga"), _("The name is longer than 150 characters.")))
            raw_addr = None if i_addr is None else row[i_addr]
            address = ("" if not is_head and per_person else raw_addr if type(raw_addr) is str else text(raw_addr))
            if address == "-":
                address = ""
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
            # Per-person file: one household per KK, its details from the head's row, wherever
            # in the file the head and the members stand.
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
        self.sheet_stats.append({"name": table.sheet_name, "per_person": per_person, "residents": sheet_rows,
                                 "households": len(records) - households_before,  # the KK this sheet added
                                 "problems": (problems_before, len(problems_out))})

    def sheet_notes(self, parsed):
        """What each sheet gave (residents and households), and, in a workbook of several
        sheets, the sheet of each problem."""
        several = len(self.sheet_stats) > 1
        notes = []
        for sheet in self.sheet_stats:
            start, end = sheet["problems"]
            if several and end > start:
                parsed.problems[start:end] = [dataclasses.replace(p, sheet=sheet["name"]) for p in parsed.problems[start:end]]
            if sheet["per_person"]:
                note = _("Sheet '%(sheet)s': %(residents)d residents in %(households)d households.") if several else _(
                    "%(residents)d residents in %(households)d households.")
            elif several:
                note = _("Sheet '%(sheet)s': %(households)d households.")
            else:
                continue
            notes.append(note % {**sheet, "sheet": sheet["name"]})
        return notes

    def locate(self, raw_kel, raw_kec, parts, *, default):
        """(kelurahan id, None) for where a row says it lives, or (None, what is wrong): SIAK's
        region numbers (`NO_PROP` … `NO_KEL`), else the kelurahan's code or name (`KEL_NAME`)
        matched exactly after normalising case, spaces and punctuation, with `KEC_NAME` to tell
        apart kelurahan of one name in several kecamatan; else the sheet's or upload's one."""
        if parts is not None and all(text(p) for p in parts):
            digits = [ascii_digits(text(p)) for p in parts]
            if all(d.isascii() and d.isdigit() and len(d) <= 4 for d in digits):
                code = f"{int(digits[0]):02d}.{int(digits[1]):02d}.{int(digits[2]):02d}.{int(digits[3]):04d}"
                found = Kelurahan.objects.filter(kode=code).values_list("pk", flat=True).first()
                if found:
                    return found, None
                return None, _("Unknown kelurahan code %(code)s (from NO_PROP, NO_KAB, NO_KEC, NO_KEL).") % {"code": code}
            return None, _("The region numbers NO_PROP, NO_KAB, NO_KEC and NO_KEL must be numbers.")
        value = text(raw_kel)
        if not value:
            return (default.pk, None) if default is not None else (None, self.unknown_kelurahan(value))
        candidates = list(Kelurahan.objects.matching(value).select_related("kecamatan")[:50])
        kecamatan_name = text(raw_kec)
        if kecamatan_name:
            kecamatan = normalise_name(without_region_word(kecamatan_name))
            in_kecamatan = [k for k in candidates if normalise_name(k.kecamatan.nama) == kecamatan]
            if candidates and not in_kecamatan:
                return None, _("Kelurahan '%(kelurahan)s' is not in kecamatan '%(kecamatan)s'.") % {
                    "kelurahan": brief(value), "kecamatan": brief(kecamatan_name)}
            candidates = in_kecamatan
        if len(candidates) == 1:
            return candidates[0].pk, None
        if len(candidates) > 1:
            return None, _("More than one kelurahan is named '%(kelurahan)s': add the kecamatan (KEC_NAME) or give the "
                           "Kemendagri code.") % {"kelurahan": brief(value)}
        return None, self.unknown_kelurahan(value)

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

    def keep_stored(self, parsed, key, values, before):
        """An empty head's name, NIK, address, RT or RW keeps what is stored for a known KK."""
        if any(values[i] == "" and before[i] for i in KEPT_WHEN_EMPTY):
            values = tuple(before[i] if i in KEPT_WHEN_EMPTY and v == "" and before[i] else v for i, v in enumerate(values))
            parsed.records[key] = values
            self.kept += 1
        return values

    def kept_warning(self, parsed):
        if self.kept:
            parsed.warnings.append(ngettext(
                "%(n)d known KK has empty cells (name, NIK, address, RT or RW) in this file: the stored values are kept "
                "(a value is cleared in the admin).",
                "%(n)d known KK have empty cells (name, NIK, address, RT or RW) in this file: the stored values are kept "
                "(a value is cleared in the admin).", self.kept) % {"n": self.kept})

    def existing(self, keys):
        for rows in rows_matching(Household, ["no_kk", "id", *self.fields], "no_kk", keys):
            yield {row[0]: (row[1], tuple(row[2:])) for row in rows}

    def plan(self, parsed):
        if connection.vendor == "postgresql":
            plan = self.plan_in_database(parsed)
            self.kept_warning(parsed)
            return plan
        plan = super().plan(parsed)
        self.kept_warning(parsed)
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

            # An empty optional cell keeps what is stored for a known KK (`keep_stored`).
            kept = [f for i, f in enumerate(self.fields) if i in KEPT_WHEN_EMPTY]
            cursor.execute(
                f"UPDATE import_rows s SET {', '.join(f'{f} = CASE WHEN s.{f} = %s THEN h.{f} ELSE s.{f} END' for f in kept)} "
                f"FROM {table} h WHERE h.no_kk = s.no_kk AND ({' OR '.join(f'(s.{f} = %s AND h.{f} <> %s)' for f in kept)}) "
                f"RETURNING s.no_kk, {', '.join('s.' + f for f in self.fields)}",
                [""] * (len(kept) * 3),
            )
            for key, *values in cursor.fetchall():
                parsed.records[key] = tuple(values)
            self.kept = cursor.rowcount

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
