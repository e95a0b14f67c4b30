"""On a 360 x 740 phone screen, in Chromium: an officer registers a member with the full form,
confirms a likely duplicate, and the page never scrolls sideways."""

from datetime import date

import pytest

from members.models import Member
from tests.factories import MemberFactory, make_nik, make_no_kk
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_officer_registers_a_member_on_a_phone(browser, live_server, officer, kelurahan_a, kelurahan_b):  # noqa: F811
    MemberFactory(kelurahan=kelurahan_b, name="Rina Wulandari", birth_date=date(1990, 3, 12), nik=make_nik(77))
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{live_server.url}/en/masuk/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "rahasia-uji-123")
    page.click("main button[type=submit]")

    page.goto(f"{live_server.url}/en/anggota/baru/")
    assert fits_the_screen(page)
    assert page.locator("#id_confirm_duplicate").count() == 0
    page.fill("#id_nik", make_nik(902, female=True))
    page.fill("#id_name", "Rina  Wulandari")
    page.fill("#id_phone", "0812-5555-1234")
    page.fill("#id_no_kk", make_no_kk(902))
    page.check("#id_is_head_of_household")
    page.fill("#id_ktp_address", "Jl. Mawar 1")
    page.fill("#id_domicile_address", "Jl. Melati 2")
    page.fill("#id_domicile_rt", "7")
    page.click("main button[type=submit]")

    # Same name (normalised) and birth date under another NIK: the officer must confirm.
    duplicate = page.locator("#id_confirm_duplicate")
    assert duplicate.is_visible()
    assert "another KKMP" in page.locator(".field.has-error").inner_text()  # not who, nor where
    assert fits_the_screen(page)
    assert Member.objects.count() == 1
    duplicate.check()
    page.click("main button[type=submit]")

    assert page.locator(".messages .success").inner_text().startswith("Rina")
    assert fits_the_screen(page)
    member = Member.objects.get(nik=make_nik(902, female=True))
    assert (member.sex, member.birth_date, member.phone, member.domicile_rt) == ("P", date(1990, 3, 12), "081255551234", "007")
    assert member.member_number == "64.71.05.1002-00001"
    assert page.locator("text=Change history").is_visible()

    page.goto(f"{live_server.url}/en/anggota/?rt=7&sort=name")
    assert page.locator(".member-table tbody tr").count() == 1
    assert fits_the_screen(page)
