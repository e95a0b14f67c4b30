"""The cooperative's files: its members for SIMKOPDES, and the arrears list (at the end).

The members are in the columns of SIMKOPDES's member record (Sistem Informasi
Manajemen Koperasi Desa/Kelurahan, Kementerian Koperasi), to upload there: docs/simkopdes.md
is the mapping, `COLUMNS` below the same table in code (the test reads the header from it).

The header row is the first row of the first sheet and is SIMKOPDES's own column names, in
Indonesian whatever the interface language (they are what the upload matches). A second sheet,
*Keterangan*, says what the file is, and whether the NIK are full or masked: a masked file is
for reading, not for uploading. Personal data as the register export (`members.resources`): the
full NIK and the birth date only for who may see full numbers (`can_see_full_numbers`); every
text cell neutralised; NIK, member numbers and RT/RW as text; dates as dates; rupiah as whole
numbers. One query for the members (with their balances), read in chunks.
"""

import io
from collections import namedtuple
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kkmp.downloads import neutralise
from kkmp.masking import mask
from members.models import Member

from .models import Cooperative, month_index, month_of
from .simpanan import rupiah

Column = namedtuple("Column", "header source kind width")
TEXT, DATE, RUPIAH = "text", "date", "rupiah"

# SIMKOPDES column, where the value comes from (docs/simkopdes.md), cell kind, width.
COLUMNS = [
    Column("NIK", "member.nik", TEXT, 20),
    Column("Nama Lengkap", "member.name", TEXT, 30),
    Column("Jenis Kelamin", "member.sex", TEXT, 13),
    Column("Tempat Lahir", "(not recorded)", TEXT, 16),
    Column("Tanggal Lahir", "member.birth_date", DATE, 13),
    Column("Alamat", "member.ktp_address", TEXT, 40),
    Column("RT", "member.domicile_rt", TEXT, 6),
    Column("RW", "member.domicile_rw", TEXT, 6),
    Column("Desa/Kelurahan", "kelurahan.nama", TEXT, 20),
    Column("Kecamatan", "kecamatan.nama", TEXT, 20),
    Column("Kabupaten/Kota", "kabupaten_kota.nama", TEXT, 20),
    Column("Provinsi", "provinsi.nama", TEXT, 18),
    Column("Tanggal Terdaftar", "member.joined_on", DATE, 13),
    Column("Nomor Anggota", "member.member_number", TEXT, 22),
    Column("Status Keanggotaan", "member.status", TEXT, 16),
    Column("Simpanan Pokok", "account.pokok", RUPIAH, 15),
    Column("Simpanan Wajib", "account.wajib", RUPIAH, 15),
]
HEADERS = [column.header for column in COLUMNS]

# SIMKOPDES's words for our values (fixed, not translated: the upload matches them).
SEX = {Member.Sex.LAKI_LAKI: "Laki-laki", Member.Sex.PEREMPUAN: "Perempuan"}
STATUS = {
    Member.Status.CALON: "Calon Anggota",
    Member.Status.AKTIF: "Aktif",
    Member.Status.KELUAR: "Keluar",
    Member.Status.MENINGGAL: "Meninggal Dunia",
    Member.Status.DIBERHENTIKAN: "Diberhentikan",
}

FIELDS = ("nik", "name", "sex", "birth_date", "ktp_address", "domicile_rt", "domicile_rw", "joined_on", "member_number",
          "status", "account__pokok", "account__wajib")


def members_of(kelurahan):
    """Everyone ever registered in the cooperative, in member-number order, with their
    simpanan pokok and wajib paid (`Account`; none yet is 0): one query, read 2,000 at a time."""
    return (Member.objects.filter(kelurahan=kelurahan).order_by("member_seq").values_list(*FIELDS)
            .iterator(chunk_size=2000))


def simkopdes_rows(kelurahan, members, *, show_full):
    """One row per member in `COLUMNS` order; NIK masked and birth date left empty unless
    `show_full` (the birth date is six digits of the NIK)."""
    kecamatan = kelurahan.kecamatan
    kabupaten_kota = kecamatan.kabupaten_kota
    region = [kelurahan.nama, kecamatan.nama, kabupaten_kota.nama, kabupaten_kota.provinsi.nama]
    for nik, name, sex, birth_date, address, rt, rw, joined_on, number, status, pokok, wajib in members:
        yield [
            nik if show_full else mask(nik), name, SEX.get(sex, ""), None, birth_date if show_full else None, address,
            rt, rw, *region, joined_on, number, STATUS.get(status, status), pokok or 0, wajib or 0,
        ]


FORMATS = {TEXT: "@", DATE: "DD-MM-YYYY", RUPIAH: "#,##0"}


def simkopdes_xlsx(kelurahan, *, show_full, members=None, today=None):
    """The workbook (bytes): sheet *Anggota* (the header row, then one row per member) and
    sheet *Keterangan* (what the file is, and whether it can be uploaded)."""
    today = today or timezone.localdate()
    members = members_of(kelurahan) if members is None else members
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="Anggota")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = [FORMATS[column.kind] for column in COLUMNS]
    count = 0
    for row in simkopdes_rows(kelurahan, members, show_full=show_full):
        cells = []
        for value, number_format in zip(row, formats):
            cell = WriteOnlyCell(sheet, value=neutralise(value) if isinstance(value, str) else value)
            cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
        count += 1
    _notes(book.create_sheet(title="Keterangan"), kelurahan, show_full=show_full, count=count, today=today)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _notes(sheet, kelurahan, *, show_full, count, today):
    cooperative = Cooperative.objects.filter(kelurahan=kelurahan).first() or Cooperative(kelurahan=kelurahan)
    sheet.column_dimensions["A"].width = 110
    title = WriteOnlyCell(sheet, value=neutralise(_("Members of %(name)s for SIMKOPDES") % {"name": cooperative.name}))
    title.font = Font(bold=True)
    lines = [
        _("Kelurahan %(name)s (%(code)s); made on %(date)s; %(count)d members (everyone ever registered, with their "
          "status).") % {"name": kelurahan.nama, "code": kelurahan.kode, "date": today.strftime("%d-%m-%Y"), "count": count},
        _("For uploading to SIMKOPDES's member data: the sheet Anggota has SIMKOPDES's columns, the header in the "
          "first row. SIMKOPDES needs the full NIK of every member."),
        _("Full NIK: this file can be uploaded. It holds personal data (UU 27/2022): keep it only as long as the upload "
          "needs, and do not share it.") if show_full else
        _("NIK MASKED: this file cannot be uploaded to SIMKOPDES. Only an officer (pengurus) of this cooperative gets "
          "the full NIK and birth dates; download it there."),
        _("Tempat Lahir is empty: KKMP Anggota does not record the birth place. RT and RW are those of the domicile. "
          "Simpanan in whole rupiah, from the ledger."),
    ]
    sheet.append([title])
    for line in lines:
        sheet.append([neutralise(line)])


# --- The arrears list (`koperasi.views.arrears`) -------------------------------------------

@dataclass
class ArrearsRow:
    member_number: str
    name: str
    rt: str
    rw: str
    joined_on: date
    paid_through: date | None  # the first day of the last month paid; None: nothing paid yet
    unpaid: int  # months
    owed: int  # rupiah
    url: str  # the member's page


def arrears_rows(members, cooperative):
    """`members` annotated by `queries.with_wajib_due`, as rows; what is owed at the monthly
    amount in force."""
    rows = []
    for m in members:
        paid = m.wajib_next - month_index(m.joined_on)
        row = ArrearsRow(m.member_number, m.name, m.domicile_rt, m.domicile_rw, m.joined_on,
                         month_of(m.wajib_next - 1) if paid > 0 else None, m.wajib_unpaid,
                         m.wajib_unpaid * cooperative.wajib_amount, m.get_absolute_url())
        rows.append(row)
    return rows


def arrears_xlsx(cooperative, rows, as_of):
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Arrears"))
    for letter, width in zip("ABCDEFGH", (6, 24, 30, 6, 6, 12, 16, 12)):
        sheet.column_dimensions[letter].width = width
    title = WriteOnlyCell(sheet, value=neutralise(
        _("%(name)s: simpanan wajib in arrears on %(date)s") % {"name": cooperative.name, "date": as_of.strftime("%d-%m-%Y")}
    ))
    title.font = Font(bold=True)
    sheet.append([title])
    sheet.append([neutralise(_(
        "In arrears: %(months)d or more months of simpanan wajib unpaid, at %(amount)s a month."
    ) % {"months": cooperative.arrears_months, "amount": rupiah(cooperative.wajib_amount)})])
    sheet.append([])
    bold = Font(bold=True)
    header = []
    for text in (_("No."), _("Member number"), _("Name"), "RT", "RW", _("Joined on"), _("Paid through (month)"),
                 _("Months unpaid"), _("Owed (Rp)")):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = ("0", "@", "@", "@", "@", "DD-MM-YYYY", "MM-YYYY", "0", "#,##0")
    for number, row in enumerate(rows, start=1):
        values = (number, row.member_number, row.name, row.rt, row.rw, row.joined_on, row.paid_through, row.unpaid, row.owed)
        cells = []
        for value, fmt in zip(values, formats):
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            cell.number_format = fmt
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
