"""Writing a unit's stock and sales ledger: deliveries, sales, stock counts and corrections, each
with its receipt number, the product's stock, the day's line in the daily book and the unit's
month kept in the same transaction.

Every write locks the unit's row (its receipt sequence) and then the product's row (its stock),
in that order: two officers selling the last cylinder at the same moment are served one after
the other, and the second is refused because the stock is then 0 (the database's check on the
stock is the last guard). Refusals are `ValidationError`s with a message for the officer;
nothing is written then. A form's one-time key (`form_key`) sent again raises `AlreadyRecorded`
with the first entry, as in the simpanan ledger (`koperasi.simpanan`).

Entries are dated the day they are recorded (the stock moves when it is written down), so a
day's closing stock in the daily book is the stock after its last entry."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from members.identity import check_nik, normalise_number
from members.models import Household, Member

from .models import BusinessUnit, Het, MemberYear, Product, StockDay, StockEntry, UnitMonth

MAX_QUANTITY = 10_000  # one entry: a typo guard (a delivery truck holds a few hundred cylinders)
MAX_RUPIAH = 10_000_000_000


class AlreadyRecorded(ValidationError):
    """The form with this one-time key was already saved: `entry` is what it recorded."""

    def __init__(self, entry):
        self.entry = entry
        super().__init__(
            _("This form was already saved: receipt %(number)s. Nothing was recorded a second time.")
            % {"number": entry.receipt_number}, code="already_recorded")


def _lock(unit, product=None):
    """Lock the unit's row, then the product's; return both read afresh."""
    unit = BusinessUnit.objects.select_for_update().select_related("kelurahan__kecamatan").get(pk=unit.pk)
    if product is None:
        return unit, None
    product = Product.objects.select_for_update().filter(pk=product.pk, unit_id=unit.pk).first()
    if product is None:
        raise ValidationError(_("This product is not sold by this unit."), code="product")
    return unit, product


def _check_repeat(form_key, *, unit, type, product, reverses=None):
    if form_key is None:
        return
    entry = StockEntry.objects.filter(form_key=form_key).first()
    if entry is None:
        return
    if (entry.unit_id, entry.type, entry.product_id, entry.reverses_id) != (unit.pk, type, product.pk,
                                                                            getattr(reverses, "pk", None)):
        raise ValidationError(_("This form is out of date: open it again from the unit's page."), code="form_key_used")
    raise AlreadyRecorded(entry)


def _quantity(value, *, allow_zero=False):
    if value is None or value < (0 if allow_zero else 1):
        raise ValidationError(_("The quantity must be at least %(min)d.") % {"min": 0 if allow_zero else 1}, code="quantity")
    if value > MAX_QUANTITY:
        raise ValidationError(_("At most %(max)s in one entry.") % {"max": f"{MAX_QUANTITY:,}".replace(",", ".")},
                              code="quantity")
    return value


def _write(unit, product, *, today, form_key=None, by=None, **fields):
    """Write the entry, move the product's stock and empties, and the day's and month's lines."""
    unit.receipt_seq += 1
    BusinessUnit.objects.filter(pk=unit.pk).update(receipt_seq=unit.receipt_seq)
    entry = StockEntry(unit=unit, product=product, kelurahan_id=unit.kelurahan_id, on=today, receipt_seq=unit.receipt_seq,
                       receipt_number=StockEntry.format_receipt(unit, unit.receipt_seq), form_key=form_key,
                       recorded_by=by if by is not None and getattr(by, "is_authenticated", False) else None, **fields)
    if form_key is None:
        entry.save()
    else:
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:
            _check_repeat(form_key, unit=unit, type=fields["type"], product=product, reverses=fields.get("reverses"))
            raise
    _move_stock(product, entry)
    return entry


def _empties_change(product, entry):
    if not product.is_lpg_3kg:
        return 0
    if entry.type == StockEntry.Type.SALE:
        return entry.sold  # each refill is swapped for the buyer's empty cylinder
    if entry.type == StockEntry.Type.DELIVERY:
        return -entry.empties_out
    if entry.type == StockEntry.Type.CORRECTION:
        return -_empties_change(product, entry.reverses)
    return 0


def _move_stock(product, entry):
    product.stock += entry.quantity
    product.empties += _empties_change(product, entry)
    Product.objects.filter(pk=product.pk).update(stock=product.stock, empties=product.empties)
    moved = {"stock_in": entry.quantity if entry.type == StockEntry.Type.DELIVERY else 0,
             "stock_out": entry.sold if entry.type == StockEntry.Type.SALE else 0,
             "adjusted": entry.quantity if entry.type in (StockEntry.Type.COUNT, StockEntry.Type.CORRECTION) else 0}
    # The day's line, updated in place (one query) or made by the day's first entry.
    if not StockDay.objects.filter(product=product, day=entry.on).update(
            closing=product.stock, **{name: F(name) + value for name, value in moved.items()}):
        StockDay.objects.create(product=product, day=entry.on, closing=product.stock, **moved)


def _add(model, keys, create, **changes):
    """Add `changes` to the counter row `keys` (one UPDATE), creating it the first time (under
    the unit's lock: no other writer makes it meanwhile)."""
    if not model.objects.filter(**keys).update(**{name: F(name) + value for name, value in changes.items()}):
        model.objects.create(**keys, **create, **changes)


def _count_sale(entry, sign, month_of_sale):
    """Add (sign 1) or take back (sign -1, a correction) a sale in its month's figures and the
    member's year."""
    sale = entry if sign > 0 else entry.reverses
    is_member = sale.member_id is not None and sale.is_member_price
    _add(UnitMonth, {"unit_id": entry.unit_id, "month": month_of_sale.replace(day=1)}, {"kelurahan_id": entry.kelurahan_id},
         sales=sign, quantity=sign * sale.sold, turnover=sign * sale.amount, cost=sign * sale.cost,
         member_sales=sign if is_member else 0, member_turnover=sign * sale.amount if is_member else 0)
    if sale.member_id is not None:
        _add(MemberYear, {"unit_id": entry.unit_id, "member_id": sale.member_id, "year": month_of_sale.year},
             {"kelurahan_id": entry.kelurahan_id}, sales=sign, amount=sign * sale.amount)


# --- Buyers ---------------------------------------------------------------------------------

class Buyer:
    """Who buys: a member of the cooperative (by number, card QR or their NIK), or a resident by
    NIK; with the household (KK number) a limit counts for, when it is known."""

    def __init__(self, *, member=None, nik="", name="", no_kk=""):
        self.member, self.nik, self.name, self.no_kk = member, nik, name, no_kk

    @property
    def is_member(self):
        """Member prices for active members only (an applicant, or one who left, pays the other)."""
        return self.member is not None and self.member.status == Member.Status.AKTIF

    @property
    def limit_key(self):
        """What the household limit counts by: the KK number, or the NIK when no KK is known."""
        return ("no_kk", self.no_kk) if self.no_kk else ("buyer_nik", self.nik)


def find_buyer(unit, text, *, nik_required=False):
    """The buyer `text` names: a member number of the unit's cooperative (whole, or its
    sequence), the text of a member card's QR code, or a 16-digit NIK. Empty: an anonymous
    buyer, refused when `nik_required` (LPG 3 kg is sold by NIK)."""
    text = (text or "").strip()
    if not text:
        if nik_required:
            raise ValidationError(_("LPG 3 kg is sold by the buyer's NIK: type the NIK, the member number, or scan the "
                                    "member card."), code="nik_required")
        return Buyer()
    if len(text) > 40:
        raise ValidationError(_("This is not a member number or a NIK: scan the QR code on the member card, or type the "
                                "number printed on it."), code="not_a_number")
    digits = normalise_number(text)
    members = Member.objects.filter(kelurahan_id=unit.kelurahan_id).select_related("household")
    if digits.isdigit() and len(digits) == 16:
        check = check_nik(digits, warnings=False)
        if not check.is_valid:
            raise ValidationError(check.errors[0], code="nik")
        # NIK is unique across the register: a member of this cooperative, or of another one
        # (whose household is known), or a resident whose KK may be in a household list.
        member = Member.objects.filter(nik=digits).select_related("household").first()
        no_kk = member.household.no_kk if member is not None and member.household_id else ""
        if member is not None and member.kelurahan_id == unit.kelurahan_id:
            return Buyer(member=member, nik=member.nik, name=member.name, no_kk=no_kk)
        if member is None:
            no_kk = Household.objects.filter(head_nik=digits).values_list("no_kk", flat=True).first() or ""
        return Buyer(nik=digits, no_kk=no_kk)
    member = members.filter(member_number__iexact=text).first()
    if member is None and text.isdigit() and len(text) <= 9:
        member = members.filter(member_seq=int(text)).first()
    if member is None:
        raise ValidationError(_("No member of this cooperative has the number %(number)s (a NIK has 16 digits).")
                              % {"number": text}, code="not_found")
    return Buyer(member=member, nik=member.nik, name=member.name, no_kk=member.household.no_kk if member.household_id else "")


def period_start(unit, day):
    if unit.limit_period == BusinessUnit.Period.DAY:
        return day
    if unit.limit_period == BusinessUnit.Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def bought_in_period(unit, buyer, day):
    """LPG 3 kg cylinders `buyer`'s household bought from `unit` in the limit period of `day`
    (corrected sales not counted)."""
    field, value = buyer.limit_key
    sold = (StockEntry.objects.filter(unit=unit, type=StockEntry.Type.SALE, reversed_by__isnull=True, product__is_lpg_3kg=True,
                                      on__gte=period_start(unit, day), on__lte=day, **{field: value})
            .aggregate(n=Sum("quantity"))["n"] or 0)
    return -sold


# --- Writes ---------------------------------------------------------------------------------

@transaction.atomic
def record_sale(*, unit, product, quantity, buyer="", by=None, today=None, form_key=None) -> StockEntry:
    """Sell `quantity` of `product` to the buyer `buyer` names (`find_buyer`) at their price
    (member or not), and return the entry (the receipt). Refused: more than the stock; LPG 3 kg
    without a NIK, above the HET in force, or past the household's limit for the period."""
    today = today or timezone.localdate()
    unit, product = _lock(unit, product)
    _check_repeat(form_key, unit=unit, type=StockEntry.Type.SALE, product=product)
    if not unit.is_active or not product.is_active:
        raise ValidationError(_("%(product)s is not on sale now.") % {"product": product.name}, code="not_on_sale")
    quantity = _quantity(quantity)
    who = find_buyer(unit, buyer, nik_required=product.is_lpg_3kg)
    if product.is_lpg_3kg:
        product.check_het(Het.in_force(unit.kelurahan.kecamatan.kabupaten_kota_id, today))
        if unit.household_limit:
            bought = bought_in_period(unit, who, today)
            if bought + quantity > unit.household_limit:
                raise ValidationError(
                    _("This household (KK) has bought %(bought)d of its %(limit)d LPG 3 kg cylinders for %(period)s: "
                      "%(quantity)d more is over the limit.")
                    % {"bought": bought, "limit": unit.household_limit, "period": unit.get_limit_period_display(),
                       "quantity": quantity}, code="household_limit")
    if quantity > product.stock:
        raise ValidationError(
            _("Only %(stock)d %(unit)s of %(product)s in stock: %(quantity)d cannot be sold.")
            % {"stock": product.stock, "unit": product.unit_label, "product": product.name, "quantity": quantity},
            code="stock")
    price = product.price_for(who.is_member)
    entry = _write(unit, product, today=today, form_key=form_key, by=by, type=StockEntry.Type.SALE, quantity=-quantity,
                   price=price, amount=price * quantity, cost=product.unit_cost * quantity, member=who.member,
                   buyer_nik=who.nik, buyer_name=who.name, no_kk=who.no_kk, is_member_price=who.is_member)
    _count_sale(entry, 1, entry.on)
    return entry


@transaction.atomic
def record_delivery(*, unit, product, quantity, cost=0, supplier="", delivery_note="", empties_out=0, by=None, today=None,
                    form_key=None) -> StockEntry:
    """A delivery (stock in) of `quantity` at a total `cost`; for LPG 3 kg the empty cylinders
    that went back with the driver (`empties_out`, at most those held)."""
    today = today or timezone.localdate()
    unit, product = _lock(unit, product)
    _check_repeat(form_key, unit=unit, type=StockEntry.Type.DELIVERY, product=product)
    quantity = _quantity(quantity)
    if cost is None or cost < 0 or cost > MAX_RUPIAH:
        raise ValidationError(_("The cost must be Rp 0 or more."), code="cost")
    empties_out = empties_out or 0
    if empties_out < 0 or (empties_out and not product.is_lpg_3kg):
        raise ValidationError(_("Empty cylinders go back only with LPG 3 kg deliveries."), code="empties")
    if empties_out > product.empties:
        raise ValidationError(_("The unit holds %(held)d empty cylinders: %(out)d cannot go back.")
                              % {"held": product.empties, "out": empties_out}, code="empties")
    entry = _write(unit, product, today=today, form_key=form_key, by=by, type=StockEntry.Type.DELIVERY, quantity=quantity,
                   amount=cost, cost=cost, price=cost // quantity, supplier=(supplier or unit.supplier).strip()[:200],
                   delivery_note=(delivery_note or "").strip()[:60], empties_out=empties_out)
    if cost:
        product.unit_cost = cost // quantity
        Product.objects.filter(pk=product.pk).update(unit_cost=product.unit_cost)
    return entry


@transaction.atomic
def record_count(*, unit, product, counted, reason="", by=None, today=None, form_key=None) -> StockEntry:
    """A stock count (opname): the difference between the cylinders or goods counted and the
    book stock, with the reason when they differ."""
    today = today or timezone.localdate()
    unit, product = _lock(unit, product)
    _check_repeat(form_key, unit=unit, type=StockEntry.Type.COUNT, product=product)
    counted = _quantity(counted, allow_zero=True)
    reason = (reason or "").strip()
    if counted != product.stock and not reason:
        raise ValidationError(_("%(counted)d counted against %(stock)d in the book: give the reason for the difference.")
                              % {"counted": counted, "stock": product.stock}, code="reason")
    return _write(unit, product, today=today, form_key=form_key, by=by, type=StockEntry.Type.COUNT,
                  quantity=counted - product.stock, reason=reason[:255])


@transaction.atomic
def reverse_entry(*, entry, reason, by=None, today=None, form_key=None) -> StockEntry:
    """Correct a mistaken entry with its exact opposite (dated today, its own receipt number,
    the reason); the mistaken entry stays. Refused when the stock would go below zero (a
    delivery already sold) or the entry is a correction or corrected already."""
    today = today or timezone.localdate()
    unit, product = _lock(entry.unit, entry.product)
    entry = StockEntry.objects.select_related("product").get(pk=entry.pk)
    _check_repeat(form_key, unit=unit, type=StockEntry.Type.CORRECTION, product=product, reverses=entry)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the correction."), code="reason")
    if entry.is_correction:
        raise ValidationError(_("A correction cannot itself be corrected: record the entry again instead."), code="correction")
    already = StockEntry.objects.filter(reverses=entry).values_list("receipt_number", flat=True).first()
    if already:
        raise ValidationError(_("Receipt %(number)s has already been corrected by %(correction)s.")
                              % {"number": entry.receipt_number, "correction": already}, code="already_reversed")
    if product.stock - entry.quantity < 0:
        raise ValidationError(_("Only %(stock)d in stock: reversing this entry of %(quantity)d would make the stock negative.")
                              % {"stock": product.stock, "quantity": entry.quantity}, code="stock")
    if product.empties - _empties_change(product, entry) < 0:
        raise ValidationError(_("The empty cylinders of this sale have gone back to the agent: it cannot be reversed."),
                              code="empties")
    correction = _write(unit, product, today=today, form_key=form_key, by=by, type=StockEntry.Type.CORRECTION,
                        quantity=-entry.quantity, price=entry.price, amount=-entry.amount, cost=-entry.cost,
                        empties_out=-entry.empties_out, member=entry.member, buyer_nik=entry.buyer_nik,
                        buyer_name=entry.buyer_name, no_kk=entry.no_kk, is_member_price=entry.is_member_price,
                        supplier=entry.supplier, delivery_note=entry.delivery_note, reverses=entry, reason=reason[:255])
    if entry.type == StockEntry.Type.SALE:
        _count_sale(correction, -1, entry.on)
    return correction
