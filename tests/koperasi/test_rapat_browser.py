"""On a 360 x 740 phone screen, in Chromium: an officer records attendance at a Rapat Anggota
by typing a member number, by the live camera scanner (static/js/scan.js), and by a photo of
the card where the browser cannot scan; the page never scrolls sideways."""

import io
from datetime import date

import pytest
import segno
from playwright.sync_api import expect

from koperasi.models import Attendance, Meeting
from members.services import register_member
from tests.factories import make_nik, make_no_kk
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A camera and a BarcodeDetector for headless Chromium (Linux Chromium has no BarcodeDetector):
# the "camera" is a canvas stream, and the detector sees the card once per tab.
FAKE_SCANNER = """
(() => {
  const code = %r;
  window.BarcodeDetector = class {
    static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
    detect() {
      if (sessionStorage.getItem("fake-card-shown")) return Promise.resolve([]);
      sessionStorage.setItem("fake-card-shown", "1");
      return Promise.resolve([{ rawValue: code, format: "qr_code" }]);
    }
  };
  navigator.mediaDevices.getUserMedia = () => {
    const canvas = document.createElement("canvas");
    canvas.width = 320; canvas.height = 240;
    canvas.getContext("2d").fillRect(0, 0, 320, 240);
    return Promise.resolve(canvas.captureStream(5));
  };
})();
"""


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(browser, live_server, officer, init_script=None):  # noqa: F811
    page = browser.new_page(viewport={"width": 360, "height": 740})
    if init_script:
        page.add_init_script(init_script)
    page.goto(f"{live_server.url}/en/masuk/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "rahasia-uji-123")
    page.click("main button[type=submit]")
    return page


@pytest.fixture
def rat(kelurahan_a):
    for serial in (1, 2, 3):
        register_member(kelurahan=kelurahan_a, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=date(2025, 9, 1),
                        no_kk=make_no_kk(serial))
    return Meeting.objects.create(kelurahan=kelurahan_a, held_on=date(2026, 3, 14), place="Balai", agenda="RAT 2025")


def test_an_officer_types_member_numbers_on_a_phone(browser, live_server, officer, rat):  # noqa: F811
    page = sign_in(browser, live_server, officer)
    page.goto(f"{live_server.url}/en/koperasi/rapat/{rat.pk}/")
    assert fits_the_screen(page)
    assert page.locator("[data-scan-start]").is_hidden()  # no BarcodeDetector here
    assert page.locator("[data-photo-form]").is_visible()  # the photo fallback instead
    page.fill("#id_number", "1")
    page.click("[data-scan-form] button[type=submit]")
    assert page.locator(".messages .success").inner_text().startswith("Anggota 1 (64.71.05.1002-00001) is present.")
    assert page.locator("[data-figure=present]").inner_text() == "1"
    expect(page.locator("#id_number")).to_be_focused()  # ready for the next member
    page.fill("#id_number", "64.71.05.1002-00002")
    page.press("#id_number", "Enter")
    assert page.locator("[data-figure=present]").inner_text() == "2"
    assert page.locator("[data-figure=state]").inner_text() == "Quorate"
    page.fill("#id_number", "2")
    page.press("#id_number", "Enter")
    assert "already recorded as present" in page.locator(".attendance-entry .error").inner_text()
    assert fits_the_screen(page)
    assert Attendance.objects.filter(meeting=rat).count() == 2


def test_the_live_scanner_fills_the_number_and_submits_it_as_qr(browser, live_server, officer, rat):  # noqa: F811
    page = sign_in(browser, live_server, officer, FAKE_SCANNER % "64.71.05.1002-00003")
    page.goto(f"{live_server.url}/en/koperasi/rapat/{rat.pk}/")
    start = page.locator("[data-scan-start]")
    assert start.is_visible() and page.locator("[data-photo-form]").is_hidden()
    start.click()
    page.wait_for_selector(".messages .success")
    assert page.locator(".messages .success").inner_text().startswith("Anggota 3 (64.71.05.1002-00003) is present.")
    assert list(Attendance.objects.values_list("member__member_seq", "via")) == [(3, "qr")]
    # The camera reopens for the next member; "Stop the camera" closes it.
    page.wait_for_selector("[data-scanner]:not([hidden])")
    page.click("[data-scan-stop]")
    assert page.locator("[data-scanner]").is_hidden() and start.is_visible()
    assert fits_the_screen(page)


def test_a_photo_of_the_card_is_sent_as_soon_as_it_is_taken(browser, live_server, officer, rat, tmp_path):  # noqa: F811
    photo = tmp_path / "kartu.png"
    buf = io.BytesIO()
    segno.make("64.71.05.1002-00002", micro=False).save(buf, kind="png", scale=8)
    photo.write_bytes(buf.getvalue())
    page = sign_in(browser, live_server, officer)
    page.goto(f"{live_server.url}/en/koperasi/rapat/{rat.pk}/")
    with page.expect_navigation():
        page.set_input_files("#id_photo", str(photo))
    assert page.locator(".messages .success").inner_text().startswith("Anggota 2 (64.71.05.1002-00002) is present.")
    assert list(Attendance.objects.values_list("member__member_seq", "via")) == [(2, "qr")]
