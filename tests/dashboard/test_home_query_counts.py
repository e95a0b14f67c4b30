"""The officer's home and card scan (issue 21), query counts pinned at two sizes
(tests/query_counts.py): a cooperative with a few members, then with more members (applicants,
paid-up, none paid), applications, meetings and a second kelurahan the officer keeps.

Every page starts with 1: the session, 2: the user."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.models import Campaign
from koperasi.models import Meeting
from tests.factories import ApplicationFactory, HouseholdCountFactory, KelurahanFactory
from tests.query_counts import add_members, client_as, pin_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def cooperative(db, kelurahan_a, officer):
    today = timezone.localdate()
    Campaign.objects.all().delete()
    Campaign.objects.create(name="Uji 10%", percent=10, starts_on=today - timedelta(days=30),
                            deadline=today + timedelta(days=30), wilayah_kode="64.71")
    HouseholdCountFactory(kelurahan=kelurahan_a, count=40)
    add_members(kelurahan_a, 3)

    def grow():
        add_members(kelurahan_a, 9)
        add_members(kelurahan_a, 3, joined_on=today - timedelta(days=2))
        ApplicationFactory.create_batch(3, kelurahan=kelurahan_a)
        for days in (-10, 3, 20):
            Meeting.objects.create(kelurahan=kelurahan_a, held_on=today + timedelta(days=days), place="Balai", agenda="x")
        KelurahanFactory(kecamatan=kelurahan_a.kecamatan, nama="Zzz Lain").officers.add(officer)
    return grow


# Officer 3-4: their permissions (is it a reviewer? managed_by), 5: the kelurahan they keep
# (with kecamatan and city), 6: the campaigns, 7: the cooperative's row with its counters,
# 8: its KK gained in 7 days, 9: the to-do counts (one aggregate over the members, their
# balances and the cooperative's rules), 10: applications waiting, 11: the next meeting.
def test_an_officers_home(request, cooperative):
    small, large = pin_queries(client_as(request, "officer"), reverse("dashboard:home"), 11, grow=cooperative)
    assert small.context["counts"]["calon"] == 1 and large.context["counts"]["calon"] == 5
    assert large.context["others"]  # the second kelurahan to pick


# 3-4: permissions, 5: the kelurahan in the user's scope (for_user), 6: those they keep, then
# 7-12 as the home's 6-11.
def test_a_cooperatives_home_picked(request, cooperative, kelurahan_a):
    pin_queries(client_as(request, "officer"), reverse("dashboard:home_kelurahan", args=[kelurahan_a.pk]), 12,
                grow=cooperative)


# 3-4: permissions (managed_by), 5: the kelurahan kept. No figures: only the scan's form.
def test_the_card_scan_page(request, cooperative, kelurahan_a):
    pin_queries(client_as(request, "officer"), reverse("dashboard:home_scan", args=[kelurahan_a.pk]), 5, grow=cooperative)


# A reviewer's home is the city dashboard, in its own queries (tests/dashboard/test_query_counts.py:
# 3-4 the permissions (is it a reviewer? reads them once for both), 5 the reviewer's region
# grants (issue 23), 6-11 the city's figures, 12-13 the business units and the month's sales,
# 14 the applications).
def test_a_reviewers_home_is_the_city_dashboard(request, cooperative):
    small, large = pin_queries(client_as(request, "reviewer"), reverse("dashboard:home"), 14, grow=cooperative)
    assert small.templates[0].name == large.templates[0].name == "dashboard/dashboard.html"
