"""On a 360 x 740 phone screen, in Chromium: an officer records an applicant's simpanan pokok
from the member page, the member turns active, and the receipt shows."""

from datetime import date

import pytest

from koperasi.models import Entry
from members.models import Member
from members.services import register_member
from tests.factories import make_nik, make_no_kk
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_records_a_pokok_payment_on_a_phone(browser, live_server, officer, kelurahan_a):  # noqa: F811
    member = register_member(kelurahan=kelurahan_a, nik=make_nik(5), name="Dewi Lestari", joined_on=date(2025, 9, 1),
                             no_kk=make_no_kk(5), status=Member.Status.CALON)
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{live_server.url}/en/masuk/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "rahasia-uji-123")
    page.click("main button[type=submit]")

    page.goto(f"{live_server.url}/en/anggota/{member.pk}/")
    page.click("text=Pay simpanan pokok")  # tap 1
    assert page.input_value("#id_amount") in ("50000", "50.000")
    page.click("main button[type=submit]")  # tap 2: cash, today, the amount due

    receipt = page.locator("article.receipt")
    receipt.wait_for()
    text = receipt.inner_text()
    entry = Entry.objects.get()
    assert entry.receipt_number in text and member.member_number in text and "KKMP Sepinggan" in text
    assert "lima puluh ribu rupiah" in text.lower()
    assert page.locator("[data-print]").is_visible()  # tap 3: print (or share, where the phone can)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    member.refresh_from_db()
    assert member.status == Member.Status.AKTIF
    assert "now an active member" in page.locator(".messages").inner_text()
