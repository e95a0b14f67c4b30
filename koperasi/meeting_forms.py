"""The forms of the Rapat Anggota pages (docs/meetings.md): a meeting, attendance by member
number or by the member card's QR code (live in the browser, or a photo decoded on the
server), and a decision with its votes. The rules themselves are `koperasi.rapat`'s; these
forms only turn what was typed into values (and a photo into the number it shows)."""

from django import forms
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput

from . import qr_photo, rapat
from .models import Attendance, Meeting


class MeetingForm(forms.ModelForm):
    """A meeting, planned or held: kind, date (the future is allowed, to plan it), place,
    agenda, and the minutes written during or after it."""

    class Meta:
        model = Meeting
        fields = ["kind", "held_on", "place", "agenda", "notes"]
        widgets = {"held_on": DateInput(), "agenda": forms.Textarea(attrs={"rows": 4}),
                   "notes": forms.Textarea(attrs={"rows": 8})}
        help_texts = {
            "held_on": _("A future date plans the meeting: attendance and decisions are recorded from that day on. "
                         "The date cannot change once attendance is recorded."),
            "agenda": _("One item per line, as in the invitation."),
            "notes": _("The minutes (notulen): the course of the meeting, written during or after it. Decisions "
                       "and their votes are recorded separately, on the meeting's page."),
        }

    def values(self):
        return {name: self.cleaned_data[name] for name in rapat.MEETING_FIELDS if name in self.cleaned_data}


class PhotoLimitHandler(FileUploadHandler):
    """Stops an upload past `qr_photo.PHOTO_MAX_BYTES` while it arrives, so a huge file is never
    stored (the rest of the request is read and discarded: `StopUpload(connection_reset=False)`).
    The view installs it before the request is parsed and reads `too_large` afterwards."""

    def __init__(self, request=None, limit=qr_photo.PHOTO_MAX_BYTES):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The number field, the CSRF token and the boundaries add well under 64 KB.
        if content_length and content_length > self.limit + 65_536:
            self.too_large = True

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.too_large or self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


class AttendanceForm(forms.Form):
    """A member present: their member number typed (or filled in by the live scanner, which
    sets `via` to qr), or a photo of their member card's QR code. The page shows the number and
    the photo as two forms posting here; a photo wins when both come."""

    number = forms.CharField(
        label=_("Member number"), max_length=60, required=False,
        help_text=_("The number on the member card (64.71.05.1002-00012), or only its last digits (12)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                      "enterkeyhint": "done"}))
    # Set by the page (typed, or qr from the live scanner): a hidden field's error would show
    # nowhere, so anything else is read as typed.
    via = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    photo = forms.FileField(
        label=_("Photo of the member card's QR code"), required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}))

    def __init__(self, *args, too_large=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    def clean(self):
        data = super().clean()
        if self.too_large:
            self.add_error("photo", qr_photo.photo_too_large())
            return data
        photo = data.get("photo")
        if photo:
            try:
                data["number"] = qr_photo.read_qr(photo)
            except forms.ValidationError as exc:
                self.add_error("photo", exc)
                return data
            data["via"] = Attendance.Via.QR
        elif "number" in data and not data["number"].strip():
            raise forms.ValidationError(_("Type the member number, or scan the member card."), code="empty")
        if data.get("via") not in Attendance.Via.values:
            data["via"] = Attendance.Via.TYPED
        return data


def _votes(label):
    return forms.IntegerField(label=label, min_value=0, max_value=1_000_000, initial=0,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}))


class DecisionForm(forms.Form):
    """A decision and its votes: whole numbers, none negative; `koperasi.rapat.record_decision`
    compares them with the members present. Carried is for > against (`Decision.carried`)."""

    subject = forms.CharField(label=_("Decision"), max_length=255,
                              help_text=_("For example: approval of the 2025 accountability report."))
    text = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    votes_for = _votes(_("Votes for"))
    votes_against = _votes(_("Votes against"))
    abstentions = _votes(_("Abstentions"))
