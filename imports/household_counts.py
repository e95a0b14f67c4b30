"""Importing household counts per kelurahan and date (`HouseholdCountImport`), with their column
aliases: history is kept, the latest date is a kelurahan's current count, refreshed (with its
undo) through `dashboard.counters` in the import's transaction.
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard import counters
from kelurahan.models import HouseholdCount

from .base import BaseImport, Parsed, Problem
from .copying import _in_ranges, rows_matching
from .models import ImportBatch, ImportRowChange
from .values import a_date, brief, text, whole_number

COUNT_ALIASES = {
    **{a: "kode_kelurahan" for a in ("kode_kelurahan", "kode_kel", "kd_kel", "kode", "kelurahan", "nama_kelurahan", "kode_desa", "desa")},
    **{a: "jumlah_kk" for a in ("jumlah_kk", "jml_kk", "kk", "jumlah_kepala_keluarga", "jumlah_keluarga", "jumlah")},
    **{a: "per_tanggal" for a in ("per_tanggal", "tanggal", "tgl", "as_of", "tanggal_data")},
    **{a: "sumber" for a in ("sumber", "source", "sumber_data", "keterangan")},
}


class HouseholdCountImport(BaseImport):
    """Household counts per kelurahan and date; history is kept, the latest date is current."""

    kind = ImportBatch.Kind.HOUSEHOLD_COUNTS
    model = HouseholdCount
    key_attnames = ("kelurahan_id", "as_of")
    fields = ("count", "source")
    aliases = COUNT_ALIASES
    required = ("kode_kelurahan", "jumlah_kk", "per_tanggal")
    template_headers = ["kode_kelurahan", "jumlah_kk", "per_tanggal", "sumber"]
    template_rows = [["64.71.05.1002", 3505, "2025-06-30", "DKB Semester I 2025"]]
    text_columns = ("A", "C")

    def parse(self, table):
        columns = self.columns(table)
        label = columns.label
        parsed = Parsed(layout=ImportBatch.Layout.HOUSEHOLD_COUNTS)
        today = timezone.localdate()
        for number, row, problems in self.rows(table, columns):
            parsed.rows_total += 1
            raw_kel = columns.get(row, "kode_kelurahan")
            kelurahan_id = self.kelurahan_id(raw_kel)
            if kelurahan_id is None:
                problems.append(Problem(number, label("kode_kelurahan"), self.unknown_kelurahan(raw_kel)))
            raw_count = columns.get(row, "jumlah_kk")
            count = whole_number(raw_count)
            if count is None:
                problems.append(Problem(number, label("jumlah_kk"), _("'%(value)s' is not a whole number.") % {"value": brief(text(raw_count))}))
            raw_date = columns.get(row, "per_tanggal")
            as_of = a_date(raw_date)
            if as_of is None:
                problems.append(Problem(number, label("per_tanggal"), _("'%(value)s' is not a date; write it as 2025-08-19 or 19/08/2025.") % {"value": brief(text(raw_date))}))
            elif as_of > today:
                problems.append(Problem(number, label("per_tanggal"), _("The date %(value)s is in the future.") % {"value": as_of.isoformat()}))
            source = text(columns.get(row, "sumber"))
            if len(source) > 200:
                problems.append(Problem(number, label("sumber"), _("The source is longer than 200 characters.")))
            if problems:
                parsed.problems += problems
                continue
            key = (kelurahan_id, as_of)
            if key in parsed.records:
                parsed.problems.append(Problem(number, label("per_tanggal"), _("The same kelurahan and date are also on row %(row)s.") % {"row": parsed.rows[key]}))
                continue
            parsed.records[key], parsed.rows[key] = (count, source), number
        return parsed

    def existing(self, keys):
        kelurahan_ids = {k for k, _d in keys}
        wanted = set(keys)
        for rows in rows_matching(HouseholdCount, ["kelurahan_id", "as_of", "id", *self.fields], "kelurahan_id", kelurahan_ids):
            yield {(r[0], r[1]): (r[2], tuple(r[3:])) for r in rows if (r[0], r[1]) in wanted}

    def build(self, key, values):
        return HouseholdCount(kelurahan_id=key[0], as_of=key[1], **dict(zip(self.fields, values)))

    def stamps(self, now, *, new):
        return {"created_at": now} if new else {}

    def kelurahan_of(self, batch):
        """The kelurahan whose household counts `batch` created or changed."""
        rows = Q(pk__in=ImportRowChange.objects.filter(batch=batch).values("object_id"))
        for ranges in _in_ranges("pk", batch.created_ids):
            rows |= ranges
        return set(HouseholdCount.objects.filter(rows).order_by().values_list("kelurahan_id", flat=True).distinct())

    def write(self, plan, batch):
        super().write(plan, batch)
        counters.refresh_household_counts(self.kelurahan_of(batch))  # the current count, in this transaction

    def prepare_undo(self, batch, changes):
        self.undone_kelurahan = self.kelurahan_of(batch)

    def finish_undo(self, batch):
        counters.refresh_household_counts(self.undone_kelurahan)
