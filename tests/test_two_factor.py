"""Optional TOTP second factor; required for admins and reviewers when KKMP_REQUIRE_2FA is on."""

import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def code_for(device):
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_a_reviewer_is_sent_to_set_up_the_second_factor_when_it_is_required(reviewer_client, settings):
    settings.KKMP_REQUIRE_2FA = True
    response = reviewer_client.get("/anggota/")
    assert response.status_code == 302 and response.url.startswith("/akun/2fa/")
    page = reviewer_client.get(response.url).content.decode()
    assert "<svg" in page and re.search(r"[A-Z2-7]{16,}", page)  # QR code and the key to type


def test_setting_up_and_verifying_lets_the_reviewer_in(reviewer_client, reviewer, settings):
    settings.KKMP_REQUIRE_2FA = True
    reviewer_client.get("/akun/2fa/")
    device = TOTPDevice.objects.get(user=reviewer)
    response = reviewer_client.post("/akun/2fa/?next=/anggota/", {"code": code_for(device)})
    assert response.status_code == 302 and response.url == "/anggota/"
    device.refresh_from_db()
    assert device.confirmed
    assert reviewer_client.get("/anggota/").status_code == 200


def test_a_wrong_code_is_refused(reviewer_client, reviewer, settings):
    settings.KKMP_REQUIRE_2FA = True
    reviewer_client.get("/akun/2fa/")
    response = reviewer_client.post("/akun/2fa/", {"code": "000000"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.get(user=reviewer).confirmed
    assert reviewer_client.get("/anggota/").status_code == 302


def test_the_admin_site_waits_for_the_second_factor_too(admin_client_, settings):
    settings.KKMP_REQUIRE_2FA = True
    assert admin_client_.get("/admin/").url.startswith("/akun/2fa/")


def test_officers_are_not_asked(officer_client, settings):
    settings.KKMP_REQUIRE_2FA = True
    assert officer_client.get("/anggota/").status_code == 200


def test_nobody_is_asked_when_the_setting_is_off(reviewer_client, settings):
    settings.KKMP_REQUIRE_2FA = False
    assert reviewer_client.get("/anggota/").status_code == 200


def test_the_next_address_cannot_lead_off_site(reviewer_client, reviewer):
    reviewer_client.get("/akun/2fa/")
    device = TOTPDevice.objects.get(user=reviewer)
    response = reviewer_client.post("/akun/2fa/?next=https://evil.example/", {"code": code_for(device)})
    assert response.url == "/"
