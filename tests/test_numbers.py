"""Numbers people read aloud (issue 21): NIK, KK and member numbers shown in groups of four that
never break, masked the same way, with a copy button's plain digits where an officer reads the
whole number; typed numbers are accepted with or without the spaces."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from kkmp.masking import group_digits, mask
from members.models import Member
from tests.factories import HouseholdFactory, MemberFactory, make_nik, make_no_kk

NIK = "6471057101682201"


@pytest.mark.parametrize(("number", "shown"), [
    (NIK, "6471 0571 0168 2201"),
    (mask(NIK), "6471 •••• •••• 2201"),
    ("64.71.05.1002-00012", "64.71.05.1002-00012"),  # a member number keeps its own separators
    ("", ""),
    (None, ""),
    ("12345678", "12345678"),  # too short to be read in groups
])
def test_numbers_are_grouped_in_fours(number, shown):
    assert group_digits(number) == shown


def render(text, **context):
    return Template("{% load numbers %}" + text).render(Context(context))


def test_the_filters_wrap_the_groups_in_one_unbreakable_span():
    assert render("{{ n|grouped_for:True }}", n=NIK) == f'<span class="num-group" data-copy="{NIK}">6471 0571 0168 2201</span>'
    assert render("{{ n|grouped_for:False }}", n=NIK) == '<span class="num-group">6471 •••• •••• 2201</span>'
    assert render("{{ n|grouped_for:False|default:'—' }}", n="") == "—"


@pytest.mark.django_db
def test_the_member_page_shows_grouped_numbers_whole_to_its_officer_and_masked_to_a_reviewer(
        officer_client, reviewer_client, officer, reviewer, kelurahan_a, client):
    member = MemberFactory(kelurahan=kelurahan_a, nik=NIK, household=HouseholdFactory(kelurahan=kelurahan_a, no_kk=make_no_kk(7)))
    url = member.get_absolute_url()
    client.force_login(officer)
    body = client.get(url).content.decode()
    assert f'data-copy="{NIK}">6471 0571 0168 2201</span>' in body
    assert "js/site.js" in body  # the copy button's script
    client.force_login(reviewer)
    body = client.get(url).content.decode()
    assert "6471 •••• •••• 2201" in body and "0168" not in body and "data-copy" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("typed", [NIK, "6471 0571 0168 2201", " 6471 0571 0168 2201 ", "6471.0571.0168.2201"])
def test_a_member_is_found_by_a_nik_typed_with_or_without_spaces(officer_client, kelurahan_a, typed):
    MemberFactory(kelurahan=kelurahan_a, nik=NIK, name="Dicari")
    MemberFactory(kelurahan=kelurahan_a, nik=make_nik(9), name="Lain")
    page = officer_client.get(reverse("members:member_list"), {"q": typed}).context["page"]
    assert [m.name for m in page] == ["Dicari"]


@pytest.mark.django_db
def test_a_reviewer_finds_a_masked_member_by_a_whole_nik_typed_with_spaces(reviewer_client, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, nik=NIK, name="Dicari")
    page = reviewer_client.get(reverse("members:member_list"), {"q": "6471 0571 0168 2201"}).context["page"]
    assert [m.name for m in page] == ["Dicari"]


@pytest.mark.django_db
def test_a_nik_and_kk_typed_in_groups_are_stored_as_plain_digits(officer_client, kelurahan_a):
    kk = make_no_kk(33)
    response = officer_client.post(reverse("members:member_create"), {
        "kelurahan": kelurahan_a.pk, "nik": "6471 0571 0168 2201", "name": "Berspasi",
        "no_kk": " ".join(kk[i:i + 4] for i in range(0, 16, 4)), "is_head_of_household": "on", "joined_on": "2025-09-01",
    })
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    member = Member.objects.get(name="Berspasi")
    assert (member.nik, member.household.no_kk) == (NIK, kk)
