"""The monthly arrears list (daftar tunggakan simpanan wajib) of one cooperative: a page to
print and an XLSX to download, for every reader of the kelurahan (its officers, DKUMKMP).
No NIK or KK number on either: the member number identifies the member."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent, record
from kelurahan.models import Kelurahan
from kkmp.downloads import spreadsheet
from members.views import _kelurahan_or_404

from .. import queries
from ..exports import arrears_rows
from ..exports import arrears_xlsx as build_xlsx
from ..models import Cooperative


class MonthForm(forms.Form):
    bulan = forms.DateField(label=gettext_lazy("Month"), required=False, input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))

    def clean_bulan(self):
        month = self.cleaned_data["bulan"]
        if month and queries.as_of_month(month) is None:
            raise forms.ValidationError(_("The month cannot be in the future: the list is drawn up on a day that has "
                                          "passed."))
        return month


def _arrears(request, pk):
    kelurahan = _kelurahan_or_404(request, pk)
    form = MonthForm(request.GET)
    month = form.cleaned_data.get("bulan") if form.is_valid() else None
    today = timezone.localdate()
    as_of = queries.as_of_month(month, today) if month else today
    cooperative = Cooperative.objects.filter(kelurahan=kelurahan).first() or Cooperative(kelurahan=kelurahan)
    rows = arrears_rows(queries.arrears_members(kelurahan, as_of), cooperative)
    return kelurahan, form, cooperative, as_of, rows


@login_required
def arrears_list(request, pk):
    """Who is in arrears with simpanan wajib at the end of a month (today for this month): how
    many months unpaid, paid through which month, and what they owe."""
    kelurahan, form, cooperative, as_of, rows = _arrears(request, pk)
    return render(request, "koperasi/arrears_list.html", {
        "kelurahan": kelurahan, "form": form, "cooperative": cooperative, "as_of": as_of, "rows": rows,
        "total_owed": sum(row.owed for row in rows),
        "can_change": Kelurahan.objects.managed_by(request.user).filter(pk=pk).exists(),
    })


@login_required
def arrears_xlsx(request, pk):
    kelurahan, _form, cooperative, as_of, rows = _arrears(request, pk)
    record(AuditEvent.Action.EXPORT, request=request, obj=kelurahan, what="arrears list", format="xlsx",
           as_of=as_of.isoformat())
    return spreadsheet(build_xlsx(cooperative, rows, as_of), "xlsx", "tunggakan-simpanan-wajib", kelurahan.kode,
                       as_of.strftime("%Y-%m"))
