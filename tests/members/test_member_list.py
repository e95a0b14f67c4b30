"""The member list: search, filters (status, domicile RT/RW, join month, kelurahan), sort,
pagination, all within the user's scope, with a fixed number of queries."""

from datetime import date

import pytest
from django.urls import reverse

from tests.factories import MemberFactory, make_nik

pytestmark = pytest.mark.django_db

URL = reverse("members:member_list")


def names(response):
    return [m.name for m in response.context["page"]]


@pytest.fixture
def register(kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, name="Ani", domicile_rt="003", joined_on=date(2025, 8, 30), member_seq=1)
    MemberFactory(kelurahan=kelurahan_a, name="Budi", domicile_rt="007", joined_on=date(2025, 9, 1), member_seq=2)
    MemberFactory(kelurahan=kelurahan_a, name="Citra", domicile_rt="007", joined_on=date(2025, 9, 30), member_seq=3,
                  status="keluar", left_on=date(2025, 10, 1))
    MemberFactory(kelurahan=kelurahan_a, name="Dedi", domicile_rt="012", joined_on=date(2025, 10, 1), member_seq=4,
                  status="calon")


@pytest.mark.usefixtures("register")
@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["Ani", "Budi", "Citra", "Dedi"]),
        ({"status": "aktif"}, ["Ani", "Budi"]),
        ({"status": "calon"}, ["Dedi"]),
        ({"rt": "7"}, ["Budi", "Citra"]),
        ({"rt": "007", "status": "aktif"}, ["Budi"]),
        ({"joined": "2025-09"}, ["Budi", "Citra"]),
        ({"sort": "name"}, ["Ani", "Budi", "Citra", "Dedi"]),
        ({"sort": "-joined"}, ["Dedi", "Citra", "Budi", "Ani"]),
        ({"sort": "joined", "rt": "7"}, ["Budi", "Citra"]),
    ],
)
def test_filters_and_sorting(officer_client, params, expected):
    assert names(officer_client.get(URL, params)) == expected


@pytest.mark.usefixtures("register")
@pytest.mark.parametrize("params", [{"rt": "abc"}, {"joined": "september"}, {"status": "hilang"}, {"sort": "nik"}, {"kelurahan": "999999"}])
def test_a_bad_filter_is_reported_and_ignored_never_a_server_error(officer_client, params):
    response = officer_client.get(URL, params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert len(names(response)) == 4


def test_filters_stay_within_the_users_kelurahan(officer_client, kelurahan_a, kelurahan_b):
    MemberFactory(kelurahan=kelurahan_b, name="Lain", domicile_rt="007")
    assert names(officer_client.get(URL, {"rt": "7"})) == []
    response = officer_client.get(URL, {"kelurahan": kelurahan_b.pk})
    assert names(response) == [] and "kelurahan" in response.context["form"].errors


def test_a_reviewer_filters_by_kelurahan(reviewer_client, kelurahan_a, kelurahan_b):
    MemberFactory(kelurahan=kelurahan_a, name="Di A")
    MemberFactory(kelurahan=kelurahan_b, name="Di B")
    assert names(reviewer_client.get(URL, {"kelurahan": kelurahan_b.pk})) == ["Di B"]


def test_the_rw_filter_appears_only_where_rw_is_used(officer_client, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, domicile_rt="001")
    assert 'name="rw"' not in officer_client.get(URL).content.decode()
    MemberFactory(kelurahan=kelurahan_a, domicile_rt="001", domicile_rw="002", name="Ber RW")
    response = officer_client.get(URL, {"rw": "2"})
    assert 'name="rw"' in response.content.decode()
    assert names(response) == ["Ber RW"]


def test_the_list_is_paginated_25_a_page(officer_client, kelurahan_a):
    for i in range(30):
        MemberFactory(kelurahan=kelurahan_a, nik=make_nik(i + 1), member_seq=i + 1)
    first, second = officer_client.get(URL), officer_client.get(URL, {"page": 2})
    assert len(first.context["page"]) == 25 and len(second.context["page"]) == 5


def test_the_list_runs_a_fixed_number_of_queries(officer_client, kelurahan_a, kelurahan_b, django_assert_num_queries):
    for i in range(12):
        MemberFactory(kelurahan=kelurahan_a, nik=make_nik(i + 1), member_seq=i + 1)
    officer_client.get(URL)  # session and user loaded once
    # session, user, the user's and their groups' permissions, whether they read a kelurahan
    # they do not manage (can_see_full_numbers), the officer's kelurahan ids (scope), the count,
    # the kelurahan list, whether RW is used, whether they may add, the page of members
    with django_assert_num_queries(11):
        response = officer_client.get(URL, {"status": "aktif", "sort": "name"})
        assert len(response.context["page"]) == 12


def test_a_long_list_counts_up_to_the_cap_and_says_so(officer_client, kelurahan_a, monkeypatch):
    from members.views import MemberPaginator

    monkeypatch.setattr(MemberPaginator, "CAP", 30)
    for i in range(31):
        MemberFactory(kelurahan=kelurahan_a, nik=make_nik(i + 1), member_seq=i + 1)
    response = officer_client.get("/en/anggota/")
    assert response.context["page"].paginator.count == 30
    assert response.context["page"].paginator.num_pages == 2
    assert "More than 30 members match" in response.content.decode()
    MemberFactory(kelurahan=kelurahan_a, nik=make_nik(99), member_seq=99, status="calon")
    response = officer_client.get("/en/anggota/", {"status": "calon"})
    assert response.context["page"].paginator.count == 1
    assert "More than" not in response.content.decode()


def test_a_reviewer_finds_a_member_only_by_a_whole_number(reviewer_client, kelurahan_a):
    """Masked numbers stay masked: trying prefixes one digit at a time would reveal them."""
    member = MemberFactory(kelurahan=kelurahan_a, name="Rahasia")
    for prefix in (member.nik[:6], member.nik[:12], member.nik[:15], member.household.no_kk[:10]):
        response = reviewer_client.get(URL, {"q": prefix})
        assert names(response) == []
        assert "16" in response.content.decode()  # the hint says how to search
    assert names(reviewer_client.get(URL, {"q": member.nik})) == ["Rahasia"]
    assert names(reviewer_client.get(URL, {"q": member.household.no_kk})) == ["Rahasia"]


def test_an_officer_still_searches_by_prefix(officer_client, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a, name="Terbuka")
    assert names(officer_client.get(URL, {"q": member.nik[:12]})) == ["Terbuka"]


def test_a_reviewer_sees_an_age_not_the_birth_date(reviewer, officer, kelurahan_a):
    from django.test import Client

    member = MemberFactory(kelurahan=kelurahan_a, birth_date=date(1990, 3, 12))
    url = reverse("members:member_detail", args=[member.pk])
    pages = {}
    for user in (reviewer, officer):
        client = Client()
        client.force_login(user)
        pages[user.username] = client.get(url).content.decode()
    assert "12-03-1990" not in pages[reviewer.username]
    assert "12-03-1990" in pages[officer.username]
