"""Rapat Anggota (RAT and other members' meetings): STUB, being written."""

from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def meeting_list(request, pk):
    raise Http404


meeting_create = meeting_detail = meeting_edit = meeting_attendance = meeting_decision = meeting_list
meeting_attendance_sheet = meeting_minutes = meeting_list
