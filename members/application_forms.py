"""The public application form (a resident applying from their phone: NIK and KK checked with
the officers' rules, sizes limited, a honeypot) and the officer's rejection form."""

import re
import unicodedata

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .identity import check_nik, check_no_kk
from .models import Application, validate_phone
from .values import age_on, normalise_phone, normalise_rt_rw

# Letters of any script, spaces and the punctuation names carry (Nur'aini, Sri R. Dewi, Al-Amin).
_NAME_PUNCTUATION = set(" .,'-")


class ApplicationForm(forms.Form):
    """What a resident types on the join page: the least the cooperative needs to register them
    (UU 27/2022). NIK and KK go through the officers' checks (`members.identity`); only the
    hard errors are shown, never anything found in the register."""

    name = forms.CharField(
        label=_("Full name (as on the KTP)"), max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": 100}),
    )
    nik = forms.CharField(
        label=_("NIK"), max_length=32, help_text=_("16 digits, on your KTP."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 32}),
    )
    no_kk = forms.CharField(
        label=_("KK number"), max_length=32, help_text=_("16 digits, from the Kartu Keluarga."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 32}),
    )
    is_head_of_household = forms.BooleanField(label=_("I am the head of the household (kepala keluarga)"), required=False)
    phone = forms.CharField(
        label=_("Phone (WhatsApp)"), max_length=24, help_text=_("The pengurus will contact you on this number."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 24}),
    )
    rt = forms.CharField(
        label=_("RT"), max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 6}),
    )
    address = forms.CharField(
        label=_("Address (street, house number)"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address", "maxlength": 200}),
    )
    consent = forms.BooleanField(label=_("I have read the above and agree that my data is used for this application."))
    # Where the application came from (the poster's QR, a shared link): `?dari=` of the link.
    source = forms.ChoiceField(choices=Application.Source.choices, required=False, widget=forms.HiddenInput)
    # The honeypot: hidden from people by the stylesheet, filled by form-filling robots.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def clean_name(self):
        name = " ".join(unicodedata.normalize("NFC", self.cleaned_data["name"]).split())
        if not name or not any(ch.isalpha() for ch in name) or any(
            not (ch.isalpha() or ch in _NAME_PUNCTUATION or unicodedata.category(ch) == "Mn") for ch in name
        ):
            raise forms.ValidationError(_("Write the name with letters only (spaces and . , ' - are allowed)."))
        return name

    def clean_nik(self):
        check = check_nik(self.cleaned_data["nik"], warnings=False)
        if check.errors:
            raise forms.ValidationError(check.errors)
        # The NIK carries the birth date. A resident under the minimum age may join only when
        # married (`Member.clean`), which this page does not ask: they apply in person instead.
        if age_on(check.birth_date, timezone.localdate()) < settings.KKMP_MIN_AGE:
            raise forms.ValidationError(
                _(
                    "Members must be at least %(min)d years old (by the birth date in the NIK), or "
                    "married. If you are married, apply in person to the cooperative's pengurus."
                ) % {"min": settings.KKMP_MIN_AGE},
                code="too_young",
            )
        return check.value

    def clean_no_kk(self):
        check = check_no_kk(self.cleaned_data["no_kk"], warnings=False)
        if check.errors:
            raise forms.ValidationError(check.errors)
        return check.value

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        validate_phone(phone)
        if not phone:
            raise forms.ValidationError(_("Give a phone number."))
        return phone

    def clean_rt(self):
        rt = normalise_rt_rw(self.cleaned_data["rt"])
        if not re.fullmatch(r"\d{3}", rt):
            raise forms.ValidationError(_("The RT is a number from 1 to 999."))
        return rt

    def clean_address(self):
        address = " ".join(self.cleaned_data["address"].split())
        if any(unicodedata.category(ch).startswith("C") for ch in address):
            raise forms.ValidationError(_("The address has characters that cannot be kept."))
        return address

    def clean_source(self):
        return self.cleaned_data.get("source") or Application.Source.DIRECT

    @property
    def is_robot(self):
        """The honeypot was filled: answered as if stored, nothing stored."""
        return bool(self.data.get(self.add_prefix("website")))


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=255,
        help_text=_("For the cooperative's records; the applicant sees only \"not accepted\"."),
    )
