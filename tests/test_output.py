"""Names with markup in them are shown as text, never run as markup (issue 6, Output)."""

import pytest
from django.urls import reverse

from .factories import HouseholdCountFactory, MemberFactory

pytestmark = pytest.mark.django_db

MARKUP = '<img src=x onerror="alert(1)">Siti'


@pytest.fixture
def marked_up(kelurahan_a):
    kelurahan_a.nama = f"<b>{kelurahan_a.nama}</b>"
    kelurahan_a.save()
    HouseholdCountFactory(kelurahan=kelurahan_a)
    return MemberFactory(kelurahan=kelurahan_a, name=MARKUP, household__head_name=MARKUP)


@pytest.mark.parametrize("page", ["list", "detail", "dashboard", "search"])
def test_names_with_markup_are_escaped(officer_client, marked_up, page):
    url = {
        "list": reverse("members:member_list"),
        "detail": reverse("members:member_detail", args=[marked_up.pk]),
        "dashboard": reverse("kelurahan:dashboard"),
        "search": reverse("members:member_list") + "?q=" + "<img src=x>",
    }[page]
    html = officer_client.get(url).content.decode()
    assert "<img src=x" not in html
    assert "<b>" not in html
    shown = {
        "list": "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Siti",
        "detail": "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Siti",
        "dashboard": "&lt;b&gt;Sepinggan&lt;/b&gt;",
        "search": "&lt;img src=x&gt;",  # the search box keeps what was typed, as text
    }[page]
    assert shown in html
