"""Names with markup in them are shown as text, never run as markup (issue 6, Output)."""

import re

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
        "dashboard": reverse("dashboard:dashboard"),
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


@pytest.mark.parametrize(
    "parts, expected",
    [
        (("Register", "Gunung Samarinda Baru"), "register-gunung-samarinda-baru.xlsx"),
        (("progres", '64.71.05"; filename=evil.exe\r\nX: y'), "progres-64-71-05-filename-evil-exe-x-y.xlsx"),
        (("../../etc/passwd",), "etc-passwd.xlsx"),
        (("Kelurahan Ê ü",), "kelurahan-e-u.xlsx"),
        (("", "///"), "unduhan.xlsx"),
    ],
)
def test_download_names_are_plain_ascii_with_the_right_extension(parts, expected):
    from kkmp.downloads import download_name

    assert download_name(*parts, extension="xlsx") == expected


def test_the_dashboard_download_carries_a_safe_name(reviewer_client, kelurahan_a):
    response = reviewer_client.get(reverse("dashboard:dashboard_export", args=["xlsx"]))
    header = response["Content-Disposition"]
    assert header.startswith("attachment; filename=")
    assert re.fullmatch(r'attachment; filename="?[a-z0-9-]+\.xlsx"?', header), header
