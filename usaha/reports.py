"""What a unit's pages and downloads read: the daily book, the monthly LPG logbook, sales per
member, the share sold to members, and the financing dossier; and their XLSX files (every text
cell neutralised, `kkmp.downloads.neutralise`). Each reads a fixed number of queries, whatever
the number of sales: the daily book from `StockDay`, the figures from `UnitMonth`."""

import calendar
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kkmp.downloads import neutralise
from kkmp.masking import mask
from koperasi.models import Account, Cooperative, Meeting
from members.models import Member

from .models import MemberYear, StockDay, StockEntry, UnitMonth


def month_bounds(month):
    """(first day, last day) of the month of `month`."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_month(text, today=None):
    """`2026-03` → date(2026, 3, 1); anything else: this month."""
    today = today or timezone.localdate()
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


# --- The daily book -------------------------------------------------------------------------

@dataclass
class BookDay:
    day: date
    opening: int
    stock_in: int
    stock_out: int
    adjusted: int
    closing: int


def daily_book(product, month, today=None):
    """One line a day of `month` (up to today): opening + in − out ± adjusted = closing. Days
    without an entry carry the stock over. Two queries."""
    today = today or timezone.localdate()
    first, last = month_bounds(month)
    last = min(last, today)
    before = StockDay.objects.filter(product=product, day__lt=first).order_by("-day").values_list("closing", flat=True).first()
    rows = {d.day: d for d in StockDay.objects.filter(product=product, day__gte=first, day__lte=last)}
    stock, lines = before or 0, []
    day = first
    while day <= last:
        row = rows.get(day)
        if row is None:
            lines.append(BookDay(day, stock, 0, 0, 0, stock))
        else:
            lines.append(BookDay(day, row.opening, row.stock_in, row.stock_out, row.adjusted, row.closing))
            stock = row.closing
        day += timedelta(days=1)
    return lines


# --- The LPG logbook ------------------------------------------------------------------------

def logbook_sales(unit, month):
    """The month's LPG 3 kg sales, corrected ones left out. The unit's LPG products and the
    month's corrected sales are read first (two small queries; a correction is found by the
    (unit, type, date) index from the month's first day on), so that the month's sales are
    grouped without a join per sale: an anti-join on the corrections read the whole ledger
    (40 ms at 100,000 sales)."""
    first, last = month_bounds(month)
    products = list(unit.products.filter(is_lpg_3kg=True).values_list("pk", flat=True))
    corrected = list(StockEntry.objects.filter(unit=unit, type=StockEntry.Type.CORRECTION, on__gte=first,
                                               reverses__on__gte=first, reverses__on__lte=last)
                     .values_list("reverses_id", flat=True))
    return (StockEntry.objects.filter(unit=unit, type=StockEntry.Type.SALE, on__gte=first, on__lte=last, product_id__in=products)
            .exclude(pk__in=corrected).order_by())


def logbook_rows(sales):
    """The month's LPG 3 kg sales (`logbook_sales`) per day per NIK, as the agent asks: (day,
    NIK, name, KK, cylinders, rupiah), by day then NIK. A queryset of dicts (paginated)."""
    return (sales.values("on", "buyer_nik")
            .annotate(name=Max("buyer_name"), no_kk=Max("no_kk"), cylinders=-Sum("quantity"), amount=Sum("amount"))
            .order_by("on", "buyer_nik"))


def logbook_days(sales):
    """[(day, (cylinders, buyers))] of the month's sales (`logbook_sales`), the daily totals."""
    return [(row["on"], (row["cylinders"], row["buyers"])) for row in
            sales.values("on").annotate(cylinders=-Sum("quantity"),
                                                              buyers=Count("buyer_nik", distinct=True)).order_by("on")]


def masked_rows(rows, show_full):
    for row in rows:
        yield {**row, "buyer_nik": row["buyer_nik"] if show_full else mask(row["buyer_nik"]),
               "no_kk": row["no_kk"] if show_full else mask(row["no_kk"])}


# --- Sales per member -----------------------------------------------------------------------

def member_sales(unit, year):
    """The year's purchases of each member who bought (`MemberYear`), largest first: dicts of
    member id, name, number, sales and rupiah."""
    return (MemberYear.objects.filter(unit=unit, year=year).exclude(sales=0, amount=0)
            .values("member_id", "member__name", "member__member_number", "sales", "amount")
            .order_by("-amount", "member__member_number"))


def year_figures(unit, year):
    """The unit's year from its months: sales, turnover, margin and the share sold to members."""
    sums = UnitMonth.objects.filter(unit=unit, month__year=year).aggregate(
        sales=Sum("sales"), quantity=Sum("quantity"), turnover=Sum("turnover"), cost=Sum("cost"),
        member_sales=Sum("member_sales"), member_turnover=Sum("member_turnover"))
    sums = {key: value or 0 for key, value in sums.items()}
    sums["margin"] = sums["turnover"] - sums["cost"]
    sums["member_percent"] = round(100 * sums["member_turnover"] / sums["turnover"], 1) if sums["turnover"] else None
    return sums


# --- The financing dossier ------------------------------------------------------------------

def last_twelve_months(today=None):
    today = today or timezone.localdate()
    first = today.replace(day=1)
    months = []
    for _i in range(12):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def dossier(kelurahan, today=None):
    """Everything a bank asks of the cooperative, in a fixed number of queries."""
    today = today or timezone.localdate()
    months = last_twelve_months(today)
    members = Member.objects.filter(kelurahan=kelurahan)
    counts = members.aggregate(total=Count("pk"), active=Count("pk", filter=Q(status=Member.Status.AKTIF)))
    joined = dict(members.filter(joined_on__gte=months[0]).annotate(m=TruncMonth("joined_on")).order_by()
                  .values("m").annotate(n=Count("pk")).values_list("m", "n"))
    before = members.filter(joined_on__lt=months[0]).count()
    growth, running = [], before
    for month in months:
        running += joined.get(month, 0)
        growth.append((month, joined.get(month, 0), running))
    capital = Account.objects.filter(kelurahan=kelurahan).aggregate(pokok=Sum("pokok"), wajib=Sum("wajib"),
                                                                    sukarela=Sum("sukarela"))
    capital = {key: value or 0 for key, value in capital.items()}
    rats = list(Meeting.objects.filter(kelurahan=kelurahan, kind=Meeting.Kind.RAT, held_on__lte=today)
                .order_by("-held_on").values_list("held_on", flat=True)[:5])
    units = list(kelurahan.business_units.order_by("name"))
    figures = {(row.unit_id, row.month): row for row in UnitMonth.objects.filter(kelurahan=kelurahan, month__gte=months[0])}
    unit_rows = []
    for unit in units:
        cells = [figures.get((unit.pk, month)) for month in months]
        unit_rows.append({"unit": unit, "months": [(c.turnover, c.margin) if c else (0, 0) for c in cells],
                          "turnover": sum(c.turnover for c in cells if c), "margin": sum(c.margin for c in cells if c)})
    return {"cooperative": Cooperative.of(kelurahan), "members": counts, "growth": growth, "capital": capital,
            "capital_total": capital["pokok"] + capital["wajib"] + capital["sukarela"], "rats": rats, "months": months,
            "units": unit_rows, "today": today}


# --- XLSX -----------------------------------------------------------------------------------

def _book(title, header, rows, notes=()):
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    bold = Font(bold=True)
    cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=neutralise(text))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    if notes:
        info = book.create_sheet(title="Keterangan")
        for line in notes:
            info.append([neutralise(line)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def logbook_xlsx(unit, month, *, show_full):
    rows = ((r["on"], r["buyer_nik"], r["name"], r["no_kk"], r["cylinders"], r["amount"])
            for r in masked_rows(logbook_rows(logbook_sales(unit, month)).iterator(), show_full))
    notes = [_("LPG 3 kg logbook of %(unit)s, %(month)s.") % {"unit": unit.name, "month": month.strftime("%m-%Y")},
             _("Full NIK: personal data (UU 27/2022), for the agent only.") if show_full
             else _("NIK and KK masked: only the cooperative's officers get the full numbers.")]
    return _book("Logbook", [_("Date"), _("NIK"), _("Name"), _("KK"), _("Cylinders"), _("Amount (Rp)")], rows, notes)


def member_sales_xlsx(unit, year):
    rows = ((r["member__member_number"], r["member__name"], r["sales"], r["amount"]) for r in member_sales(unit, year))
    return _book("Penjualan", [_("Member number"), _("Name"), _("Sales"), _("Amount (Rp)")], rows,
                 [_("Sales to members of %(unit)s in %(year)d.") % {"unit": unit.name, "year": year}])


def dossier_xlsx(kelurahan, data):
    cooperative = data["cooperative"]
    rows = [
        (_("Cooperative"), cooperative.name), (_("Legal entity number (AHU)"), cooperative.ahu_number),
        (_("Date of the deed"), cooperative.deed_date), (_("Address"), cooperative.address),
        (_("Members"), data["members"]["total"]), (_("Active members"), data["members"]["active"]),
        (_("Simpanan pokok (Rp)"), data["capital"]["pokok"]), (_("Simpanan wajib (Rp)"), data["capital"]["wajib"]),
        (_("Simpanan sukarela (Rp)"), data["capital"]["sukarela"]),
        (_("RAT held"), ", ".join(day.strftime("%d-%m-%Y") for day in data["rats"]) or "—"),
    ]
    rows += [(_("Joined in %(month)s") % {"month": month.strftime("%m-%Y")}, joined) for month, joined, _total in data["growth"]]
    for unit in data["units"]:
        rows.append((_("Turnover of %(unit)s, 12 months (Rp)") % {"unit": unit["unit"].name}, unit["turnover"]))
        rows.append((_("Margin of %(unit)s, 12 months (Rp)") % {"unit": unit["unit"].name}, unit["margin"]))
    return _book("Profil", [_("Item"), _("Value")], rows,
                 [_("Financing dossier of %(name)s, made on %(date)s.") % {"name": cooperative.name,
                                                                          "date": data["today"].strftime("%d-%m-%Y")}])


