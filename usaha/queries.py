"""The business figures the dashboard and the Satgas report show (`dashboard` reads them from
here, it is the layer above): per kelurahan, the units running and the month's sales from the
units' month counters (`UnitMonth`, kept with each sale), never from the ledger. Two queries,
for any number of kelurahan and sales."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from .models import BusinessUnit, UnitMonth


@dataclass
class Business:
    """A kelurahan's (or a sum's) business in a month."""

    units: int = 0
    sales: int = 0
    quantity: int = 0
    turnover: int = 0
    member_sales: int = 0
    member_turnover: int = 0
    kelurahan_with_units: int = 0

    @property
    def member_percent(self):
        """Percent of the month's sales made to members (None without sales)."""
        return round(100 * self.member_sales / self.sales, 1) if self.sales else None

    def add(self, other):
        for name in ("units", "sales", "quantity", "turnover", "member_sales", "member_turnover"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.kelurahan_with_units += 1 if other.units else 0


@dataclass
class BusinessFigures:
    month: object
    by_kelurahan: dict = field(default_factory=dict)  # {kelurahan id: Business}
    total: Business = field(default_factory=Business)


def business_figures(kelurahan, month):
    """The running units and `month`'s sales of every kelurahan of the queryset `kelurahan`
    that has a unit, and their total."""
    figures = BusinessFigures(month=month.replace(day=1))
    units = (BusinessUnit.objects.filter(kelurahan__in=kelurahan).order_by().values("kelurahan_id")
             .annotate(n=Count("pk", filter=Q(is_active=True))).values_list("kelurahan_id", "n"))
    for kelurahan_id, n in units:
        figures.by_kelurahan[kelurahan_id] = Business(units=n)
    sums = (UnitMonth.objects.filter(kelurahan__in=kelurahan, month=figures.month).order_by().values("kelurahan_id")
            .annotate(s=Sum("sales"), q=Sum("quantity"), t=Sum("turnover"), ms=Sum("member_sales"), mt=Sum("member_turnover")))
    for row in sums:
        business = figures.by_kelurahan.setdefault(row["kelurahan_id"], Business())
        business.sales, business.quantity, business.turnover = row["s"], row["q"], row["t"]
        business.member_sales, business.member_turnover = row["ms"], row["mt"]
    for business in figures.by_kelurahan.values():
        figures.total.add(business)
    return figures
