"""The cooperative's profile, pengurus and pengawas, the SIMKOPDES export: STUB, being written."""

from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def cooperative_detail(request, pk):
    raise Http404


cooperative_edit = officer_create = officer_end = simkopdes_xlsx = cooperative_detail
