"""The business units' kept figures checked against a live recount of the ledger
(`manage.py recount`, docs/usaha.md): each product's stock and empty cylinders, each unit's
months (`UnitMonth`) and each member's year (`MemberYear`). A sale that was corrected counts
nowhere (its correction takes it back in the month of the sale); rows of zeros equal no row."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth

from .models import BusinessUnit, MemberYear, Product, StockEntry, UnitMonth

MONTH_FIELDS = ("sales", "quantity", "turnover", "cost", "member_sales", "member_turnover")


def live_stock():
    """{product pk: (stock, empties)} from the ledger."""
    entries = StockEntry.objects.order_by().values("product_id").annotate(
        stock=Sum("quantity"),
        sold=Sum("quantity", filter=Q(type=StockEntry.Type.SALE)),
        unsold=Sum("quantity", filter=Q(type=StockEntry.Type.CORRECTION, reverses__type=StockEntry.Type.SALE)),
        empties_out=Sum("empties_out", filter=Q(type__in=[StockEntry.Type.DELIVERY, StockEntry.Type.CORRECTION])))
    lpg = set(Product.objects.filter(is_lpg_3kg=True).values_list("pk", flat=True))
    return {row["product_id"]: (row["stock"] or 0, -(row["sold"] or 0) - (row["unsold"] or 0) - (row["empties_out"] or 0)
                                if row["product_id"] in lpg else 0) for row in entries}


def stock_differences():
    """[(product pk, kept (stock, empties), live (stock, empties))] where they differ."""
    live = live_stock()
    return [(pk, (stock, empties), live.get(pk, (0, 0))) for pk, stock, empties in
            Product.objects.order_by("pk").values_list("pk", "stock", "empties") if (stock, empties) != live.get(pk, (0, 0))]


def _kept_sales():
    return StockEntry.objects.filter(type=StockEntry.Type.SALE, reversed_by__isnull=True).order_by()


def live_months():
    """{(unit pk, first of month): (sales, quantity, turnover, cost, member sales, member turnover)}."""
    member = Q(member__isnull=False, is_member_price=True)
    rows = _kept_sales().annotate(m=TruncMonth("on")).values("unit_id", "m").annotate(
        sales=Count("pk"), quantity=-Sum("quantity"), turnover=Sum("amount"), cost=Sum("cost"),
        member_sales=Count("pk", filter=member), member_turnover=Sum("amount", filter=member))
    return {(row["unit_id"], row["m"]): tuple(row[name] or 0 for name in MONTH_FIELDS) for row in rows}


def live_member_years():
    """{(unit pk, member pk, year): (sales, amount)}."""
    rows = _kept_sales().filter(member__isnull=False).annotate(y=ExtractYear("on")).values("unit_id", "member_id", "y").annotate(
        sales=Count("pk"), amount=Sum("amount"))
    return {(row["unit_id"], row["member_id"], row["y"]): (row["sales"], row["amount"] or 0) for row in rows}


def _differences(kept, live, zero):
    keys = sorted(set(kept) | set(live))
    return [(key, kept.get(key, zero), live.get(key, zero)) for key in keys if kept.get(key, zero) != live.get(key, zero)]


def month_differences():
    """[((unit pk, month), kept figures, live figures)] where they differ."""
    kept = {(row[0], row[1]): tuple(row[2:]) for row in UnitMonth.objects.values_list("unit_id", "month", *MONTH_FIELDS)}
    return _differences(kept, live_months(), (0,) * len(MONTH_FIELDS))


def member_year_differences():
    """[((unit pk, member pk, year), kept (sales, amount), live (sales, amount))] where they differ."""
    kept = {(u, m, y): (s, a) for u, m, y, s, a in MemberYear.objects.values_list("unit_id", "member_id", "year", "sales", "amount")}
    return _differences(kept, live_member_years(), (0, 0))


def lock():
    """Lock every unit's row (what each ledger write locks first): no sale is written while the
    recount reads and fixes."""
    list(BusinessUnit.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def differences():
    """Every difference, as lines for the recount's report."""
    lines = [f"usaha product {pk}: stock and empties {kept}, ledger {live}" for pk, kept, live in stock_differences()]
    lines += [f"usaha unit {unit} {month:%Y-%m}: figures {kept}, ledger {live} ({', '.join(MONTH_FIELDS)})"
              for (unit, month), kept, live in month_differences()]
    lines += [f"usaha unit {unit} member {member} {year}: (sales, amount) {kept}, ledger {live}"
              for (unit, member, year), kept, live in member_year_differences()]
    return lines


def fix():
    """Write the live figures where the kept ones differ."""
    for pk, _kept, (stock, empties) in stock_differences():
        Product.objects.filter(pk=pk).update(stock=stock, empties=empties)
    kelurahan_of = dict(BusinessUnit.objects.values_list("pk", "kelurahan_id"))
    for (unit, month), _kept, live in month_differences():
        UnitMonth.objects.update_or_create(unit_id=unit, month=month, defaults={
            "kelurahan_id": kelurahan_of[unit], **dict(zip(MONTH_FIELDS, live))})
    for (unit, member, year), _kept, (sales, amount) in member_year_differences():
        MemberYear.objects.update_or_create(unit_id=unit, member_id=member, year=year, defaults={
            "kelurahan_id": kelurahan_of[unit], "sales": sales, "amount": amount})
