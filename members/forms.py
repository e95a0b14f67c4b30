"""The officers' forms: registering and editing a member (NIK/KK checks, duplicates, age,
concurrent edits), accepting an applicant, recording a departure, and the member list's filters."""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan

from .identity import check_nik, check_no_kk
from .list_filters import STATUS_FILTERS
from .models import ELSEWHERE_MESSAGE, Household, Member
from .services import HOUSEHOLD_ELSEWHERE_MESSAGE, may_link_elsewhere
from .values import normalise_phone, normalise_rt_rw


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MemberForm(forms.ModelForm):
    """Register or edit a member. `user` limits the kelurahan choice to those they manage.

    NIK and KK warnings (outside Balikpapan, birth date differing from the NIK) do not block;
    they are kept in `self.warnings` for the view to show.
    """

    no_kk = forms.CharField(
        label=_("KK number"),
        max_length=32,
        required=False,
        help_text=_("16 digits, from the Kartu Keluarga."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    status = forms.ChoiceField(
        label=_("Registered as"),
        choices=[
            (Member.Status.AKTIF, _("active member (accepted)")),
            (Member.Status.CALON, _("applicant (calon), to be accepted later")),
        ],
        initial=Member.Status.AKTIF,
        required=False,
    )
    confirm_duplicate = forms.BooleanField(
        label=_("This is a different person: register anyway"),
        required=False,
    )
    # When the edit form was opened (the member's `updated_at`): a save on top of someone
    # else's newer change is refused (services.update_member).
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Member
        fields = [
            "kelurahan",
            "status",
            "nik",
            "name",
            "sex",
            "birth_date",
            "is_married",
            "citizenship",
            "phone",
            "no_kk",
            "is_head_of_household",
            "ktp_address",
            "domicile_address",
            "domicile_kelurahan",
            "domicile_rt",
            "domicile_rw",
            "joined_on",
        ]
        widgets = {
            "nik": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
            "birth_date": DateInput(),
            "joined_on": DateInput(),
            "domicile_rt": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 3}),
            "domicile_rw": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 3}),
        }

    def __init__(self, *args, user, kelurahan=None, **kwargs):
        """`kelurahan`: register into that one only (it must be one the user manages), as
        accepting an application to its cooperative does."""
        super().__init__(*args, **kwargs)
        self.warnings = []
        # Typed with spaces or dots (`6471 0571 0168 2201`, as the pages show it) and cleaned to
        # 16 digits; the field's own length validator (the model's 16) goes with its max_length.
        _typed_length(self.fields["nik"], 32)
        _typed_length(self.fields["phone"], 24)  # typed with spaces or dashes; cleaned to digits
        self.duplicates = []
        # Members of cooperatives this user may not read, that the checks ran into:
        # [(kind, member)], for the audit trail. Messages about them name nothing.
        self.elsewhere = []
        self.readable = Member.objects.for_user(user)
        self.user = user
        self.fields["citizenship"].required = False
        allowed = Kelurahan.objects.managed_by(user).select_related("kecamatan")
        self.managed = allowed
        self.fields["kelurahan"].queryset = allowed if kelurahan is None else allowed.filter(pk=kelurahan.pk)
        # Domicile: a kelurahan of the same kabupaten/kota as the cooperatives the user keeps.
        self.fields["domicile_kelurahan"].queryset = Kelurahan.objects.filter(
            kecamatan__kabupaten_kota__in=allowed.values("kecamatan__kabupaten_kota")
        ).order_by("nama")
        if self.instance.pk:
            # A member stays in their cooperative; moving is leaving one and joining another.
            # Status changes have their own pages (accept, leaving).
            del self.fields["kelurahan"]
            del self.fields["status"]
            self.initial.setdefault("version", self.instance.updated_at.isoformat())
            if self.instance.household_id:
                self.initial.setdefault("no_kk", self.instance.household.no_kk)
        else:
            del self.fields["version"]
            self.initial.setdefault("joined_on", timezone.localdate())
            if len(allowed) == 1:
                self.initial.setdefault("kelurahan", allowed[0].pk)
                self.initial.setdefault("domicile_kelurahan", allowed[0].pk)

    def conflicts_with(self, current):
        """The fields where the saved member now differs from what this form would save:
        [(label, saved value, value typed)]. The form is then re-armed with the saved
        version, so that saving again (after looking) keeps what was typed."""
        saved_kk = current.household.no_kk if current.household_id else ""
        differences = []
        for name, field in self.fields.items():
            if name in ("version", "confirm_duplicate") or name not in self.cleaned_data:
                continue
            saved = saved_kk if name == "no_kk" else getattr(current, name, None)
            typed = self.cleaned_data[name]
            if hasattr(saved, "pk"):
                saved = saved.pk
            if hasattr(typed, "pk"):
                typed = typed.pk
            if (saved or "") != (typed or ""):
                differences.append((field.label, saved, typed))
        data = self.data.copy()
        data[self.add_prefix("version")] = current.updated_at.isoformat()
        self.data = data
        return differences

    def clean_nik(self):
        check = check_nik(self.cleaned_data["nik"])
        if check.errors:
            raise forms.ValidationError(check.errors)
        self.nik_check = check
        self.warnings += check.warnings
        other = Member.objects.filter(nik=check.value).exclude(pk=self.instance.pk).select_related("kelurahan").first()
        if other is not None:
            if self.readable.filter(pk=other.pk).exists():
                raise forms.ValidationError(
                    _("This NIK is already member %(number)s of KKMP %(kelurahan)s.")
                    % {"number": other.member_number, "kelurahan": other.kelurahan.nama},
                    code="unique",
                )
            self.elsewhere.append(("nik", other))
            raise forms.ValidationError(ELSEWHERE_MESSAGE, code="unique_elsewhere")
        return check.value

    def clean_no_kk(self):
        raw = self.cleaned_data["no_kk"]
        if not raw:
            return ""
        check = check_no_kk(raw, nik=self.data.get("nik"))
        if check.errors:
            raise forms.ValidationError(check.errors)
        self.warnings += check.warnings
        return check.value

    def clean_version(self):
        version = self.cleaned_data.get("version", "")
        if self.instance.pk and not version:
            # Hidden fields' own errors are not shown: say it for the whole form.
            raise forms.ValidationError(
                _("This form is out of date. Open the member's edit page again."), code="no_version"
            )
        return version

    def clean_joined_on(self):
        joined_on = self.cleaned_data["joined_on"]
        if joined_on and joined_on > timezone.localdate():
            raise forms.ValidationError(_("The join date cannot be in the future."))
        return joined_on

    def clean(self):
        data = super().clean()
        check = getattr(self, "nik_check", None)
        if check and check.birth_date:
            # The NIK encodes birth date and sex: use them when left blank, warn when different.
            if not data.get("birth_date"):
                data["birth_date"] = check.birth_date
            elif data["birth_date"] != check.birth_date:
                self.warnings.append(
                    _("The birth date differs from the one in the NIK (%(date)s).")
                    % {"date": check.birth_date.strftime("%d-%m-%Y")}
                )
            if not data.get("sex"):
                data["sex"] = check.sex
            elif data["sex"] != check.sex:
                self.warnings.append(_("The sex differs from the one the NIK encodes."))
        if data.get("is_head_of_household") and not data.get("no_kk"):
            self.add_error("no_kk", _("A head of household needs the KK number."))
        if data.get("citizenship") == Member.Citizenship.WNA:
            self.warnings.append(_("The KKMP guidance asks for Indonesian citizens; check the articles of the cooperative."))
        self._check_household(data)
        self._check_duplicates(data)
        return data

    def _check_household(self, data):
        """A KK of another kelurahan's household: refused, except for the administrator
        (`services.may_link_elsewhere`; a household moves through the admin). The message
        names nothing of that household; when the user does not keep its kelurahan, the match
        is in `self.elsewhere` (audited, and counted against the account's look-ups)."""
        no_kk = data.get("no_kk")
        kelurahan_id = self.instance.kelurahan_id if self.instance.pk else getattr(data.get("kelurahan"), "pk", None)
        if not no_kk or kelurahan_id is None or may_link_elsewhere(self.user):
            return
        household = Household.objects.filter(no_kk=no_kk).only("pk", "kelurahan_id").first()
        if household is None or household.kelurahan_id == kelurahan_id or household.pk == self.instance.household_id:
            return
        if not self.managed.filter(pk=household.kelurahan_id).exists():
            self.elsewhere.append(("no_kk", household))
        self.add_error("no_kk", forms.ValidationError(HOUSEHOLD_ELSEWHERE_MESSAGE, code="household_elsewhere"))

    def _check_duplicates(self, data):
        """Same name and birth date under another NIK: a warning the officer must confirm."""
        name, birth_date, nik = data.get("name"), data.get("birth_date"), data.get("nik")
        if not (name and birth_date and nik):
            return
        if self.instance.pk and (name, birth_date) == (self.instance.name, self.instance.birth_date):
            return  # unchanged: confirmed when registered
        self.duplicates = Member.objects.likely_duplicates(name=name, birth_date=birth_date, nik=nik)
        if not self.duplicates or data.get("confirm_duplicate"):
            return
        readable = set(self.readable.filter(pk__in=[m.pk for m in self.duplicates]).values_list("pk", flat=True))
        shown = [m for m in self.duplicates if m.pk in readable]
        if shown:
            self.add_error(
                "confirm_duplicate",
                _("A member with the same name and birth date is already registered under another NIK: %(members)s. "
                  "Check it is not the same person; tick the box to register anyway.")
                % {"members": ", ".join(f"{m.member_number} (KKMP {m.kelurahan.nama})" for m in shown[:5])},
            )
        if len(shown) < len(self.duplicates):
            # Another cooperative's member: that there is one, not who or where.
            self.elsewhere += [("likely_duplicate", m) for m in self.duplicates if m.pk not in readable]
            self.add_error(
                "confirm_duplicate",
                _("A person with the same name and birth date is already a member of another KKMP under "
                  "another NIK. If it is the same person, contact DKUMKMP; tick the box to register anyway."),
            )

    def clean_status(self):
        return self.cleaned_data.get("status") or Member.Status.AKTIF

    def clean_citizenship(self):
        return self.cleaned_data.get("citizenship") or Member.Citizenship.WNI

    def clean_phone(self):
        return normalise_phone(self.cleaned_data.get("phone", ""))

    def clean_domicile_rt(self):
        return normalise_rt_rw(self.cleaned_data.get("domicile_rt", ""))

    def clean_domicile_rw(self):
        return normalise_rt_rw(self.cleaned_data.get("domicile_rw", ""))


class StatusChangeForm(forms.Form):
    """A dated status change of one member, with an optional reason: not before the member
    joined (applied), not in the future. Subclasses name the date field and the messages."""

    date_field = None
    before_joining = in_future = None

    reason = forms.CharField(
        label=_("Reason or note"),
        max_length=255,
        required=False,
        help_text=_("For example the letter or the decision of the meeting."),
    )

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.initial.setdefault(self.date_field, timezone.localdate())

    def _checked_date(self):
        day = self.cleaned_data[self.date_field]
        if day < self.member.joined_on:
            raise forms.ValidationError(self.before_joining)
        if day > timezone.localdate():
            raise forms.ValidationError(self.in_future)
        return day


class LeaveForm(StatusChangeForm):
    """Record that a member left: resigned, died or was expelled, on a date."""

    status = forms.ChoiceField(
        label=capfirst(_("reason")),
        choices=[c for c in Member.Status.choices if c[0] not in Member.CURRENT],
    )
    left_on = forms.DateField(label=capfirst(_("left on")), widget=DateInput())
    field_order = ["status", "left_on", "reason"]
    date_field = "left_on"
    before_joining = _("The leaving date cannot be before the joining date.")
    in_future = _("The leaving date cannot be in the future.")

    def clean_left_on(self):
        return self._checked_date()


class AcceptForm(StatusChangeForm):
    """Accept an applicant (calon) as an active member on a date."""

    accepted_on = forms.DateField(label=_("Accepted on"), widget=DateInput())
    field_order = ["accepted_on", "reason"]
    date_field = "accepted_on"
    before_joining = _("The acceptance date cannot be before the application date.")
    in_future = _("The acceptance date cannot be in the future.")

    def clean_accepted_on(self):
        return self._checked_date()


def _typed_length(field, length):
    """Let `field` take `length` characters as typed (the model's length holds after cleaning)."""
    field.max_length = length
    field.widget.attrs["maxlength"] = length
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)] + [MaxLengthValidator(length)]


class MemberFilterForm(forms.Form):
    """The member list's search, filters and sort (GET). Invalid values are shown as errors
    and ignored, never a server error."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    kelurahan = forms.ModelChoiceField(label=_("Kelurahan"), required=False, queryset=Kelurahan.objects.none())
    rt = forms.CharField(label=_("RT"), required=False, max_length=3)
    rw = forms.CharField(label=_("RW"), required=False, max_length=3)
    joined = forms.DateField(
        label=_("Joined in (month)"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("number", _("member number")),
            ("name", _("name")),
            ("-joined", _("joined, newest first")),
            ("joined", _("joined, oldest first")),
        ],
    )

    def __init__(self, *args, kelurahan_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *Member.Status.choices,
                                         *((value, label) for value, (label, _narrow) in STATUS_FILTERS.items())]
        self.fields["kelurahan"].queryset = kelurahan_queryset

    def narrow(self, members):
        """`members` narrowed by a status-like filter another app provides (`list_filters`:
        the simpanan ledger's "in arrears"), or as they are."""
        if self.is_valid() and self.cleaned_data.get("status") in STATUS_FILTERS:
            return STATUS_FILTERS[self.cleaned_data["status"]][1](members)
        return members

    def clean_rt(self):
        return self._rt_rw("rt")

    def clean_rw(self):
        return self._rt_rw("rw")

    def _rt_rw(self, name):
        value = normalise_rt_rw(self.cleaned_data.get(name, ""))
        if value and not (value.isdigit() and len(value) == 3):
            raise forms.ValidationError(_("RT/RW must be a number from 1 to 999 (given: %(value)s).") % {"value": value})
        return value

    def filters(self):
        """The valid filters as keyword arguments for `MemberQuerySet.filtered`."""
        self.is_valid()
        data = self.cleaned_data  # the valid fields only
        return {
            "status": "" if data.get("status") in STATUS_FILTERS else data.get("status") or "",
            "kelurahan": data.get("kelurahan"),
            "rt": data.get("rt") or "",
            "rw": data.get("rw") or "",
            "joined_month": data.get("joined"),
        }
