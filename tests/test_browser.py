"""End to end in a real browser: Debian's Chromium driven by Playwright (never downloaded).

An officer signs in on a phone-sized screen, registers a member, and sees the dashboard's
"KK terwakili" for their kelurahan rise by one.
"""

import os
import shutil

import pytest

from kelurahan.models import HouseholdCount
from tests.factories import make_nik, make_no_kk

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("KKMP_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in
    # a thread with a running loop unless told that this is deliberate (test code only).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_an_officer_registers_a_member_and_the_dashboard_count_rises(browser, live_server, officer, kelurahan_a):
    HouseholdCount.objects.create(kelurahan=kelurahan_a, count=50, as_of="2025-06-30", source="uji")
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{live_server.url}/masuk/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "rahasia-uji-123")
    page.click("main button[type=submit]")

    figure = page.locator("[data-home=progress] [data-figure=kk_terwakili]")  # the officer's home (issue 21)
    assert figure.inner_text() == "0"

    page.goto(f"{live_server.url}/anggota/baru/")
    page.fill("#id_nik", make_nik(901))
    page.fill("#id_name", "Rina Wulandari")
    page.fill("#id_no_kk", make_no_kk(901))
    page.check("#id_is_head_of_household")
    page.click("main button[type=submit]")
    assert page.locator(".messages .success").inner_text().startswith("Rina Wulandari")
    assert "64.71.05.1002-00001" in page.content()

    page.goto(f"{live_server.url}/")
    assert figure.inner_text() == "1"
    page.goto(f"{live_server.url}/dasbor/")  # the city dashboard
    assert page.locator("[data-total] [data-figure=kk_terwakili]").inner_text() == "1"
    assert page.locator(f"[data-card='{kelurahan_a.kode}'] [data-figure=kk_terwakili]").inner_text().startswith("1 ")


def test_an_admin_uploads_previews_and_confirms_an_import(browser, live_server, admin_user, kelurahan_a, tmp_path):
    from members.models import Household
    from tests.files import write_xlsx

    header = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]
    rows = [["64.71.05.1002", make_no_kk(i), f"Kepala {i}", make_nik(i), "Jl. Mawar", "7", ""] for i in (1, 2, 3)]
    path = write_xlsx(tmp_path / "keluarga.xlsx", [header, *rows], text_columns=("B", "D"))

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/masuk/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "rahasia-uji-123")
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/impor/baru/")
    page.select_option("#id_kind", "households")
    page.set_input_files("#id_file", str(path))
    page.click("main button[type=submit]")

    assert page.locator("[data-count=new]").inner_text() == "3"
    assert page.locator("[data-status]").get_attribute("data-status") == "ready"
    assert Household.objects.count() == 0
    page.click("form[action$='/impor/'] button")
    assert page.locator("[data-status]").get_attribute("data-status") == "committed"
    assert Household.objects.count() == 3


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_the_dashboard_shows_the_figures_on_phone_and_desktop(browser, live_server, reviewer, kelurahan_a, kelurahan_b, viewport):
    from datetime import date, timedelta

    from dashboard.models import Campaign
    from tests.factories import HouseholdFactory, MemberFactory

    Campaign.objects.all().delete()
    Campaign.objects.create(name="Uji", percent=10, starts_on=date.today() - timedelta(days=30),
                            deadline=date.today() + timedelta(days=30), wilayah_kode="64.71")
    HouseholdCount.objects.create(kelurahan=kelurahan_a, count=20, as_of="2025-06-30", source="uji")  # target 2
    kk = HouseholdFactory(kelurahan=kelurahan_a)
    MemberFactory(kelurahan=kelurahan_a, household=kk, is_head_of_household=True)
    MemberFactory(kelurahan=kelurahan_a, household=kk, joined_on=date.today() - timedelta(days=2))  # KK already counted
    MemberFactory(kelurahan=kelurahan_a, household=HouseholdFactory(kelurahan=kelurahan_a), joined_on=date.today() - timedelta(days=2))
    MemberFactory(kelurahan=kelurahan_b)

    page = browser.new_page(viewport=viewport)
    page.goto(f"{live_server.url}/masuk/")
    page.fill("#id_username", reviewer.username)
    page.fill("#id_password", "rahasia-uji-123")
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/en/")
    row = page.locator(f"tr[data-kode='{kelurahan_a.kode}']")
    assert row.locator("[data-figure=kk_terwakili]").inner_text() == "2"
    assert row.locator("[data-figure=anggota_aktif]").inner_text() == "3"
    assert row.locator("[data-figure=persen_target]").inner_text().startswith("100")
    assert row.locator("[data-status]").last.inner_text() == "reached"
    assert row.locator("[data-figure=naik_7_hari]").inner_text() == "+1"
    other = page.locator(f"tr[data-kode='{kelurahan_b.kode}'] [data-status]").last
    assert other.inner_text() == "no data"
    assert page.locator("[data-total] [data-figure=kk_terwakili]").inner_text() == "3"
    phone = viewport["width"] < 768  # a card per kelurahan on a phone, the table on a wide screen (issue 21)
    assert row.locator("[data-figure=kk_terwakili]").is_visible() is not phone
    assert page.locator(f"[data-card='{kelurahan_a.kode}']").is_visible() is phone
    page.goto(f"{live_server.url}/en/dasbor/tren/")
    box = page.locator("figure.trend svg").bounding_box()
    assert 0 < box["width"] <= viewport["width"]
