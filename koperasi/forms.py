"""The officers' forms for the cooperative: a payment, a withdrawal, a correction; the
cooperative's profile and rules; a pengurus or pengawas; a meeting, its attendance and decisions."""

import re
import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput
from members.models import Member

from .amounts import parse_rupiah
from .models import Cooperative, Entry, Officer


class RupiahField(forms.IntegerField):
    """Whole rupiah, typed as 50000, 50.000, "Rp 50.000" or "50 000"; no sen. Read by
    `koperasi.amounts.parse_rupiah`, as the payments import reads its amounts."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_rupiah(value)


def _not_in_future(day):
    today = timezone.localdate()
    if day and day > today:
        raise forms.ValidationError(
            _("The date cannot be in the future (today is %(today)s).") % {"today": today.strftime("%d-%m-%Y")}
        )
    return day


class LedgerForm(forms.Form):
    """A form that records one ledger entry, with its one-time key (`form_key`): a hidden
    field, new each time the form is shown, stored with the entry, so that the same form sent
    twice (a double tap, the browser's "resubmit" after a timeout) shows the first receipt
    instead of recording a second entry (`koperasi.simpanan.AlreadyRecorded`)."""

    form_key = forms.UUIDField(widget=forms.HiddenInput, required=False, error_messages={
        "invalid": _("This form is out of date: open it again from the member's page."),
    })

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("form_key", uuid.uuid4())


class PaymentForm(LedgerForm):
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


class WithdrawalForm(LedgerForm):
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


class CorrectionForm(LedgerForm):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=255,
                             help_text=_("For example: wrong member, wrong amount, paid twice by mistake."))


class CooperativeForm(forms.ModelForm):
    """The cooperative's legal profile and the rules of its AD/ART. What a change does to the
    ledger is said beside each rule (docs/cooperative.md); the simpanan pokok amount is fixed
    (shown, not editable) once a member has paid simpanan pokok (`pokok_fixed`)."""

    pokok_amount = RupiahField(label=_("Simpanan pokok (Rp)"), max_value=100_000_000)
    wajib_amount = RupiahField(label=_("Simpanan wajib a month (Rp)"), max_value=100_000_000)

    class Meta:
        model = Cooperative
        fields = ["legal_name", "ahu_number", "deed_date", "address", "pokok_amount", "wajib_amount", "wajib_due_day",
                  "activation", "arrears_months", "quorum"]
        widgets = {"deed_date": DateInput(), "wajib_due_day": forms.NumberInput(attrs={"inputmode": "numeric"}),
                   "arrears_months": forms.NumberInput(attrs={"inputmode": "numeric"})}
        help_texts = {
            "wajib_due_day": _("Day of the month (1 to 28) by which the month's simpanan wajib is due. The arrears "
                               "list and the dashboard follow at once; no payment changes."),
            "activation": _("Automatic: an applicant becomes active when the simpanan pokok is fully paid. Switching "
                            "to automatic is refused while applicants who have paid wait for confirmation: confirm "
                            "them first."),
            "arrears_months": _("A member with this many months of simpanan wajib unpaid is listed as in arrears "
                                "(menunggak). The arrears list and the dashboard follow at once."),
            "quorum": _("How many of the active members must attend a members' meeting for it to decide."),
        }

    POKOK_HELP = _("Paid once, on joining. It can be changed only until the first member pays simpanan pokok: "
                   "after that the members who paid would owe more, or have paid too much.")
    POKOK_FIXED_HELP = _("Fixed: members have already paid simpanan pokok at this amount. A change needs a new "
                         "decision of the members' meeting and a correction of every member's simpanan pokok; ask DKUMKMP.")
    WAJIB_HELP = _("Applies to the payments recorded from now on. Months already paid stay paid: no top-up is asked "
                   "and no arrears arise from the change.")

    POKOK_FIXED_MEANWHILE = _("The simpanan pokok can no longer change: a member has paid simpanan pokok since this "
                              "page was opened, at %(amount)s. Nothing was saved; check the other values and save again.")

    def __init__(self, *args, pokok_fixed=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.pokok_fixed = pokok_fixed
        self.fields["pokok_amount"].help_text = self.POKOK_FIXED_HELP if pokok_fixed else self.POKOK_HELP
        self.fields["wajib_amount"].help_text = self.WAJIB_HELP
        # The model's limits on the phone's number pad as well (its fields only know "not negative").
        self.fields["wajib_due_day"].widget.attrs.update(min=1, max=28)
        self.fields["arrears_months"].widget.attrs.update(min=1, max=24)
        if pokok_fixed:
            self.fields["pokok_amount"].disabled = True

    def clean(self):
        """A disabled field's posted value is ignored. A browser does not send it; a page opened
        before the first simpanan pokok was paid does, and a new amount typed there is refused
        rather than dropped in silence."""
        cleaned = super().clean()
        if self.pokok_fixed and self.data.get("pokok_amount", "") != "":
            fixed = self.initial.get("pokok_amount")
            try:
                typed = RupiahField().clean(self.data["pokok_amount"])
            except forms.ValidationError:
                typed = None
            if typed != fixed:
                from .simpanan import rupiah

                self.add_error("pokok_amount", self.POKOK_FIXED_MEANWHILE % {"amount": rupiah(fixed)})
        return cleaned

    def values(self):
        """What the officer may have changed: every field but a disabled one."""
        return {name: value for name, value in self.cleaned_data.items() if not self.fields[name].disabled}


class OfficerForm(forms.ModelForm):
    """A pengurus or pengawas: the member, found by their member number in this cooperative
    (the whole number, or only its sequence: 12 for 64.71.05.1002-00012), the role and the term."""

    member_number = forms.CharField(label=_("Member number"), max_length=40,
                                    help_text=_("The number on their member card, or only its last digits (12 for …-00012). "
                                                "Only an active member of this cooperative can serve."),
                                    widget=forms.TextInput(attrs={"autocomplete": "off"}))

    class Meta:
        model = Officer
        fields = ["role", "term_start", "term_end"]
        widgets = {"term_start": DateInput(), "term_end": DateInput()}
        help_texts = {"term_end": _("Leave empty while the term runs; the term ends on this day (the first day not "
                                    "served).")}

    field_order = ["member_number", "role", "term_start", "term_end"]
    # A Kemendagri kelurahan code inside a member number (`64.71.05.1002-00012`).
    KELURAHAN_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")

    def __init__(self, *args, kelurahan, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kelurahan = kelurahan
        self.initial.setdefault("term_start", timezone.localdate())

    def clean_member_number(self):
        number = self.cleaned_data["member_number"].strip()
        kelurahan = self.instance.kelurahan
        members = Member.objects.filter(kelurahan=kelurahan)
        member = members.filter(member_number__iexact=number).first()
        if member is None and number.isdigit() and len(number) <= 9:
            member = members.filter(member_seq=int(number)).first()
        if member is None:
            code = self.KELURAHAN_CODE.search(number)
            if code and code.group() != kelurahan.kode:
                # Told from the number itself: nothing is looked up in another cooperative.
                raise forms.ValidationError(_("%(number)s is a member number of another cooperative: pengurus and "
                                              "pengawas are members of this cooperative.") % {"number": number})
            raise forms.ValidationError(_("No member of this cooperative has the number %(number)s.") % {"number": number})
        if member.is_applicant:
            raise forms.ValidationError(_("%(name)s (%(number)s) is still an applicant (calon): only an active member "
                                          "can serve as pengurus or pengawas.")
                                        % {"name": member.name, "number": member.member_number})
        if member.has_left:
            raise forms.ValidationError(_("%(name)s (%(number)s) left the cooperative on %(date)s (%(status)s): only an "
                                          "active member can serve as pengurus or pengawas.")
                                        % {"name": member.name, "number": member.member_number,
                                           "date": member.left_on.strftime("%d-%m-%Y"), "status": member.get_status_display()})
        self.instance.member = member
        return member.member_number

    def _update_errors(self, errors):
        """The model speaks of `member`; the form's field is the member number."""
        super()._update_errors(self.rename_member(errors))

    def add_service_errors(self, exc):
        """A refusal of `koperasi.profile.appoint`, on the fields it names."""
        self.add_error(None, self.rename_member(exc))

    @staticmethod
    def rename_member(errors):
        if hasattr(errors, "error_dict") and "member" in errors.error_dict:
            errors.error_dict.setdefault("member_number", []).extend(errors.error_dict.pop("member"))
        return errors
