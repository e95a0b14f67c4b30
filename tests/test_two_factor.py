"""TOTP second factor: required for admins and reviewers when KKMP_REQUIRE_2FA is on, and then
enrolled only with a one-time link an admin issues; optional (self-service) for everyone else."""

import re
from base64 import b32decode
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY_ON_PAGE = re.compile(r'<code class="mono">([A-Z2-7]{16,})</code>')


def code_for(device):
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def code_for_key(b32_key):
    return f"{TOTP(b32decode(b32_key)).token():06d}"


def issue(username, *args):
    out = StringIO()
    call_command("issue_2fa_enrolment", username, *args, stdout=out)
    link = re.search(r"/akun/2fa/\?enrolment=(\S+)", out.getvalue())
    assert link, out.getvalue()
    return link.group(1)


def shows_a_key(page):
    return "<svg" in page or KEY_ON_PAGE.search(page) is not None


# --- the required roles: no self-enrolment ----------------------------------------------------


def test_a_reviewer_is_sent_to_the_second_factor_page_when_it_is_required(reviewer_client, settings):
    settings.KKMP_REQUIRE_2FA = True
    response = reviewer_client.get("/anggota/")
    assert response.status_code == 302 and response.url.startswith("/akun/2fa/")


def test_with_the_password_alone_a_required_user_cannot_enrol_an_authenticator(reviewer_client, reviewer, settings):
    """Someone who stole a reviewer's password must not get to add their own authenticator."""
    settings.KKMP_REQUIRE_2FA = True
    page = reviewer_client.get("/akun/2fa/").content.decode()
    assert not shows_a_key(page)
    page = reviewer_client.post("/akun/2fa/", {"action": "start"}).content.decode()
    assert not shows_a_key(page)
    response = reviewer_client.post("/akun/2fa/", {"action": "verify", "code": "123456"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert reviewer_client.get("/anggota/").status_code == 302


def test_an_enrolment_issued_by_an_admin_lets_the_reviewer_enrol(reviewer_client, reviewer, settings):
    settings.KKMP_REQUIRE_2FA = True
    token = issue(reviewer.username)
    page = reviewer_client.get(f"/akun/2fa/?enrolment={token}").content.decode()
    assert not shows_a_key(page) and token in page  # a GET shows nothing secret, changes nothing
    page = reviewer_client.post("/akun/2fa/?next=/anggota/", {"action": "enrolment", "enrolment": token}).content.decode()
    assert "<svg" in page and KEY_ON_PAGE.search(page)
    device = TOTPDevice.objects.get(user=reviewer)
    assert KEY_ON_PAGE.search(page).group(1) == re.search(r"secret=([A-Z2-7]+)", device.config_url).group(1)
    response = reviewer_client.post("/akun/2fa/?next=/anggota/", {"action": "verify", "code": code_for(device)})
    assert response.status_code == 302 and response.url == "/anggota/"
    device.refresh_from_db()
    assert device.confirmed
    assert reviewer_client.get("/anggota/").status_code == 200


def test_the_enrolment_link_shows_the_key_once(reviewer_client, reviewer, settings):
    settings.KKMP_REQUIRE_2FA = True
    token = issue(reviewer.username)
    assert "<svg" in reviewer_client.post("/akun/2fa/", {"action": "enrolment", "enrolment": token}).content.decode()
    again = reviewer_client.post("/akun/2fa/", {"action": "enrolment", "enrolment": token}).content.decode()
    assert not shows_a_key(again)
    assert not shows_a_key(reviewer_client.get("/akun/2fa/").content.decode())


def test_the_enrolment_link_is_for_its_own_user_only(client, reviewer, settings, roles):
    settings.KKMP_REQUIRE_2FA = True
    token = issue(reviewer.username)
    other = UserFactory(username="peninjau.lain")
    other.groups.add(reviewer.groups.first())
    client.force_login(other)
    page = client.post("/akun/2fa/", {"action": "enrolment", "enrolment": token}).content.decode()
    assert not shows_a_key(page)
    assert not TOTPDevice.objects.filter(user=other).exists()
    assert TOTPDevice.objects.get(user=reviewer).name == "enrolment issued"  # still usable by its owner


def test_an_expired_enrolment_link_is_refused(reviewer_client, reviewer, settings):
    settings.KKMP_REQUIRE_2FA = True
    token = issue(reviewer.username)
    TOTPDevice.objects.filter(user=reviewer).update(
        created_at=timezone.now() - timezone.timedelta(hours=settings.KKMP_2FA_ENROLMENT_HOURS, minutes=1)
    )
    page = reviewer_client.post("/akun/2fa/", {"action": "enrolment", "enrolment": token}).content.decode()
    assert not shows_a_key(page)


@pytest.mark.parametrize("token", ["", "nonsense", "1.2.abc:1uXyZa:forged-signature"])
def test_a_made_up_enrolment_code_is_refused(reviewer_client, reviewer, settings, token):
    settings.KKMP_REQUIRE_2FA = True
    issue(reviewer.username)
    page = reviewer_client.post("/akun/2fa/", {"action": "enrolment", "enrolment": token}).content.decode()
    assert not shows_a_key(page)


def test_issuing_again_cancels_the_previous_link(reviewer_client, reviewer, settings):
    settings.KKMP_REQUIRE_2FA = True
    first = issue(reviewer.username)
    issue(reviewer.username)
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1
    page = reviewer_client.post("/akun/2fa/", {"action": "enrolment", "enrolment": first}).content.decode()
    assert not shows_a_key(page)


def test_the_command_refuses_to_replace_a_confirmed_device_unless_asked(reviewer):
    TOTPDevice.objects.create(user=reviewer, name="authenticator", confirmed=True)
    with pytest.raises(CommandError):
        call_command("issue_2fa_enrolment", reviewer.username, stdout=StringIO())
    issue(reviewer.username, "--replace")
    assert list(TOTPDevice.objects.filter(user=reviewer).values_list("confirmed", flat=True)) == [False]


def test_the_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("issue_2fa_enrolment", "nobody", stdout=StringIO())


def test_a_required_user_with_a_device_gives_the_code(reviewer_client, reviewer, settings):
    settings.KKMP_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=reviewer, name="authenticator", confirmed=True)
    assert not shows_a_key(reviewer_client.get("/akun/2fa/").content.decode())
    response = reviewer_client.post("/akun/2fa/?next=/anggota/", {"code": code_for(device)})
    assert response.status_code == 302 and response.url == "/anggota/"
    assert reviewer_client.get("/anggota/").status_code == 200


def test_a_wrong_code_is_refused(reviewer_client, reviewer, settings):
    settings.KKMP_REQUIRE_2FA = True
    TOTPDevice.objects.create(user=reviewer, name="authenticator", confirmed=True)
    response = reviewer_client.post("/akun/2fa/", {"code": "000000"})
    assert response.status_code == 200
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


# --- self-service for users who are not required to use it ---------------------------------


def test_opening_the_page_creates_no_device(officer_client, reviewer_client, settings):
    settings.KKMP_REQUIRE_2FA = True
    officer_client.get("/akun/2fa/")
    reviewer_client.get("/akun/2fa/")
    settings.KKMP_REQUIRE_2FA = False
    reviewer_client.get("/akun/2fa/")
    assert not TOTPDevice.objects.exists()


def test_an_officer_may_set_up_the_second_factor_themselves(officer_client, officer, settings):
    settings.KKMP_REQUIRE_2FA = True
    page = officer_client.get("/akun/2fa/").content.decode()
    assert not shows_a_key(page)
    page = officer_client.post("/akun/2fa/", {"action": "start"}).content.decode()
    assert "<svg" in page
    key = KEY_ON_PAGE.search(page).group(1)
    assert not TOTPDevice.objects.exists()  # the pending key waits in the session
    response = officer_client.post("/akun/2fa/?next=/anggota/", {"action": "verify", "code": code_for_key(key)})
    assert response.status_code == 302 and response.url == "/anggota/"
    device = TOTPDevice.objects.get(user=officer)
    assert device.confirmed and re.search(r"secret=([A-Z2-7]+)", device.config_url).group(1) == key
    # the same code cannot be used twice
    officer_client.logout()
    officer_client.force_login(officer)
    assert officer_client.post("/akun/2fa/", {"code": code_for_key(key)}).status_code == 200


def test_a_wrong_code_during_self_setup_creates_nothing(officer_client, settings):
    officer_client.post("/akun/2fa/", {"action": "start"})
    response = officer_client.post("/akun/2fa/", {"action": "verify", "code": "000000"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()


def test_a_self_setup_cannot_be_finished_once_the_user_must_use_2fa(reviewer_client, settings):
    settings.KKMP_REQUIRE_2FA = False
    page = reviewer_client.post("/akun/2fa/", {"action": "start"}).content.decode()
    key = KEY_ON_PAGE.search(page).group(1)
    settings.KKMP_REQUIRE_2FA = True
    response = reviewer_client.post("/akun/2fa/", {"action": "verify", "code": code_for_key(key)})
    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()


def test_the_next_address_cannot_lead_off_site(reviewer_client, reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="authenticator", confirmed=True)
    response = reviewer_client.post("/akun/2fa/?next=https://evil.example/", {"code": code_for(device)})
    assert response.url == "/"


# --- the device admin: no keys, superusers only -------------------------------------------------


def test_the_device_admin_never_shows_the_key(admin_client_, reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="authenticator", confirmed=True)
    secret = re.search(r"secret=([A-Z2-7]+)", device.config_url).group(1)
    for url in ("/admin/otp_totp/totpdevice/", f"/admin/otp_totp/totpdevice/{device.pk}/change/"):
        response = admin_client_.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert device.key not in page and secret not in page and "otpauth" not in page, url
    assert reviewer.username in admin_client_.get("/admin/otp_totp/totpdevice/").content.decode()
    for url in (f"/admin/otp_totp/totpdevice/{device.pk}/config/", f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/"):
        response = admin_client_.get(url)
        assert response.status_code in (302, 404) and b"otpauth" not in response.content, url
        assert "<svg" not in response.content.decode()


def test_the_device_admin_is_for_superusers_only(client, reviewer):
    from django.contrib.auth.models import Permission

    TOTPDevice.objects.create(user=reviewer, name="authenticator", confirmed=True)
    staff = UserFactory(username="staf", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="otp_totp"))
    client.force_login(staff)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert "otp_totp" not in client.get("/admin/").content.decode()


def test_an_admin_resets_a_device_and_issues_an_enrolment(admin_client_, reviewer, settings):
    device = TOTPDevice.objects.create(user=reviewer, name="authenticator", confirmed=True)
    response = admin_client_.post(
        "/admin/otp_totp/totpdevice/",
        {"action": "reset_and_issue_enrolment", "_selected_action": [device.pk]},
        follow=True,
    )
    page = response.content.decode()
    token = re.search(r"/akun/2fa/\?enrolment=([^\s\"<&]+)", page).group(1)
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    pending = TOTPDevice.objects.get(user=reviewer)
    assert not pending.confirmed and pending.key not in page

    settings.KKMP_REQUIRE_2FA = True
    admin_client_.logout()
    admin_client_.force_login(reviewer)
    assert "<svg" in admin_client_.post("/akun/2fa/", {"action": "enrolment", "enrolment": token}).content.decode()


def test_an_admin_issues_an_enrolment_from_the_add_form(admin_client_, reviewer):
    response = admin_client_.post("/admin/otp_totp/totpdevice/add/", {"user": reviewer.pk}, follow=True)
    page = response.content.decode()
    assert re.search(r"/akun/2fa/\?enrolment=", page)
    device = TOTPDevice.objects.get(user=reviewer)
    assert not device.confirmed and device.key not in page


def test_the_add_form_refuses_a_user_who_already_has_a_device(admin_client_, reviewer):
    TOTPDevice.objects.create(user=reviewer, name="authenticator", confirmed=True)
    response = admin_client_.post("/admin/otp_totp/totpdevice/add/", {"user": reviewer.pk})
    assert response.status_code == 200  # the form again, with the error
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1
