"""The admin's exports follow "personal data in the admin is for admins" (issue 10, point 1)."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["member", "household"])
def test_a_staff_officer_or_reviewer_cannot_export_members_or_households(client, roles, kelurahan_a, model):
    member = MemberFactory(kelurahan=kelurahan_a)
    for group in roles.values():
        user = UserFactory(username=f"staf.{group.pk}.{model}", is_staff=True)
        user.groups.add(group)
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="members"))
        client.force_login(user)
        url = f"/admin/members/{model}/export/"
        for response in (client.get(url), client.post(url, {"format": "0", "resource": "0"})):
            assert response.status_code in (302, 403)
            assert member.nik.encode() not in response.content
            assert member.household.no_kk.encode() not in response.content


def test_the_admin_still_exports(admin_client_, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a)
    assert admin_client_.get("/admin/members/member/export/").status_code == 200
