"""The status lifecycle: calon → aktif → keluar/meninggal/diberhentikan, each change kept with
its date and reason, and the register readable as of any date."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import services
from members.models import Member, MemberStatusChange
from tests.factories import make_nik

pytestmark = pytest.mark.django_db


def register(kelurahan, serial, *, status=Member.Status.AKTIF, joined_on=date(2025, 9, 1)):
    return services.register_member(
        kelurahan=kelurahan, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=joined_on, status=status
    )


def history(member):
    return list(member.status_changes.values_list("status", "on", "reason"))


def test_registering_records_the_first_status(kelurahan_a):
    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    assert member.status == Member.Status.CALON
    assert history(member) == [("calon", date(2025, 9, 1), "")]


def test_an_applicant_is_accepted_and_the_acceptance_date_becomes_the_joining_date(kelurahan_a, officer):
    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    services.accept_member(member=member, accepted_on=date(2025, 9, 15), reason="Rapat pengurus", by=officer)
    member.refresh_from_db()
    assert (member.status, member.joined_on) == (Member.Status.AKTIF, date(2025, 9, 15))
    assert history(member) == [("calon", date(2025, 9, 1), ""), ("aktif", date(2025, 9, 15), "Rapat pengurus")]
    assert member.status_changes.last().recorded_by == officer


def test_only_an_applicant_can_be_accepted(kelurahan_a):
    member = register(kelurahan_a, 1)
    with pytest.raises(ValidationError):
        services.accept_member(member=member, accepted_on=date(2025, 9, 15))
    assert history(member) == [("aktif", date(2025, 9, 1), "")]


def test_acceptance_before_the_application_is_refused(kelurahan_a):
    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    with pytest.raises(ValidationError):
        services.accept_member(member=member, accepted_on=date(2025, 8, 31))
    member.refresh_from_db()
    assert member.status == Member.Status.CALON


def test_leaving_keeps_the_member_and_adds_the_reason_to_the_history(kelurahan_a):
    member = register(kelurahan_a, 1)
    services.record_leaving(member=member, status="meninggal", left_on=date(2025, 10, 3), reason="Surat kematian")
    member.refresh_from_db()
    assert (member.status, member.left_on) == ("meninggal", date(2025, 10, 3))
    assert history(member)[-1] == ("meninggal", date(2025, 10, 3), "Surat kematian")


def test_a_member_who_left_cannot_leave_again(kelurahan_a):
    member = register(kelurahan_a, 1)
    services.record_leaving(member=member, status="keluar", left_on=date(2025, 10, 3))
    with pytest.raises(ValidationError):
        services.record_leaving(member=member, status="diberhentikan", left_on=date(2025, 10, 4))
    assert MemberStatusChange.objects.filter(member=member).count() == 2


def test_an_applicant_can_withdraw(kelurahan_a):
    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    services.record_leaving(member=member, status="keluar", left_on=date(2025, 9, 2))
    assert [s for s, _on, _r in history(member)] == ["calon", "keluar"]


def test_members_active_as_of_a_date_come_from_the_history(kelurahan_a):
    early = register(kelurahan_a, 1, joined_on=date(2025, 1, 10))
    applicant = register(kelurahan_a, 2, status=Member.Status.CALON, joined_on=date(2025, 2, 1))
    services.accept_member(member=applicant, accepted_on=date(2025, 3, 1))
    leaver = register(kelurahan_a, 3, joined_on=date(2025, 1, 1))
    services.record_leaving(member=leaver, status="keluar", left_on=date(2025, 4, 1))
    register(kelurahan_a, 4, status=Member.Status.CALON, joined_on=date(2025, 1, 1))  # never accepted

    def active(day):
        return set(Member.objects.active_on(day).values_list("name", flat=True))

    assert active(date(2024, 12, 31)) == set()
    assert active(date(2025, 1, 10)) == {early.name, leaver.name}
    assert active(date(2025, 2, 15)) == {early.name, leaver.name}  # applied, not yet accepted
    assert active(date(2025, 3, 1)) == {early.name, applicant.name, leaver.name}
    assert active(date(2025, 4, 1)) == {early.name, applicant.name}  # left that day
    assert Member.objects.active_on(date(2025, 4, 1)).count() == 2


def test_an_applicant_does_not_count_as_active(kelurahan_a):
    register(kelurahan_a, 1, status=Member.Status.CALON)
    assert not Member.objects.active().exists()


def test_the_database_refuses_a_leaving_date_on_an_applicant(kelurahan_a):
    from django.db import IntegrityError, transaction

    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(left_on=date(2025, 9, 2))


def test_an_officer_accepts_an_applicant_on_the_page(officer_client, kelurahan_a):
    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    page = officer_client.get(member.get_absolute_url())
    assert reverse("members:member_accept", args=[member.pk]) in page.content.decode()
    response = officer_client.post(
        reverse("members:member_accept", args=[member.pk]), {"accepted_on": "2025-09-20", "reason": "Rapat 3"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == Member.Status.AKTIF
    assert "Rapat 3" in officer_client.get(member.get_absolute_url()).content.decode()


def test_accepting_an_active_member_is_a_404(officer_client, kelurahan_a):
    member = register(kelurahan_a, 1)
    assert officer_client.post(reverse("members:member_accept", args=[member.pk]), {"accepted_on": "2025-09-20"}).status_code == 404


def test_an_officer_records_leaving_with_a_reason_on_the_page(officer_client, kelurahan_a):
    member = register(kelurahan_a, 1)
    response = officer_client.post(
        reverse("members:member_leave", args=[member.pk]),
        {"status": "diberhentikan", "left_on": "2025-10-01", "reason": "Keputusan RA"},
    )
    assert response.status_code == 302
    assert history(member)[-1] == ("diberhentikan", date(2025, 10, 1), "Keputusan RA")


def test_a_reviewer_cannot_accept(reviewer_client, kelurahan_a):
    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    assert reviewer_client.post(reverse("members:member_accept", args=[member.pk]), {"accepted_on": "2025-09-20"}).status_code == 404
    member.refresh_from_db()
    assert member.status == Member.Status.CALON


def test_the_admin_shows_the_status_history_and_cannot_change_the_status(admin_client_, kelurahan_a):
    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    url = f"/admin/members/member/{member.pk}/change/"
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert "status" not in page.context["adminform"].form.fields
    assert 'name="status"' not in page.content.decode()


def test_a_corrected_join_date_moves_the_joining_in_the_history(kelurahan_a):
    member = register(kelurahan_a, 1)
    services.update_member(member=member, joined_on=date(2025, 8, 20))
    assert history(member) == [("aktif", date(2025, 8, 20), "")]
    assert list(Member.objects.active_on(date(2025, 8, 25))) == [member]


def test_an_accepted_members_join_date_cannot_move_before_the_application(kelurahan_a):
    member = register(kelurahan_a, 1, status=Member.Status.CALON)
    services.accept_member(member=member, accepted_on=date(2025, 9, 15))
    member.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.update_member(member=member, joined_on=date(2025, 8, 1))
    assert refused.value.code == "before_application" and "01-09-2025" in refused.value.message
    services.update_member(member=member, joined_on=date(2025, 9, 10))
    assert history(member) == [("calon", date(2025, 9, 1), ""), ("aktif", date(2025, 9, 10), "")]


def test_a_join_date_in_the_future_is_refused_by_the_form(officer_client, kelurahan_a):
    from datetime import timedelta

    from django.utils import timezone

    from tests.members.test_member_views import form_data

    tomorrow = timezone.localdate() + timedelta(days=1)
    response = officer_client.post(reverse("members:member_create"), form_data(kelurahan=kelurahan_a.pk, joined_on=tomorrow.isoformat()))
    assert response.status_code == 200 and "joined_on" in response.context["form"].errors
    assert not Member.objects.exists()
