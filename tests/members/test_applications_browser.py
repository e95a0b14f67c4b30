"""On a 360 x 740 phone screen, in Chromium: the officer prints the poster, a resident scans its
QR code (the printed PNG decoded with zxing-cpp), applies with no account, gets the thank-you
page and its code, and the officer accepts the application from the queue."""

import io

import pytest

from members.models import Application, Member
from tests.factories import make_nik, make_no_kk
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, user):
    page.goto(f"{base}/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "rahasia-uji-123")
    page.click("main button[type=submit]")


def test_a_resident_scans_the_poster_applies_and_the_officer_accepts(browser, live_server, officer, kelurahan_a):  # noqa: F811
    import zxingcpp
    from PIL import Image

    officer_page = browser.new_page(viewport={"width": 360, "height": 740})
    sign_in(officer_page, live_server.url, officer)
    officer_page.goto(f"{live_server.url}/koperasi/kelurahan/{kelurahan_a.pk}/poster/")
    officer_page.emulate_media(media="print")
    png = officer_page.locator("[data-poster-qr] svg").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert len(found) == 1
    link = found[0].text
    assert link == f"{live_server.url}/gabung/{kelurahan_a.kode}/?dari=poster"

    resident = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False).new_page()
    resident.goto(link)
    assert "Bergabung dengan KKMP Sepinggan" in resident.content()
    assert "50.000" in resident.content() and "10.000" in resident.content()
    resident.fill("#id_name", "Rina Wulandari")
    resident.fill("#id_nik", make_nik(902, female=True))
    resident.fill("#id_no_kk", make_no_kk(902))
    resident.check("#id_is_head_of_household")
    resident.fill("#id_phone", "0812 3456 7890")
    resident.fill("#id_rt", "12")
    resident.fill("#id_address", "Jl. Mulawarman No. 5")
    resident.check("#id_consent")
    assert resident.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    resident.click("main button[type=submit]")
    assert "Terima kasih. Pengurus KKMP Sepinggan akan menghubungi Anda." in resident.content()
    application = Application.objects.get()
    assert application.source == Application.Source.POSTER
    assert resident.locator("[data-code]").inner_text() == application.code

    officer_page.emulate_media(media="screen")
    officer_page.goto(f"{live_server.url}/anggota/pendaftaran/")
    officer_page.click("text=Rina Wulandari")
    assert officer_page.locator("[data-whatsapp]").get_attribute("href").startswith("https://wa.me/6281234567890?text=")
    officer_page.click("text=Terima: daftarkan sebagai anggota")
    assert officer_page.input_value("#id_nik") == make_nik(902, female=True)
    officer_page.click("main button[type=submit]")
    officer_page.wait_for_url(f"{live_server.url}/anggota/*/")
    member = Member.objects.get()
    assert member.name == "Rina Wulandari" and member.status == Member.Status.CALON and member.is_head_of_household
    assert officer_page.locator("text=Bayar simpanan pokok").count() >= 1
    assert officer_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    resident.goto(f"{live_server.url}/gabung/status/{application.code}/")
    assert resident.locator("[data-status=diterima]").count() == 1
