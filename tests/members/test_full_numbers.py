"""Full NIK/KK numbers only where the reader keeps the register (found by an outside review of
issue 10): an account holding both the officer and the reviewer role reads every kelurahan, but
sees full numbers only of its own cooperative, and searches the others as a reviewer does."""

import io
from datetime import date

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from kelurahan.models import RegionGrant
from kkmp.masking import group_digits
from members.identity import mask
from members.models import Household
from members.services import OFFICER_GROUP, REVIEWER_GROUP
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_roles(roles, kelurahan_a):
    """Officer of kelurahan A and DKUMKMP reviewer at once."""
    user = UserFactory(username="pengurus.dan.peninjau")
    user.groups.add(roles[OFFICER_GROUP], roles[REVIEWER_GROUP])
    kelurahan_a.officers.add(user)
    RegionGrant.objects.create(user=user)  # national
    return user


@pytest.fixture
def reviewer_who_may_change(reviewer):
    """A reviewer given `members.change_member` directly, with no kelurahan of their own."""
    reviewer.user_permissions.add(Permission.objects.get(codename="change_member"))
    return reviewer


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _cells(response):
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return {str(value) for row in sheet.iter_rows(values_only=True) for value in row if value is not None}


@pytest.mark.parametrize("account", ["both_roles", "reviewer_who_may_change"])
def test_another_kelurahans_member_is_masked_on_every_page(request, account, kelurahan_b):
    client = _client(request.getfixturevalue(account))
    other = MemberFactory(kelurahan=kelurahan_b, birth_date=date(1990, 3, 12))
    page = client.get(reverse("members:member_detail", args=[other.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert other.nik not in body and other.household.no_kk not in body and group_digits(other.nik) not in body
    assert group_digits(mask(other.nik)) in body  # 6471 •••• •••• 0001 (issue 21)
    assert other.birth_date.strftime("%d-%m-%Y") not in body
    register = client.get(reverse("members:register_xlsx", args=[kelurahan_b.pk]))
    assert register.status_code == 200
    cells = _cells(register)
    assert other.nik not in cells and other.household.no_kk not in cells and mask(other.nik) in cells
    listed = client.get(reverse("members:member_list")).content.decode()
    assert other.nik not in listed and group_digits(other.nik) not in listed and group_digits(mask(other.nik)) in listed


def test_the_own_kelurahan_stays_in_full_for_its_officer(both_roles, kelurahan_a):
    client = _client(both_roles)
    own = MemberFactory(kelurahan=kelurahan_a)
    assert own.nik in client.get(reverse("members:member_detail", args=[own.pk])).content.decode()
    assert own.nik in _cells(client.get(reverse("members:register_xlsx", args=[kelurahan_a.pk])))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_NIK, actor=both_roles).exists()


def test_number_searches_over_the_city_are_whole_numbers_audited_and_limited(both_roles, kelurahan_b, settings):
    settings.KKMP_NUMBER_SEARCHES_PER_HOUR = 2
    client = _client(both_roles)
    other = MemberFactory(kelurahan=kelurahan_b)
    url = reverse("members:member_list")
    assert other.nik not in client.get(url, {"q": other.nik[:10]}).content.decode()
    assert list(client.get(url, {"q": other.nik[:10]}).context["page"]) == []
    found = client.get(url, {"q": other.nik})
    assert [m.pk for m in found.context["page"]] == [other.pk]
    assert found.context["show_full"] is False  # the row shows it masked (the box keeps what was typed)
    searches = AuditEvent.objects.filter(action=AuditEvent.Action.NUMBER_SEARCH, actor=both_roles)
    assert searches.count() == 1 and searches.get().detail["number"] == mask(other.nik)
    client.get(url, {"q": other.nik})
    refused = client.get(url, {"q": other.nik})
    assert list(refused.context["page"]) == []


def test_a_demoted_admins_recent_actions_show_no_personal_data(client, kelurahan_a, roles):
    member = MemberFactory(kelurahan=kelurahan_a)
    former = UserFactory(username="mantan.admin", is_staff=True, is_superuser=True)
    for obj in (member, member.household):
        LogEntry.objects.log_actions(former.pk, [obj], ADDITION, single_object=True)
    former.is_superuser = False
    former.save()
    former.groups.add(roles[OFFICER_GROUP])
    client.force_login(former)
    index = client.get("/admin/").content.decode()
    assert member.household.no_kk not in index and member.name not in index


def test_a_household_names_itself_with_its_number_masked(kelurahan_a):
    household = MemberFactory(kelurahan=kelurahan_a).household
    assert str(household) == f"KK {mask(household.no_kk)}"
    assert household.no_kk not in str(Household.objects.get(pk=household.pk))
    assert ContentType.objects.get_for_model(Household)  # the admin logs it under this text
