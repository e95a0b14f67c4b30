"""The officers' forms for the cooperative: a payment, a withdrawal, a correction; the
cooperative's profile and rules; a pengurus or pengawas; a meeting, its attendance and decisions."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput
from members.models import Member

from .models import Cooperative, Decision, Entry, Meeting, Officer


class RupiahField(forms.IntegerField):
    """Whole rupiah, typed as 50000, 50.000, "Rp 50.000" or "50 000"; no sen."""

    default_error_messages = {
        "invalid": _("Write the amount in whole rupiah, for example 50000 or 50.000."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"(?i)^\s*rp\.?\s*", "", value.strip())
            value = re.sub(r"[.\s\u00a0]", "", value)
            if value.startswith("-") and value[1:].isdigit():
                raise forms.ValidationError(_("The amount must be more than Rp 0."), code="not_positive")
        value = super().to_python(value)
        if value is not None and value <= 0:
            raise forms.ValidationError(_("The amount must be more than Rp 0."), code="not_positive")
        if value is not None and value > 10**12:
            raise forms.ValidationError(_("The amount is too large."), code="too_large")
        return value


def _not_in_future(day):
    today = timezone.localdate()
    if day and day > today:
        raise forms.ValidationError(
            _("The date cannot be in the future (today is %(today)s).") % {"today": today.strftime("%d-%m-%Y")}
        )
    return day


class PaymentForm(forms.Form):
    """A payment (setoran) of one kind of simpanan, prefilled so that on a phone it is: pick
    the method if not cash, then save."""

    amount = RupiahField(label=_("Amount (Rp)"))
    months = forms.IntegerField(label=_("Months of simpanan wajib"), min_value=1, max_value=24, initial=1, required=False,
                                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    paid_on = forms.DateField(label=_("Date paid"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=Entry.Method.choices, initial=Entry.Method.TUNAI,
                               widget=forms.RadioSelect(attrs={"class": "choice-row"}))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False,
                                help_text=_("Transfer or QRIS reference number, if any."))

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.initial.setdefault("paid_on", timezone.localdate())
        if kind != Entry.Kind.WAJIB:
            del self.fields["months"]

    def clean_paid_on(self):
        return _not_in_future(self.cleaned_data["paid_on"])


class WithdrawalForm(forms.Form):
    amount = RupiahField(label=_("Amount withdrawn (Rp)"))
    paid_on = forms.DateField(label=_("Date"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=Entry.Method.choices, initial=Entry.Method.TUNAI,
                               widget=forms.RadioSelect(attrs={"class": "choice-row"}))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    reason = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("paid_on", timezone.localdate())

    def clean_paid_on(self):
        return _not_in_future(self.cleaned_data["paid_on"])


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=255,
                             help_text=_("For example: wrong member, wrong amount, paid twice by mistake."))


class CooperativeForm(forms.ModelForm):
    class Meta:
        model = Cooperative
        fields = ["legal_name", "ahu_number", "deed_date", "address", "pokok_amount", "wajib_amount", "wajib_due_day",
                  "activation", "arrears_months", "quorum"]
        widgets = {"deed_date": DateInput()}


class OfficerForm(forms.ModelForm):
    member_number = forms.CharField(label=_("Member number"), max_length=40,
                                    help_text=_("The member number on their card."))

    class Meta:
        model = Officer
        fields = ["role", "term_start", "term_end"]
        widgets = {"term_start": DateInput(), "term_end": DateInput()}
        field_classes = {}

    field_order = ["member_number", "role", "term_start", "term_end"]

    def __init__(self, *args, kelurahan, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kelurahan = kelurahan

    def clean_member_number(self):
        number = self.cleaned_data["member_number"].strip()
        member = Member.objects.filter(kelurahan=self.instance.kelurahan, member_number=number).first()
        if member is None:
            raise forms.ValidationError(_("No member of this cooperative has the number %(number)s.") % {"number": number})
        self.instance.member = member
        return number


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["kind", "held_on", "place", "agenda"]
        widgets = {"held_on": DateInput(), "agenda": forms.Textarea(attrs={"rows": 4})}


class MinutesForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 6})}


class AttendanceForm(forms.Form):
    """A member number, typed or read from the member card's QR code."""

    number = forms.CharField(label=_("Member number"), max_length=60,
                             widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))
    via = forms.ChoiceField(choices=[("ketik", "ketik"), ("qr", "qr")], required=False, widget=forms.HiddenInput)


class DecisionForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = ["subject", "text", "votes_for", "votes_against", "abstentions"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3}),
                   **{f: forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})
                      for f in ("votes_for", "votes_against", "abstentions")}}
