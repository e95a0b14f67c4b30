"""The arrears list's rows and its XLSX (`koperasi.views.arrears`)."""

import io
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kkmp.downloads import neutralise

from .models import month_of
from .simpanan import rupiah


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
        paid = m.wajib_next - (m.joined_on.year * 12 + m.joined_on.month - 1)
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
