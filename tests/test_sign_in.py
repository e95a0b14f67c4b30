"""Sign-in lockout (django-axes) per user name + address, the client address behind the
trusted proxy, and the per-address limit against trying many user names."""

import pytest
from django.test import RequestFactory

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

RIGHT = "rahasia-uji-123"
WRONG = "salah-terus-123"
PROXY = "127.0.0.1"  # the reverse proxy on the same machine: every request's REMOTE_ADDR


def sign_in(client, username, password=RIGHT, address=None, forwarded=None):
    meta = {}
    if address:
        meta["REMOTE_ADDR"] = address
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/masuk/", {"username": username, "password": password}, **meta)


def signed_in(client):
    return "_auth_user_id" in client.session


def fresh(client):
    client.logout()
    client.cookies.clear()
    return client


# --- the client address ---------------------------------------------------------------------


def address_of(settings, hops, remote, forwarded=None):
    from kkmp.middleware import client_ip

    settings.KKMP_TRUSTED_PROXY_HOPS = hops
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_without_a_trusted_proxy_the_address_is_the_peer_and_x_forwarded_for_is_ignored(settings):
    assert address_of(settings, 0, "203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_behind_one_proxy_the_address_is_the_entry_our_proxy_added(settings):
    assert address_of(settings, 1, PROXY, "203.0.113.7") == "203.0.113.7"
    # the client sent its own X-Forwarded-For; nginx appended the real peer to it
    assert address_of(settings, 1, PROXY, "10.9.8.7, 1.2.3.4, 203.0.113.7") == "203.0.113.7"
    assert address_of(settings, 1, PROXY, "10.9.8.7,203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_the_second_entry_from_the_right_is_taken(settings):
    assert address_of(settings, 2, PROXY, "10.9.8.7, 203.0.113.7, 192.0.2.10") == "203.0.113.7"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", "203.0.113.7, <script>"])
def test_a_missing_or_broken_forwarded_header_falls_back_to_the_peer(settings, forwarded):
    assert address_of(settings, 1, PROXY, forwarded) == PROXY


def test_ipv6_addresses_are_kept(settings):
    assert address_of(settings, 1, PROXY, "2001:db8::1") == "2001:db8::1"


# --- lockout per user name + address --------------------------------------------------------


def test_failures_from_one_address_do_not_lock_the_same_user_from_another(client, officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, officer.username, WRONG, address="198.51.100.66")
    assert sign_in(client, officer.username, address="198.51.100.66").status_code == 429
    assert not signed_in(client)

    fresh(client)
    response = sign_in(client, officer.username, address="203.0.113.7")
    assert response.status_code == 302 and signed_in(client)


def test_behind_the_proxy_an_attacker_does_not_lock_everyone_out(client, officer, reviewer, settings):
    settings.KKMP_TRUSTED_PROXY_HOPS = 1
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(client, officer.username, WRONG, address=PROXY, forwarded="198.51.100.66")
    fresh(client)
    response = sign_in(client, officer.username, address=PROXY, forwarded="203.0.113.7")
    assert response.status_code == 302 and signed_in(client)
    fresh(client)
    assert sign_in(client, reviewer.username, address=PROXY, forwarded="203.0.113.8").status_code == 302


def test_spoofed_x_forwarded_for_entries_do_not_change_the_address_used(client, officer, settings):
    settings.KKMP_TRUSTED_PROXY_HOPS = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        # a new made-up left-most entry each time; our proxy appends the real address
        sign_in(client, officer.username, WRONG, address=PROXY, forwarded=f"10.0.0.{n}, 198.51.100.66")
    response = sign_in(client, officer.username, address=PROXY, forwarded="10.0.0.99, 198.51.100.66")
    assert response.status_code == 429 and not signed_in(client)


def test_the_attackers_own_user_and_address_stay_locked_out(client, officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, officer.username, WRONG, address="198.51.100.66")
    response = sign_in(client, officer.username, address="198.51.100.66")  # right password, too late
    assert response.status_code == 429
    body = response.content.decode()
    assert "Terlalu banyak" in body and str(settings.AXES_COOLOFF_TIME.seconds // 60) in body
    assert not signed_in(client)


def test_the_sign_in_page_warns_before_the_lockout(client, officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        sign_in(client, officer.username, WRONG, address="198.51.100.66")
    response = sign_in(client, officer.username, WRONG, address="198.51.100.66")
    assert response.status_code == 200
    assert 'data-attempts-left="1"' in response.content.decode()
    fresh(client)
    assert 'data-attempts-left' not in client.get("/masuk/").content.decode()


def test_one_address_trying_many_user_names_is_stopped(client, officer, settings):
    settings.KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT = 8
    for n in range(8):  # one or two tries per name: the per-name limit is never reached
        sign_in(client, f"tebakan{n}", WRONG, address="198.51.100.66")
    response = sign_in(client, officer.username, address="198.51.100.66")
    assert response.status_code == 429 and not signed_in(client)
    assert "alamat" in response.content.decode() or "address" in response.content.decode()
    fresh(client)
    assert sign_in(client, officer.username, address="203.0.113.7").status_code == 302


def test_the_per_address_limit_can_be_turned_off(client, officer, settings):
    settings.KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT = 0
    for n in range(12):
        sign_in(client, f"tebakan{n}", WRONG, address="198.51.100.66")
    assert sign_in(client, officer.username, address="198.51.100.66").status_code == 302


def test_a_successful_sign_in_does_not_clear_the_addresses_other_failures(client, officer, settings):
    settings.KKMP_SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    for n in range(5):
        sign_in(client, f"tebakan{n}", WRONG, address="198.51.100.66")
    assert sign_in(client, officer.username, address="198.51.100.66").status_code == 302
    fresh(client)
    sign_in(client, "tebakan9", WRONG, address="198.51.100.66")
    assert sign_in(client, officer.username, address="198.51.100.66").status_code == 429


# --- the audit trail records the same address ------------------------------------------------


def test_the_audit_trail_records_the_address_from_the_trusted_hop(client, officer, settings):
    settings.KKMP_TRUSTED_PROXY_HOPS = 1
    sign_in(client, officer.username, WRONG, address=PROXY, forwarded="10.0.0.1, 198.51.100.66")
    sign_in(client, officer.username, address=PROXY, forwarded="10.0.0.1, 203.0.113.7")
    failed = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    ok = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert (failed.ip, ok.ip) == ("198.51.100.66", "203.0.113.7")
