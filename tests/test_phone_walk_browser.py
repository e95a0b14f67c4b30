"""An officer's day and a reviewer's look on a 360 x 740 phone (issue 21), in Debian's Chromium:
sign in → home (the progress and the to-do counts inside the first screen) → register an
applicant (a refused form keeps what was typed) → accept → pay the simpanan pokok → receipt →
scan a card photo at a meeting; the reviewer: sign in → the dashboard's cards → a kelurahan.

Every page is checked as a person would: nothing scrolls sideways, every control is at least
44 x 44 px, and axe-core (axe-playwright-python, bundled, nothing downloaded) finds no serious
or critical violation. A screenshot of each step goes to `KKMP_SCREENSHOTS` (or a temporary
folder), printed at the start, for a person to look at."""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
import segno
from django.utils import timezone
from playwright.sync_api import expect

from dashboard.models import Campaign
from kelurahan.models import HouseholdCount
from koperasi.models import Attendance, Entry, Meeting
from members.models import Member
from members.services import register_member
from tests.factories import ApplicationFactory, make_nik, make_no_kk
from tests.koperasi.test_rapat_browser import fits_the_screen, sign_in
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}

# Controls a thumb must hit (inline links in running text are exempt, WCAG 2.5.8); a checkbox
# is measured by its label, which toggles it too.
SMALL_TARGETS = """() => {
  const controls = document.querySelectorAll(
    "button, a.button, input:not([type=hidden]), select, textarea, summary, .menu-panel a, .todo-list a, "
    + ".quick a, .home-links a, .kel-card a, .card-sort a, .picker a");
  const small = [];
  for (const el of controls) {
    const target = (el.type === "checkbox" || el.type === "radio") && el.closest("label") ? el.closest("label") : el;
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (!box.width || !box.height || style.visibility === "hidden") continue;  // not shown
    if (el.closest(".hp")) continue;  // the honeypot, off-screen on purpose
    if (box.width < 44 || box.height < 44) small.push(`${el.outerHTML.slice(0, 80)} ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return small;
}"""


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = Path(os.environ.get("KKMP_SCREENSHOTS") or tmp_path_factory.mktemp("kkmp-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the phone walk: {folder}")
    return folder


def check(page, screenshots, step):
    """What a person checks on every page: a screenshot, no sideways scrolling, thumb-sized
    controls, and no serious or critical accessibility violation."""
    from axe_playwright_python.sync_playwright import Axe

    page.screenshot(path=screenshots / f"{step}.png", full_page=True)
    assert fits_the_screen(page), (step, page.evaluate("document.documentElement.scrollWidth"))
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), step
    assert page.evaluate(SMALL_TARGETS) == [], step
    results = Axe().run(page)
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], (step, serious)


def in_first_screen(page, selector):
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


@pytest.fixture
def day(kelurahan_a):
    """Kelurahan A in a running campaign (40 KK: target 4), one active member who joined 40 days
    ago (KK 1 of 4), an application from a resident waiting, and a meeting today."""
    today = timezone.localdate()
    Campaign.objects.all().delete()
    Campaign.objects.create(name="Uji", percent=10, starts_on=today - timedelta(days=30),
                            deadline=today + timedelta(days=30), wilayah_kode="64.71")
    HouseholdCount.objects.create(kelurahan=kelurahan_a, count=40, as_of="2025-06-30", source="uji")
    register_member(kelurahan=kelurahan_a, nik=make_nik(1), name="Anggota Lama", joined_on=today - timedelta(days=40),
                    no_kk=make_no_kk(1), is_head_of_household=True)
    ApplicationFactory(kelurahan=kelurahan_a)
    return Meeting.objects.create(kelurahan=kelurahan_a, held_on=today, place="Balai", agenda="Rapat anggota")


def test_an_officers_day_on_a_phone(browser, live_server, officer, kelurahan_a, day, screenshots, tmp_path):  # noqa: F811
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/en/masuk/")
    check(page, screenshots, "officer-01-sign-in")
    page = sign_in(browser, live_server, officer)
    url = live_server.url

    # Home: the cooperative, its progress and what to do, inside the first screen.
    page.goto(f"{url}/en/")
    assert page.locator("h1").inner_text() == "KKMP Sepinggan"
    for selector in ("[data-home=progress] [data-figure=kk_terwakili]", "[data-home=progress] progress",
                     "[data-home=progress] [data-status]", "[data-figure=gained_7d]", "[data-figure=weekly_pace_needed]",
                     "[data-todo=calon]", "[data-todo=pokok_unpaid]", "[data-todo=in_arrears]", "[data-todo=meeting]",
                     "[data-action=register]", "[data-action=pay]", "[data-action=scan]"):
        assert in_first_screen(page, selector), selector
    assert page.locator("[data-home=progress] [data-figure=kk_terwakili]").inner_text() == "1"
    assert page.locator("[data-figure=target]").inner_text() == "4"
    assert page.locator("[data-todo=applications] strong").inner_text() == "1"
    assert page.locator("[data-todo=meeting]").get_attribute("href") == f"/en/koperasi/rapat/{day.pk}/"
    assert page.locator(".site-header").bounding_box()["height"] <= 56  # one line: the name and the menu
    assert page.locator(".menu-panel").is_hidden()
    check(page, screenshots, "officer-02-home")
    page.click(".menu > summary")  # the menu opens without any script of ours (a <details>)
    assert page.locator(".menu-panel a[hreflang=id]").is_visible()
    assert page.locator(".menu-panel .sign-out button").is_visible()
    check(page, screenshots, "officer-03-menu")

    # Register an applicant: a refused form keeps everything typed.
    page.goto(f"{url}/en/")
    page.click("[data-action=register]")
    page.fill("#id_nik", "6471 0512 0390 0000")  # serial 0000: refused
    page.fill("#id_name", "Rina Wulandari")
    page.fill("#id_no_kk", make_no_kk(902))
    page.check("#id_is_head_of_household")
    page.select_option("#id_status", "calon")
    page.click("main button[type=submit]")
    assert page.locator(".has-error #id_nik").count() == 1
    assert (page.input_value("#id_nik"), page.input_value("#id_name"), page.input_value("#id_no_kk")) == (
        "6471 0512 0390 0000", "Rina Wulandari", make_no_kk(902))
    assert page.is_checked("#id_is_head_of_household") and page.input_value("#id_status") == "calon"
    check(page, screenshots, "officer-04-register-refused")
    page.fill("#id_nik", "6471 0512 0390 0902")  # typed in groups, as the pages show numbers
    page.click("main button[type=submit]")
    member = Member.objects.get(name="Rina Wulandari")
    assert member.nik == "6471051203900902" and member.status == "calon"
    nik = page.locator(".details [data-copy]").first
    assert nik.inner_text() == "6471 0512 0390 0902"
    expect(page.locator(".details button.copy")).to_have_count(2)  # site.js: a copy button beside NIK and KK
    assert nik.evaluate("el => el.getBoundingClientRect().height") < 30  # one line, never broken
    check(page, screenshots, "officer-05-applicant")

    # The home counts the applicant, and the count opens the list of exactly them.
    page.goto(f"{url}/en/")
    assert page.locator("[data-todo=calon] strong").inner_text() == "1"
    page.click("[data-todo=calon]")
    assert page.locator("main tbody tr").count() == 1 and "Rina Wulandari" in page.locator("main tbody").inner_text()
    check(page, screenshots, "officer-06-applicants-list")

    # Accept, then pay the simpanan pokok from the member page, and read the receipt.
    page.goto(f"{url}/en{member.get_absolute_url()}")
    page.click(f"a[href$='/anggota/{member.pk}/terima/']")
    check(page, screenshots, "officer-07-accept")
    page.click("main button[type=submit]")
    member.refresh_from_db()
    assert member.status == "aktif"
    page.goto(f"{url}/en/")
    assert page.locator("[data-todo=pokok_unpaid] strong").inner_text() == "2"  # and Anggota Lama, who never paid
    page.click("[data-todo=pokok_unpaid]")
    assert page.locator("main tbody tr").count() == 2 and "Rina Wulandari" in page.locator("main tbody").inner_text()
    page.goto(f"{url}/en{member.get_absolute_url()}")
    page.click(f"a[href$='/koperasi/anggota/{member.pk}/bayar/pokok/']")
    check(page, screenshots, "officer-08-pay-pokok")
    page.click("main button[type=submit]")
    entry = Entry.objects.get(member=member, kind="pokok")
    assert page.url.endswith(entry.get_absolute_url())
    assert entry.receipt_number in page.locator("main").inner_text()
    check(page, screenshots, "officer-09-receipt")

    # At the meeting: a photo of the member card (the browser has no camera scanning here).
    photo = tmp_path / "kartu.png"
    buf = io.BytesIO()
    segno.make(member.member_number, micro=False).save(buf, kind="png", scale=8)
    photo.write_bytes(buf.getvalue())
    page.goto(f"{url}/en/koperasi/rapat/{day.pk}/")
    check(page, screenshots, "officer-10-meeting")
    with page.expect_navigation():
        page.set_input_files("#id_photo", str(photo))
    assert page.locator(".messages .success").inner_text().startswith(f"Rina Wulandari ({member.member_number}) is present.")
    assert list(Attendance.objects.values_list("member__name", "via")) == [("Rina Wulandari", "qr")]
    check(page, screenshots, "officer-11-meeting-present")

    # The home's card scan opens the member's page.
    page.goto(f"{url}/en/")
    page.click("[data-action=scan]")
    check(page, screenshots, "officer-12-scan")
    with page.expect_navigation():
        page.set_input_files("#id_photo", str(photo))
    assert page.url.endswith(member.get_absolute_url())
    page.goto(f"{url}/en/")
    assert page.locator("[data-todo=pokok_unpaid] strong").inner_text() == "1"  # Anggota Lama
    assert page.locator("[data-home=progress] [data-figure=kk_terwakili]").inner_text() == "2"


def test_a_reviewers_dashboard_on_a_phone(browser, live_server, reviewer, kelurahan_a, kelurahan_b, day, screenshots):  # noqa: F811
    HouseholdCount.objects.create(kelurahan=kelurahan_b, count=20, as_of="2025-06-30", source="uji")
    page = sign_in(browser, live_server, reviewer)
    page.goto(f"{live_server.url}/en/")
    cards = page.locator("[data-card]")
    assert cards.count() == 2 and page.locator(".progress-table").first.is_hidden()
    card = page.locator(f"[data-card='{kelurahan_a.kode}']")
    assert card.locator("[data-figure=persen_target]").inner_text() == "25.0% of target"
    assert card.locator(".status").inner_text() == "behind"  # the status in words, not only its colour
    assert card.locator("[data-figure=naik_7_hari]").is_visible()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # no figure off-screen
    check(page, screenshots, "reviewer-01-dashboard-cards")
    page.click("[data-sort=behind]")
    assert page.locator("[data-card]").first.get_attribute("data-card") == kelurahan_b.kode  # 0% before 25%
    check(page, screenshots, "reviewer-02-furthest-behind")
    page.click(f"[data-card='{kelurahan_a.kode}'] a")
    assert page.locator("h1").inner_text().startswith("KKMP Sepinggan")
    check(page, screenshots, "reviewer-03-kelurahan")


def test_the_officers_path_works_before_any_script_runs(browser, live_server, officer, kelurahan_a, day):  # noqa: F811
    """A weak signal: the scripts have not arrived (here: switched off). The menu opens (a
    <details>), registering works, and the home's counts are links."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/masuk/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "rahasia-uji-123")
    page.click("main button[type=submit]")
    assert page.locator("[data-home=progress] [data-figure=kk_terwakili]").inner_text() == "1"
    page.click(".menu > summary")
    assert page.locator(".menu-panel .sign-out button").is_visible()
    page.goto(f"{live_server.url}/en/")
    page.click("[data-action=register]")
    page.fill("#id_nik", "6471 0512 0390 0903")
    page.fill("#id_name", "Tanpa Skrip")
    page.fill("#id_no_kk", make_no_kk(903))
    page.check("#id_is_head_of_household")
    page.click("main button[type=submit]")
    assert Member.objects.filter(name="Tanpa Skrip", nik="6471051203900903").exists()
    assert page.locator(".details [data-copy]").first.inner_text() == "6471 0512 0390 0903"
    assert page.locator("button.copy").count() == 0  # the copy button needs the script
    context.close()


def test_the_homes_card_scan_reads_a_card_with_the_camera(browser, live_server, officer, kelurahan_a, day):  # noqa: F811
    """Where the browser has a camera API and BarcodeDetector (faked for headless Chromium as in
    the meeting's scanner test), the card scan opens the camera and then the member's page."""
    from tests.koperasi.test_rapat_browser import FAKE_SCANNER

    member = Member.objects.get(name="Anggota Lama")
    page = sign_in(browser, live_server, officer, init_script=FAKE_SCANNER % member.member_number)
    page.goto(f"{live_server.url}/en/beranda/{kelurahan_a.pk}/pindai/")
    assert page.locator("[data-photo-form]").is_visible() or page.locator("[data-scan-start]").is_visible()
    with page.expect_navigation():
        page.click("[data-scan-start]")
    assert page.url.endswith(member.get_absolute_url())
    assert page.locator(".messages .success").inner_text().startswith("Card read: Anggota Lama")
