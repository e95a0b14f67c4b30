"""The upload form: the file, what it holds (households, household counts, members, payments) and, for a file
that names no kelurahan, the kelurahan it is for; size and type are checked before reading."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan

from .models import ImportBatch


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file contains"), choices=ImportBatch.Kind.choices)
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,text/csv"}),
    )
    kelurahan = forms.CharField(
        label=_("Kelurahan (only for files without a kelurahan column)"),
        required=False,
        help_text=_("Kemendagri code or name, e.g. 64.71.05.1002 or Sepinggan."),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        limit = settings.KKMP_IMPORT_MAX_UPLOAD_MB
        if uploaded.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit)d MB.")
                % {"size": uploaded.size / 1024 / 1024, "limit": limit}
            )
        return uploaded

    def clean_kelurahan(self):
        value = self.cleaned_data["kelurahan"].strip()
        if not value:
            return None
        kelurahan = Kelurahan.objects.named(value)
        if kelurahan is None:
            raise forms.ValidationError(_("No single kelurahan matches '%(value)s'.") % {"value": value})
        return kelurahan
