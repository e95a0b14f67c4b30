"""The audit trail: who signed in, was refused, viewed, changed, imported and exported."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def actions():
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_sign_ins_and_failed_sign_ins_are_recorded(client, officer):
    client.post(reverse("login"), {"username": officer.username, "password": "salah-sekali"})
    client.post(reverse("login"), {"username": officer.username, "password": "rahasia-uji-123"})
    failed, ok = AuditEvent.objects.order_by("pk")
    assert (failed.action, failed.username, failed.actor) == ("login_failed", officer.username, None)
    assert (ok.action, ok.actor) == ("login", officer)
    assert ok.ip == "127.0.0.1" and ok.request_id


def test_a_refused_member_page_and_a_full_nik_view_are_recorded(officer_client, officer, kelurahan_a, kelurahan_b):
    mine, other = MemberFactory(kelurahan=kelurahan_a), MemberFactory(kelurahan=kelurahan_b)
    officer_client.get(reverse("members:member_detail", args=[other.pk]))
    officer_client.get(reverse("members:member_detail", args=[mine.pk]))
    denied, viewed = AuditEvent.objects.exclude(action="login").order_by("pk")
    assert (denied.action, denied.object_id, denied.actor) == ("denied", str(other.pk), officer)
    assert (viewed.action, viewed.object_id) == ("view_nik", str(mine.pk))


def test_a_reviewer_sees_masked_numbers_and_no_view_is_recorded(reviewer_client, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a)
    reviewer_client.get(reverse("members:member_detail", args=[member.pk]))
    assert "view_nik" not in actions()


def test_exports_are_recorded(reviewer_client, reviewer):
    reviewer_client.get(reverse("dashboard:dashboard_export", args=["csv"]))
    event = AuditEvent.objects.get(action="export")
    assert event.actor == reviewer and event.detail["what"] == "dashboard"


def test_the_trail_cannot_be_changed_or_deleted(officer):
    event = AuditEvent.objects.create(action="login", actor=officer)
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="logout")


def test_the_admin_shows_the_trail_read_only(admin_client_, officer):
    event = AuditEvent.objects.create(action="login", actor=officer)
    assert admin_client_.get("/admin/audit/auditevent/").status_code == 200
    assert admin_client_.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_member_answers_who_accessed_a_member_between_two_dates(officer_client, officer, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a)
    officer_client.get(reverse("members:member_detail", args=[member.pk]))
    out = StringIO()
    call_command("audit_member", member.nik, "--from", "2020-01-01", stdout=out)
    text = out.getvalue()
    assert officer.username in text and "1 event(s)" in text
    assert member.nik not in text  # the report itself shows the NIK masked
