"""The cooperative's business: its units (an LPG 3 kg outlet, sembako, other), their products and
prices, the HET of LPG 3 kg per kota (data with its source and date, never a number in the code),
and the stock and sales ledger: every delivery, sale, stock count and correction one row each,
never changed or deleted (a mistake is corrected by a reversing entry with a reason).

Each product's stock, each day's totals (`StockDay`) and each month's figures per unit
(`UnitMonth`) are kept in the transaction that writes an entry (`usaha.services`), under the
unit's and the product's row locks, so pages and the dashboard read them instead of summing."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kelurahan.models import KabupatenKota, Kelurahan
from members.models import Member


class Het(models.Model):
    """The highest retail price (HET) of LPG 3 kg in a kota or kabupaten from a date, as the
    regional government set it (the admin records it, with the decree or letter it comes from)."""

    kabupaten_kota = models.ForeignKey(KabupatenKota, on_delete=models.PROTECT, related_name="het",
                                       verbose_name=_("regency/city"))
    price = models.PositiveIntegerField(_("HET per cylinder (Rp)"), validators=[MinValueValidator(1)])
    valid_from = models.DateField(_("in force from"))
    source = models.CharField(_("source"), max_length=255, help_text=_("The decree or letter, e.g. Pergub Kaltim No. …/2025."))

    class Meta:
        ordering = ["kabupaten_kota", "-valid_from"]
        verbose_name = _("HET of LPG 3 kg")
        verbose_name_plural = _("HET of LPG 3 kg")
        constraints = [
            models.UniqueConstraint(fields=["kabupaten_kota", "valid_from"], name="usaha_het_one_per_day"),
            models.CheckConstraint(condition=Q(price__gte=1), name="usaha_het_price_positive"),
        ]

    def __str__(self):
        return f"{self.kabupaten_kota} Rp {self.price:,} ({self.valid_from:%d-%m-%Y})".replace(",", ".")

    @classmethod
    def in_force(cls, kabupaten_kota_id, day):
        """The HET of that kota on `day`, or None when none is recorded."""
        return cls.objects.filter(kabupaten_kota_id=kabupaten_kota_id, valid_from__lte=day).order_by("-valid_from").first()


class BusinessUnitQuerySet(models.QuerySet):
    def for_user(self, user):
        """Units of the cooperatives `user` may read (`Kelurahan.objects.for_user`)."""
        return self.filter(kelurahan__in=Kelurahan.objects.for_user(user))

    def kept_by(self, user):
        """Units `user` may record in: their own cooperative's, with the usaha permission."""
        if not user.is_authenticated or not user.has_perm("usaha.keep_business"):
            return self.none()
        return self.filter(kelurahan__in=Kelurahan.objects.managed_by(user))


class BusinessUnit(models.Model):
    """A business unit of a kelurahan's cooperative."""

    class Kind(models.TextChoices):
        LPG = "lpg", _("LPG 3 kg outlet (sub-pangkalan)")
        SEMBAKO = "sembako", _("sembako")
        OTHER = "lainnya", _("other")

    class Period(models.TextChoices):
        DAY = "hari", _("a day")
        WEEK = "minggu", _("a week")
        MONTH = "bulan", _("a month")

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="business_units",
                                  verbose_name=_("cooperative (kelurahan)"))
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True,
                                help_text=_("The pangkalan or agent for LPG; Bulog or a shop for sembako."))
    household_limit = models.PositiveSmallIntegerField(
        _("LPG 3 kg cylinders per household (KK)"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("The most a household may buy in the period; empty: no limit."))
    limit_period = models.CharField(_("limit period"), max_length=10, choices=Period.choices, default=Period.MONTH)
    started_on = models.DateField(_("running since"))
    is_active = models.BooleanField(_("running"), default=True)
    receipt_seq = models.PositiveIntegerField(_("last receipt number"), default=0, editable=False)

    objects = BusinessUnitQuerySet.as_manager()

    class Meta:
        ordering = ["kelurahan", "name"]
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")
        permissions = [("keep_business", _("Can record deliveries, sales and stock counts of own cooperative"))]
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "name"], name="usaha_businessunit_name_unique"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("usaha:unit_detail", args=[self.pk])

    @property
    def is_lpg(self):
        return self.kind == self.Kind.LPG


class Product(models.Model):
    """A product a unit sells, with its prices and its stock (changed only by ledger entries)."""

    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="products", verbose_name=_("business unit"))
    name = models.CharField(_("name"), max_length=150)
    unit_label = models.CharField(_("unit"), max_length=20, default="pcs", help_text=_("tabung, kg, liter, pcs…"))
    is_lpg_3kg = models.BooleanField(_("LPG 3 kg (subsidised)"), default=False,
                                     help_text=_("Sold by the buyer's NIK, within the household limit and the HET."))
    member_price = models.PositiveIntegerField(_("member price (Rp)"), validators=[MinValueValidator(1)])
    non_member_price = models.PositiveIntegerField(_("non-member price (Rp)"), validators=[MinValueValidator(1)])
    unit_cost = models.PositiveIntegerField(_("cost per unit (Rp)"), default=0, editable=False,
                                            help_text=_("From the last delivery."))
    stock = models.IntegerField(_("in stock"), default=0, editable=False)
    empties = models.IntegerField(_("empty cylinders held"), default=0, editable=False)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["unit", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="usaha_product_name_unique"),
            models.CheckConstraint(condition=Q(stock__gte=0, empties__gte=0), name="usaha_product_stock_never_negative"),
            models.CheckConstraint(condition=Q(member_price__gte=1, non_member_price__gte=1), name="usaha_product_prices_positive"),
        ]

    def __str__(self):
        return self.name

    def price_for(self, is_member):
        return self.member_price if is_member else self.non_member_price

    def check_het(self, het):
        """Refuse prices above `het` (an `Het`, or None when the kota has none recorded)."""
        if not self.is_lpg_3kg:
            return
        if het is None:
            raise ValidationError(_("No HET of LPG 3 kg is recorded for this city yet: the administrator records it "
                                    "(with its source) before LPG 3 kg is sold."), code="no_het")
        if max(self.member_price, self.non_member_price) > het.price:
            raise ValidationError(
                _("The price of LPG 3 kg cannot be above the HET of Rp %(het)s (%(source)s, from %(date)s).")
                % {"het": f"{het.price:,}".replace(",", "."), "source": het.source, "date": het.valid_from.strftime("%d-%m-%Y")},
                code="above_het")


class StockEntryQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(kelurahan__in=Kelurahan.objects.for_user(user))

    def sales(self):
        """Sales and their corrections (what counts as sold)."""
        return self.filter(Q(type=StockEntry.Type.SALE) | Q(type=StockEntry.Type.CORRECTION, reverses__type=StockEntry.Type.SALE))


class StockEntry(models.Model):
    """One line of a unit's stock and sales ledger, with its receipt number (per unit).

    `quantity` is the signed change of the product's stock: a delivery (masuk) positive, a sale
    (jual) negative, a stock count (opname) the counted minus the book stock, and a correction
    (koreksi) the exact opposite of the entry it reverses; `amount` the rupiah of a sale (or the
    cost of a delivery), signed the same way for a correction."""

    class Type(models.TextChoices):
        DELIVERY = "masuk", _("delivery")
        SALE = "jual", _("sale")
        COUNT = "opname", _("stock count")
        CORRECTION = "koreksi", _("correction")

    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="entries", verbose_name=_("business unit"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="entries", verbose_name=_("product"))
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+", verbose_name=_("cooperative (kelurahan)"))
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    on = models.DateField(_("date"))
    quantity = models.IntegerField(_("quantity"))
    empties_out = models.IntegerField(_("empty cylinders returned"), default=0)
    price = models.PositiveIntegerField(_("price per unit (Rp)"), default=0)
    amount = models.BigIntegerField(_("amount (Rp)"), default=0)
    cost = models.BigIntegerField(_("cost (Rp)"), default=0)
    # A sale's buyer: a member, or a resident by NIK (LPG 3 kg), and the household it counts for.
    member = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, blank=True, related_name="purchases",
                               verbose_name=_("member"))
    buyer_nik = models.CharField(_("buyer's NIK"), max_length=16, blank=True)
    buyer_name = models.CharField(_("buyer's name"), max_length=150, blank=True)
    no_kk = models.CharField(_("household (KK)"), max_length=16, blank=True)
    is_member_price = models.BooleanField(_("member price"), default=False)
    # A delivery's paper trail.
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    delivery_note = models.CharField(_("delivery note number"), max_length=60, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by",
                                    verbose_name=_("reverses"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    receipt_seq = models.PositiveIntegerField(_("receipt sequence"), editable=False)
    receipt_number = models.CharField(_("receipt number"), max_length=40, editable=False)
    form_key = models.UUIDField(_("form key"), null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = StockEntryQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "pk"]
        verbose_name = _("stock entry")
        verbose_name_plural = _("stock entries")
        constraints = [
            models.UniqueConstraint(fields=["unit", "receipt_seq"], name="usaha_stockentry_receipt_unique"),
            models.UniqueConstraint(fields=["form_key"], condition=Q(form_key__isnull=False), name="usaha_stockentry_form_key_unique"),
            models.CheckConstraint(
                condition=(Q(type="masuk", quantity__gt=0, reverses__isnull=True)
                           | Q(type="jual", quantity__lt=0, amount__gte=0, reverses__isnull=True)
                           | Q(type="opname", reverses__isnull=True)
                           | Q(type="koreksi", reverses__isnull=False)),
                name="usaha_stockentry_sign_matches_type"),
        ]
        indexes = [
            models.Index(fields=["unit", "on"], name="usaha_entry_unit_on"),
            models.Index(fields=["unit", "type", "on"], name="usaha_entry_unit_type_on"),
            models.Index(fields=["unit", "no_kk", "on"], name="usaha_entry_unit_kk_on"),
            models.Index(fields=["unit", "buyer_nik", "on"], name="usaha_entry_unit_nik_on"),
            models.Index(fields=["member", "on"], name="usaha_entry_member_on"),
        ]

    def __str__(self):
        return self.receipt_number

    def get_absolute_url(self):
        return reverse("usaha:receipt", args=[self.pk])

    def save(self, *args, **kwargs):
        """Entries are written once (`usaha.services`): a saved one is never changed."""
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("A stock entry cannot be changed: record a correction instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A stock entry cannot be deleted: record a correction instead."))

    @property
    def is_correction(self):
        return self.type == self.Type.CORRECTION

    @property
    def sold(self):
        """Units sold (a sale's quantity as a positive number)."""
        return -self.quantity

    @classmethod
    def format_receipt(cls, unit, seq):
        return f"NJ-{unit.pk}-{seq:06d}"


class StockDay(models.Model):
    """A product's day in the daily book: what came in, went out and was adjusted (stock counts
    and corrections), and the stock at the day's end; rewritten with each entry of that day."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="days", verbose_name=_("product"))
    day = models.DateField(_("day"))
    stock_in = models.IntegerField(_("in"), default=0)
    stock_out = models.IntegerField(_("out"), default=0)
    adjusted = models.IntegerField(_("adjusted"), default=0)
    closing = models.IntegerField(_("closing stock"), default=0)

    class Meta:
        ordering = ["product", "day"]
        verbose_name = _("daily book day")
        verbose_name_plural = _("daily book days")
        constraints = [
            models.UniqueConstraint(fields=["product", "day"], name="usaha_stockday_unique"),
            models.CheckConstraint(condition=Q(closing__gte=0), name="usaha_stockday_closing_never_negative"),
        ]

    @property
    def opening(self):
        return self.closing - self.stock_in + self.stock_out - self.adjusted


class UnitMonth(models.Model):
    """A unit's month: its sales (count, quantity, turnover, cost of what was sold) and the part
    sold to members, kept with each sale for the dashboard, the SHU and the financing dossier."""

    unit = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE, related_name="months", verbose_name=_("business unit"))
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.CASCADE, related_name="+", verbose_name=_("cooperative (kelurahan)"))
    month = models.DateField(_("month"), help_text=_("Its first day."))
    sales = models.IntegerField(_("sales"), default=0)
    quantity = models.IntegerField(_("quantity sold"), default=0)
    turnover = models.BigIntegerField(_("turnover (Rp)"), default=0)
    cost = models.BigIntegerField(_("cost of goods sold (Rp)"), default=0)
    member_sales = models.IntegerField(_("sales to members"), default=0)
    member_turnover = models.BigIntegerField(_("turnover from members (Rp)"), default=0)

    FIGURES = ("sales", "quantity", "turnover", "cost", "member_sales", "member_turnover")

    class Meta:
        ordering = ["unit", "month"]
        verbose_name = _("unit's month")
        verbose_name_plural = _("units' months")
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="usaha_unitmonth_unique")]
        indexes = [models.Index(fields=["kelurahan", "month"], name="usaha_unitmonth_kel_month")]

    @property
    def margin(self):
        return self.turnover - self.cost


class MemberYear(models.Model):
    """What a member bought from a unit in a year (sales, rupiah; corrections taken off), kept
    with each sale: the report of sales per member and the SHU's jasa anggota read it."""

    unit = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE, related_name="member_years", verbose_name=_("business unit"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.CASCADE, related_name="+", verbose_name=_("cooperative (kelurahan)"))
    year = models.PositiveSmallIntegerField(_("year"))
    sales = models.IntegerField(_("sales"), default=0)
    amount = models.BigIntegerField(_("amount (Rp)"), default=0)

    class Meta:
        ordering = ["unit", "year", "-amount"]
        verbose_name = _("member's purchases in a year")
        verbose_name_plural = _("members' purchases in a year")
        constraints = [models.UniqueConstraint(fields=["unit", "member", "year"], name="usaha_memberyear_unique")]
        indexes = [models.Index(fields=["unit", "year", "-amount"], name="usaha_memberyear_ranking"),
                   models.Index(fields=["kelurahan", "year"], name="usaha_memberyear_kel_year")]


class ShuRule(models.Model):
    """How a cooperative divides its SHU (its articles): percentages summing to 100."""

    kelurahan = models.OneToOneField(Kelurahan, on_delete=models.CASCADE, primary_key=True, related_name="shu_rule",
                                     verbose_name=_("cooperative (kelurahan)"))
    reserves = models.PositiveSmallIntegerField(_("reserves (%)"), default=30, validators=[MaxValueValidator(100)])
    jasa_modal = models.PositiveSmallIntegerField(_("jasa modal: by simpanan (%)"), default=20, validators=[MaxValueValidator(100)])
    jasa_anggota = models.PositiveSmallIntegerField(_("jasa anggota: by purchases (%)"), default=25,
                                                    validators=[MaxValueValidator(100)])
    pengurus = models.PositiveSmallIntegerField(_("pengurus and pengawas (%)"), default=10, validators=[MaxValueValidator(100)])
    education = models.PositiveSmallIntegerField(_("education (%)"), default=5, validators=[MaxValueValidator(100)])
    social = models.PositiveSmallIntegerField(_("social (%)"), default=10, validators=[MaxValueValidator(100)])

    SHARES = ("reserves", "jasa_modal", "jasa_anggota", "pengurus", "education", "social")

    class Meta:
        verbose_name = _("SHU allocation rule")
        verbose_name_plural = _("SHU allocation rules")
        constraints = [models.CheckConstraint(
            condition=Q(reserves__lte=100) & Q(jasa_modal__lte=100) & Q(jasa_anggota__lte=100) & Q(pengurus__lte=100)
            & Q(education__lte=100) & Q(social__lte=100),
            name="usaha_shurule_percent_at_most_100")]

    def clean(self):
        total = sum(getattr(self, name) or 0 for name in self.SHARES)
        if total != 100:
            raise ValidationError(_("The shares must add up to 100%%, not %(total)d%%.") % {"total": total}, code="not_100")


class ShuYear(models.Model):
    """A year's SHU of a cooperative: the result (margin from the units' sales, less the other
    costs entered), its allocation by the rule as it was, and once the RAT decided, the payout."""

    class Payout(models.TextChoices):
        SUKARELA = "sukarela", _("credited to simpanan sukarela")
        CASH = "tunai", _("paid in cash")

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="shu_years",
                                  verbose_name=_("cooperative (kelurahan)"))
    year = models.PositiveSmallIntegerField(_("year"))
    margin = models.BigIntegerField(_("gross margin from sales (Rp)"), default=0)
    other_costs = models.BigIntegerField(_("other costs (Rp)"), default=0, validators=[MinValueValidator(0)])
    allocation = models.JSONField(_("allocation (Rp)"), default=dict)
    meeting = models.ForeignKey("koperasi.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("RAT that decided it"))
    payout = models.CharField(_("payout"), max_length=10, choices=Payout.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        ordering = ["kelurahan", "-year"]
        verbose_name = _("SHU of a year")
        verbose_name_plural = _("SHU of the years")
        constraints = [models.UniqueConstraint(fields=["kelurahan", "year"], name="usaha_shuyear_unique")]

    def __str__(self):
        return f"SHU {self.year}"

    @property
    def result(self):
        return self.margin - self.other_costs


class ShuShare(models.Model):
    """A member's SHU of a year: by their simpanan (jasa modal) and purchases (jasa anggota)."""

    shu = models.ForeignKey(ShuYear, on_delete=models.CASCADE, related_name="shares", verbose_name=_("SHU"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    simpanan = models.BigIntegerField(_("simpanan at year end (Rp)"))
    purchases = models.BigIntegerField(_("purchases in the year (Rp)"))
    jasa_modal = models.BigIntegerField(_("jasa modal (Rp)"))
    jasa_anggota = models.BigIntegerField(_("jasa anggota (Rp)"))
    paid_entry_id = models.BigIntegerField(_("simpanan entry of the payout"), null=True, blank=True)

    class Meta:
        ordering = ["shu", "member"]
        verbose_name = _("member's SHU")
        verbose_name_plural = _("members' SHU")
        constraints = [models.UniqueConstraint(fields=["shu", "member"], name="usaha_shushare_unique")]

    @property
    def total(self):
        return self.jasa_modal + self.jasa_anggota


__all__ = ["Het", "BusinessUnit", "Product", "StockEntry", "StockDay", "UnitMonth", "MemberYear", "ShuRule", "ShuYear", "ShuShare"] 
