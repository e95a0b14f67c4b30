"""The officer's home (issue 21): `/` is an officer's own cooperative (progress, to-do counts
linking to the filtered lists, actions); reviewers and admins get the city dashboard; an
officer keeping several kelurahan picks one; the card scan opens a member's page."""

import io
from datetime import timedelta

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dashboard.models import Campaign
from koperasi import simpanan
from koperasi.models import Meeting
from members.models import Member
from members.services import register_member
from tests.factories import ApplicationFactory, HouseholdCountFactory, make_nik, make_no_kk

pytestmark = pytest.mark.django_db

HOME = reverse("dashboard:home")


@pytest.fixture
def cooperative(kelurahan_a, kelurahan_b):
    """Kelurahan A (40 KK, target 4) in a running campaign: one applicant, one active member
    with nothing paid (pokok unpaid, in arrears), one paid-up member (pokok paid, wajib for
    months ahead), one in arrears only, two applications waiting (and one in B), a meeting next week."""
    today = timezone.localdate()
    Campaign.objects.all().delete()
    Campaign.objects.create(name="Uji", percent=10, starts_on=today - timedelta(days=30),
                            deadline=today + timedelta(days=30), wilayah_kode="64.71")
    HouseholdCountFactory(kelurahan=kelurahan_a, count=40)
    long_ago = today - timedelta(days=200)

    def member(serial, status=Member.Status.AKTIF, joined_on=long_ago):
        return register_member(kelurahan=kelurahan_a, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=joined_on,
                               no_kk=make_no_kk(serial), status=status)
    member(1, Member.Status.CALON, today)
    member(2)  # pokok unpaid, and in arrears
    paid = member(3, joined_on=today)
    simpanan.record_payment(member=paid, kind="pokok", paid_on=today)
    simpanan.record_payment(member=paid, kind="wajib", months=3, paid_on=today)
    behind = member(4)
    simpanan.record_payment(member=behind, kind="pokok", paid_on=long_ago)
    ApplicationFactory.create_batch(2, kelurahan=kelurahan_a)
    ApplicationFactory(kelurahan=kelurahan_b)
    Meeting.objects.create(kelurahan=kelurahan_a, held_on=today - timedelta(days=3), place="Lama", agenda="x")
    Meeting.objects.create(kelurahan=kelurahan_a, held_on=today + timedelta(days=7), place="Balai RT 7", agenda="RAT")
    return kelurahan_a


def test_an_officers_home_is_their_cooperative_with_what_to_do_today(officer_client, cooperative):
    response = officer_client.get(HOME)
    assert response.templates[0].name == "dashboard/home.html"
    assert response.context["kelurahan"] == cooperative
    progress = response.context["progress"]
    assert (progress.kk_terwakili, progress.target, progress.status) == (3, 4, "sesuai_jalur")
    assert response.context["counts"] == {"calon": 1, "pokok_unpaid": 1, "in_arrears": 2, "applications": 2}
    assert response.context["meeting"].place == "Balai RT 7"
    body = response.content.decode()
    assert 'data-todo="calon"' in body and f"?kelurahan={cooperative.pk}&amp;status=calon" in body
    assert reverse("dashboard:home_scan", args=[cooperative.pk]) in body
    assert reverse("dashboard:dashboard") in body  # the city dashboard one tap away


def test_the_to_do_counts_link_to_lists_holding_exactly_those_members(officer_client, cooperative):
    links = officer_client.get(HOME).context["links"]

    def names(url):
        return sorted(m.name for m in officer_client.get(url).context["page"])
    assert names(links["calon"]) == ["Anggota 1"]
    assert names(links["pokok_unpaid"]) == ["Anggota 2"]
    arrears = officer_client.get(links["in_arrears"])
    assert arrears.status_code == 200 and "Anggota 2" in arrears.content.decode() and "Anggota 4" in arrears.content.decode()
    assert len(officer_client.get(links["applications"]).context["page"]) == 2


def test_a_reviewer_and_an_admin_start_at_the_city_dashboard(reviewer_client, cooperative):
    assert reviewer_client.get(HOME).templates[0].name == "dashboard/dashboard.html"


def test_an_officer_without_a_kelurahan_gets_the_dashboard_not_an_error(client, roles):
    from members.services import OFFICER_GROUP
    from tests.factories import UserFactory

    user = UserFactory()
    user.groups.add(roles[OFFICER_GROUP])
    client.force_login(user)
    assert client.get(HOME).status_code == 200


def test_an_officer_of_several_kelurahan_picks_one(officer_client, officer, cooperative, kelurahan_b):
    kelurahan_b.officers.add(officer)
    response = officer_client.get(HOME)
    assert response.context["kelurahan"] == kelurahan_b  # Manggar before Sepinggan
    picked = reverse("dashboard:home_kelurahan", args=[cooperative.pk])
    assert picked in response.content.decode()
    response = officer_client.get(picked)
    assert response.context["kelurahan"] == cooperative and response.context["counts"]["calon"] == 1


def test_a_reviewer_reads_a_cooperatives_home_without_its_actions(reviewer_client, cooperative):
    response = reviewer_client.get(reverse("dashboard:home_kelurahan", args=[cooperative.pk]))
    assert response.status_code == 200 and not response.context["keeps"]
    assert "data-action" not in response.content.decode()
    assert reviewer_client.get(reverse("dashboard:home_scan", args=[cooperative.pk])).status_code == 404


def test_scanning_a_typed_member_number_opens_the_member(officer_client, cooperative):
    url = reverse("dashboard:home_scan", args=[cooperative.pk])
    assert officer_client.get(url).status_code == 200
    response = officer_client.post(url, {"number": "2", "via": "ketik"})
    member = Member.objects.get(name="Anggota 2")
    assert response.status_code == 302 and response.url == member.get_absolute_url()


def test_a_photo_of_the_card_opens_the_member(officer_client, cooperative):
    member = Member.objects.get(name="Anggota 3")
    png = io.BytesIO()
    segno.make(member.member_number, error="m").save(png, kind="png", scale=8)
    photo = SimpleUploadedFile("kartu.png", png.getvalue(), content_type="image/png")
    response = officer_client.post(reverse("dashboard:home_scan", args=[cooperative.pk]), {"photo": photo, "via": "qr"})
    assert response.status_code == 302 and response.url == member.get_absolute_url()


def test_another_cooperatives_card_is_refused_with_a_reason(officer_client, cooperative):
    response = officer_client.post(reverse("dashboard:home_scan", args=[cooperative.pk]), {"number": "64.71.01.1001-00001"})
    assert response.status_code == 200
    assert "another cooperative" in str(response.context["form"].errors["number"]) or "koperasi lain" in str(
        response.context["form"].errors["number"])


def test_a_failed_scan_keeps_what_was_typed(officer_client, cooperative):
    response = officer_client.post(reverse("dashboard:home_scan", args=[cooperative.pk]), {"number": "99999"})
    assert response.status_code == 200 and 'value="99999"' in response.content.decode()


def test_the_home_shows_no_figures_of_a_kelurahan_without_campaign(officer_client, kelurahan_a):
    Campaign.objects.all().delete()
    response = officer_client.get(HOME)
    assert response.status_code == 200 and response.context["progress"].status == "tanpa_target"
    assert response.context["campaign"] is None and 'data-figure="target"' not in response.content.decode()


def test_the_card_scan_checks_the_csrf_token_itself(officer, cooperative):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.post(reverse("dashboard:home_scan", args=[cooperative.pk]), {"number": "2"}).status_code == 403
