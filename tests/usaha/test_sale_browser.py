"""On a 360 x 740 phone screen, in Chromium: an officer sells an LPG 3 kg cylinder by a photo of
the member card's QR code (the server reads it), in three taps, and gets the receipt at the
member price; the page never scrolls sideways."""

import io

import pytest
import segno

from tests.koperasi.test_rapat_browser import fits_the_screen, sign_in
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)
from usaha import services
from usaha.models import Product, StockEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_sale_by_a_photo_of_the_member_card(browser, live_server, officer, lpg, anggota, tmp_path):  # noqa: F811
    services.record_delivery(unit=lpg.unit, product=lpg, quantity=5, cost=80_000)
    photo = tmp_path / "kartu.png"
    buf = io.BytesIO()
    segno.make(anggota.member_number, micro=False).save(buf, kind="png", scale=8)
    photo.write_bytes(buf.getvalue())
    page = sign_in(browser, live_server, officer)
    page.goto(f"{live_server.url}/en/usaha/unit/{lpg.unit_id}/jual/")
    assert fits_the_screen(page)
    page.check(f"input[name=product][value='{lpg.pk}']")  # tap 1: the product
    page.set_input_files("#id_photo", str(photo))  # tap 2: the card
    page.click("[data-sale-form] button[type=submit]")  # tap 3: save (quantity 1)
    page.wait_for_url("**/usaha/nota/**")
    assert anggota.name in page.locator("[data-buyer]").inner_text()
    assert "18,000" in page.locator("[data-price]").inner_text() or "18.000" in page.locator("[data-price]").inner_text()
    assert fits_the_screen(page)
    entry = StockEntry.objects.get(type="jual")
    assert (entry.member_id, entry.is_member_price, entry.sold) == (anggota.pk, True, 1)
    assert Product.objects.get(pk=lpg.pk).stock == 4


def test_a_sale_by_scanning_the_member_card_with_the_camera(browser, live_server, officer, lpg, anggota):  # noqa: F811
    from tests.koperasi.test_rapat_browser import FAKE_SCANNER

    services.record_delivery(unit=lpg.unit, product=lpg, quantity=5, cost=80_000)
    page = sign_in(browser, live_server, officer, init_script=FAKE_SCANNER % anggota.member_number)
    page.goto(f"{live_server.url}/en/usaha/unit/{lpg.unit_id}/jual/")
    page.check(f"input[name=product][value='{lpg.pk}']")  # tap 1: the product
    page.click("[data-scan-start]")  # tap 2: the camera reads the card, and the form is sent
    page.wait_for_url("**/usaha/nota/**")
    assert anggota.name in page.locator("[data-buyer]").inner_text()
    assert StockEntry.objects.get(type="jual").member_id == anggota.pk
