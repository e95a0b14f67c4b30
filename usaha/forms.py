"""The officers' forms for a business unit: a sale (the buyer typed, scanned or photographed), a
delivery, a stock count, a correction; a unit and a product; the SHU rule and year. Forms only
turn what was typed into values; the rules are `usaha.services`'."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi import qr_photo
from koperasi.forms import LedgerForm, RupiahField
from members.forms import DateInput

from .models import BusinessUnit, Product, ShuRule


class ProductChoice(forms.ModelChoiceField):
    def label_from_instance(self, product):
        return f"{product.name} · {product.stock} {product.unit_label}"


class SaleForm(LedgerForm):
    """A sale in three taps: the product, the buyer (member number, the member card's QR code
    read by the camera or from a photo, or a NIK), the quantity."""

    product = ProductChoice(label=_("Product"), queryset=Product.objects.none(), widget=forms.RadioSelect, empty_label=None)
    buyer = forms.CharField(
        label=_("Buyer"), max_length=60, required=False,
        help_text=_("Member number (or its last digits), or the buyer's 16-digit NIK; empty for a non-member "
                    "(not for LPG 3 kg)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                      "data-scan-input": ""}))
    photo = forms.FileField(label=_("Or a photo of the member card's QR code"), required=False,
                            widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000, initial=1,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}))

    def __init__(self, *args, unit, too_large=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.fields["product"].queryset = unit.products.filter(is_active=True).order_by("name")

    def clean(self):
        data = super().clean()
        if self.too_large:
            self.add_error("photo", qr_photo.photo_too_large())
            return data
        photo = data.get("photo")
        if photo:
            try:
                data["buyer"] = qr_photo.read_qr(photo)
            except forms.ValidationError as exc:
                self.add_error("photo", exc)
        return data


class DeliveryForm(LedgerForm):
    product = ProductChoice(label=_("Product"), queryset=Product.objects.none(), empty_label=None)
    quantity = forms.IntegerField(label=_("Quantity delivered"), min_value=1, max_value=10_000,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}))
    cost = RupiahField(label=_("Total cost (Rp)"), required=False, help_text=_("Empty when not known."))
    supplier = forms.CharField(label=_("Supplier"), max_length=200, required=False)
    delivery_note = forms.CharField(label=_("Delivery note number"), max_length=60, required=False)
    empties_out = forms.IntegerField(label=_("Empty cylinders returned"), min_value=0, max_value=10_000, required=False,
                                     initial=0, help_text=_("LPG 3 kg: the empties that went back with the driver."))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = unit.products.order_by("name")
        self.initial.setdefault("supplier", unit.supplier)


class CountForm(LedgerForm):
    product = ProductChoice(label=_("Product"), queryset=Product.objects.none(), empty_label=None)
    counted = forms.IntegerField(label=_("Counted"), min_value=0, max_value=10_000,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}))
    reason = forms.CharField(label=_("Reason for a difference"), max_length=255, required=False,
                             help_text=_("For example: a leaking cylinder returned to the agent, damaged goods."))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = unit.products.order_by("name")


class CorrectionForm(LedgerForm):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=255,
                             help_text=_("For example: wrong product, wrong quantity, recorded twice by mistake."))


class UnitForm(forms.ModelForm):
    class Meta:
        model = BusinessUnit
        fields = ["name", "kind", "supplier", "household_limit", "limit_period", "started_on", "is_active"]
        widgets = {"started_on": DateInput()}

    def clean_started_on(self):
        """A unit starts between 2000 and today: a date in the future, or a typo such as 0202 or
        3026, would put the unit's start (shown on the dossier for a bank) out of any year."""
        day, today = self.cleaned_data.get("started_on"), timezone.localdate()
        if day and day > today:
            raise forms.ValidationError(_("The date cannot be in the future (today is %(today)s).")
                                        % {"today": today.strftime("%d-%m-%Y")}, code="future")
        if day and day < date(2000, 1, 1):
            raise forms.ValidationError(_("A unit started in 2000 or later: check the year."), code="too_early")
        return day


class ProductForm(forms.ModelForm):
    member_price = RupiahField(label=_("member price (Rp)"), min_value=1)
    non_member_price = RupiahField(label=_("non-member price (Rp)"), min_value=1)

    class Meta:
        model = Product
        fields = ["name", "unit_label", "is_lpg_3kg", "member_price", "non_member_price", "is_active"]

    def __init__(self, *args, het=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.het = het

    def clean_is_lpg_3kg(self):
        """Subsidised or not is fixed once the product is in the ledger: unticking it would sell
        LPG 3 kg without NIK, household limit or HET, and leave its logbook and empty cylinders
        out of step with the sales already recorded."""
        value = self.cleaned_data.get("is_lpg_3kg")
        if self.instance.pk and value != self.instance.is_lpg_3kg and self.instance.entries.exists():
            raise forms.ValidationError(_("This product already has entries in the ledger: whether it is LPG 3 kg cannot "
                                          "change. Add a new product instead."), code="lpg_fixed")
        return value

    def clean(self):
        data = super().clean()
        if not self.errors and data["member_price"] > data["non_member_price"]:
            self.add_error("member_price", _("The member price cannot be above the non-member price."))
        if not self.errors:
            try:
                Product(is_lpg_3kg=data.get("is_lpg_3kg"), member_price=data["member_price"],
                        non_member_price=data["non_member_price"]).check_het(self.het)
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        return data


class ShuRuleForm(forms.ModelForm):
    class Meta:
        model = ShuRule
        fields = list(ShuRule.SHARES)


class ShuYearForm(forms.Form):
    other_costs = forms.IntegerField(label=_("Other costs of the year (Rp)"), min_value=0, max_value=10**12, required=False,
                              help_text=_("Rent, wages, electricity… not already in the cost of the goods sold."))


class ShuDecisionForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("The RAT that decided it"), queryset=None, empty_label=None)
    payout = forms.ChoiceField(label=_("Payout"), choices=[("sukarela", _("credited to simpanan sukarela")),
                                                           ("tunai", _("paid in cash"))])

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
        # Listed once (the widget would read the queryset each time it is iterated).
        self.fields["meeting"].choices = [(m.pk, f"{m.held_on:%d-%m-%Y} · {m.agenda}") for m in meetings]
