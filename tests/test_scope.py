"""Every URL that takes an object id, walked as an officer of another kelurahan: 403/404 and no
change. The URLs are read from the URL configuration, so a new view is covered automatically
(and a new app with id URLs must say here which object is out of the officer's scope)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from imports.models import ImportBatch
from members.models import Member
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def id_urls(resolver=None, namespace=""):
    """(view name, url pattern) for every pattern with an `int:pk` converter."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from id_urls(entry, inner)
        elif isinstance(entry, URLPattern) and "pk" in entry.pattern.converters and entry.name:
            yield f"{namespace}{entry.name}"


NAMES = sorted(set(id_urls()))


# Member URLs whose pk is a kelurahan (the exports of its register), not a member.
KELURAHAN_URLS = {"members:register_xlsx", "members:meeting_list", "members:kelurahan_cards"}
# Dashboard URLs whose pk is a kelurahan: its page, and the officer's home and card scan (issue 21).
DASHBOARD_KELURAHAN_URLS = {"dashboard:kelurahan_detail", "dashboard:home_kelurahan", "dashboard:home_scan"}
# The officers' queue of applications to join (pk: an application).
APPLICATION_URLS = {"members:application_detail", "members:application_accept", "members:application_reject"}


def out_of_scope(namespace, kelurahan_b, name=""):
    """An object the officer of kelurahan A must not read or change."""
    if name.startswith("dashboard:report"):  # reports are DKUMKMP's
        from dashboard.models import Report

        return Report.objects.create(
            region_kode="64.71", region_name="x", as_of="2025-10-01", data={}, xlsx=b"", created_by=UserFactory(is_superuser=True)
        )
    if name in KELURAHAN_URLS or name in DASHBOARD_KELURAHAN_URLS:
        return kelurahan_b
    if name in APPLICATION_URLS:
        from tests.factories import ApplicationFactory

        return ApplicationFactory(kelurahan=kelurahan_b)
    if namespace == "members":
        return MemberFactory(kelurahan=kelurahan_b)
    if namespace == "koperasi":
        return koperasi_object(name, kelurahan_b)
    if namespace == "usaha":
        return usaha_object(name, kelurahan_b)
    if namespace == "imports":  # officers never reach imports
        return ImportBatch.objects.create(kind="households", file_name="x.csv", created_by=UserFactory(is_superuser=True))
    if namespace == "admin":  # officers are not staff: the admin sends them to its sign-in page
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return TOTPDevice.objects.create(user=UserFactory(is_superuser=True), name="x")
    raise AssertionError(f"say in tests/test_scope.py which object is out of scope for {namespace}: URLs")


# koperasi: URLs by the object their pk names (the rest name a kelurahan)
KOPERASI_MEMBER_URLS = {"koperasi:payment", "koperasi:withdrawal"}
KOPERASI_ENTRY_URLS = {"koperasi:receipt", "koperasi:correction"}
KOPERASI_MEETING_URLS = {"koperasi:meeting_detail", "koperasi:meeting_attendance", "koperasi:meeting_minutes",
                         "koperasi:meeting_decision", "koperasi:meeting_edit", "koperasi:meeting_attendance_sheet"}
KOPERASI_OFFICER_URLS = {"koperasi:officer_end"}
# URL arguments beside pk
EXTRA_KWARGS = {"koperasi:payment": {"kind": "sukarela"}}


def koperasi_object(name, kelurahan_b):
    from koperasi import simpanan
    from koperasi.models import Meeting, Officer

    member = MemberFactory(kelurahan=kelurahan_b)
    if name in KOPERASI_MEMBER_URLS:
        return member
    if name in KOPERASI_ENTRY_URLS:
        return simpanan.record_payment(member=member, kind="sukarela", amount=10_000, paid_on=member.joined_on)
    if name in KOPERASI_MEETING_URLS:
        return Meeting.objects.create(kelurahan=kelurahan_b, held_on=member.joined_on, place="Balai", agenda="RAT")
    if name in KOPERASI_OFFICER_URLS:
        return Officer.objects.create(kelurahan=kelurahan_b, member=member, role="ketua", term_start=member.joined_on)
    return kelurahan_b


# usaha: URLs by the object their pk names (the rest name a kelurahan)
USAHA_UNIT_URLS = {"usaha:unit_detail", "usaha:unit_edit", "usaha:product_create", "usaha:sale", "usaha:delivery", "usaha:stock_count",
                   "usaha:daily_book", "usaha:logbook", "usaha:logbook_xlsx", "usaha:member_sales", "usaha:member_sales_xlsx"}
USAHA_PRODUCT_URLS = {"usaha:product_edit"}
USAHA_ENTRY_URLS = {"usaha:receipt", "usaha:correction"}


def usaha_object(name, kelurahan_b):
    from tests.usaha.fixtures import sold_unit

    unit, product, sale = sold_unit(kelurahan_b)
    if name in USAHA_UNIT_URLS:
        return unit
    if name in USAHA_PRODUCT_URLS:
        return product
    if name in USAHA_ENTRY_URLS:
        return sale
    return kelurahan_b


def snapshot():
    from koperasi.models import Attendance, Cooperative, Decision, Entry, Meeting, Officer
    from members.models import Application
    from usaha.models import BusinessUnit, Product, ShuRule, ShuYear, StockEntry

    return list(Member.objects.values_list("pk", "name", "status", "left_on", "nik")) + list(
        ImportBatch.objects.values_list("pk", "status")
    ) + list(Application.objects.values_list("pk", "status", "name", "nik", "reason")) + [
        list(model.objects.values_list("pk", flat=True)) for model in (Entry, Meeting, Attendance, Decision, Officer)] + list(
        Cooperative.objects.values_list("pk", "legal_name", "pokok_amount")
    ) + list(StockEntry.objects.values_list("pk", flat=True)) + list(BusinessUnit.objects.values_list("pk", "name")) + list(
        Product.objects.values_list("pk", "name", "member_price", "stock")) + list(
        ShuYear.objects.values_list("pk", "other_costs")) + list(ShuRule.objects.values_list("pk", "reserves"))


def test_there_are_id_urls_to_walk():
    assert "members:member_detail" in NAMES and "imports:import_undo" in NAMES
    assert APPLICATION_URLS | DASHBOARD_KELURAHAN_URLS | {"koperasi:poster"} <= set(NAMES)


@pytest.mark.parametrize("role", ["officer_b", "reviewer", "anonymous"])
def test_every_role_but_its_officers_is_refused_an_application_and_the_poster(client, roles, kelurahan_a, kelurahan_b, role):
    """The queue's URLs and the poster, walked by an officer of another kelurahan, a DKUMKMP
    reviewer (reads members, never applicants) and someone signed out."""
    from members.services import OFFICER_GROUP, REVIEWER_GROUP
    from tests.factories import ApplicationFactory

    application = ApplicationFactory(kelurahan=kelurahan_a)
    if role != "anonymous":
        user = UserFactory()
        user.groups.add(roles[OFFICER_GROUP if role == "officer_b" else REVIEWER_GROUP])
        if role == "officer_b":
            kelurahan_b.officers.add(user)
        client.force_login(user)
    before = snapshot()
    urls = [reverse(name, kwargs={"pk": application.pk}) for name in sorted(APPLICATION_URLS)]
    for url in [*urls, reverse("koperasi:poster", kwargs={"pk": kelurahan_a.pk})]:
        for response in (client.get(url), client.post(url, {"reason": "x", "nik": application.nik, "name": "x"})):
            refused = response.status_code in (403, 404) or (
                response.status_code == 302 and "/masuk/" in response.url)
            assert refused, (role, url, response.status_code)
    listing = client.get(reverse("members:application_list"))
    assert application.name not in listing.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("name", NAMES)
def test_an_officer_cannot_read_or_change_another_kelurahans_objects(officer_client, kelurahan_a, kelurahan_b, name):
    namespace = name.split(":")[0] if ":" in name else ""
    obj = out_of_scope(namespace, kelurahan_b, name)
    url = reverse(name, kwargs={"pk": obj.pk, **EXTRA_KWARGS.get(name, {})})
    before = snapshot()
    for response in (
        officer_client.get(url),
        officer_client.post(url, {"name": "Diubah", "status": "keluar", "left_on": "2025-10-01", "nik": "6471051203900009",
                                  "amount": "10000", "paid_on": "2025-10-01", "method": "tunai", "reason": "x", "number": "1",
                                  "legal_name": "Diubah", "pokok_amount": "1", "wajib_amount": "1", "wajib_due_day": "1",
                                  "activation": "otomatis", "arrears_months": "1", "quorum": "1/2", "member_number": "x",
                                  "role": "ketua", "term_start": "2025-10-01", "held_on": "2025-10-01", "place": "x",
                                  "agenda": "x", "kind": "rat", "subject": "x", "votes_for": "1",
                                  "quantity": "1", "buyer": "6471051203900009", "counted": "0", "action": "calculate",
                                  "other_costs": "0", "member_price": "1", "non_member_price": "1", "started_on": "2025-10-01"}),
    ):
        refused = response.status_code in (403, 404, 405)  # 405: a POST-only view
        sent_to_admin_login = response.status_code == 302 and response.url.startswith("/admin/login/")
        assert refused or sent_to_admin_login, (url, response.status_code)
    assert snapshot() == before


# --- Reviewers scoped to a region (RegionGrant) ----------------------------------------------

@pytest.fixture
def samarinda_reviewer(roles):
    """A DKUMKMP reviewer granted Kota Samarinda (64.72) only: Balikpapan is another kota."""
    from kelurahan.models import RegionGrant
    from members.services import REVIEWER_GROUP
    from tests.factories import KabupatenKotaFactory, KecamatanFactory, KelurahanFactory

    samarinda = KabupatenKotaFactory(kode="64.72", nama="Kota Samarinda")
    KelurahanFactory(kecamatan=KecamatanFactory(kode="64.72.01", nama="Palaran", kabupaten_kota=samarinda), nama="Rawa Makmur")
    user = UserFactory(username="peninjau.samarinda")
    user.groups.add(roles[REVIEWER_GROUP])
    RegionGrant.objects.create(user=user, kabupaten_kota=samarinda)
    return user


POST_DATA = {"name": "Diubah", "status": "keluar", "left_on": "2025-10-01", "reason": "x", "amount": "10000",
             "paid_on": "2025-10-01", "method": "tunai", "legal_name": "Diubah", "held_on": "2025-10-01", "place": "x"}


@pytest.mark.parametrize("name", NAMES)
def test_a_reviewer_of_another_kota_cannot_read_or_change_its_objects(client, samarinda_reviewer, kelurahan_a, kelurahan_b, name):
    namespace = name.split(":")[0] if ":" in name else ""
    obj = out_of_scope(namespace, kelurahan_b, name)
    url = reverse(name, kwargs={"pk": obj.pk, **EXTRA_KWARGS.get(name, {})})
    client.force_login(samarinda_reviewer)
    before = snapshot()
    for response in (client.get(url), client.post(url, POST_DATA)):
        refused = response.status_code in (403, 404, 405)
        sent_to_admin_login = response.status_code == 302 and response.url.startswith("/admin/login/")
        assert refused or sent_to_admin_login, (url, response.status_code)
    assert snapshot() == before


def test_a_reviewer_of_another_kota_sees_none_of_balikpapan_in_lists_figures_and_files(client, samarinda_reviewer, kelurahan_a, kelurahan_b):
    from dashboard.models import Report

    member = MemberFactory(kelurahan=kelurahan_b, name="Warga Manggar")
    Report.objects.create(region_kode="64.71", region_name="Kota Balikpapan", as_of="2025-10-01", data={}, xlsx=b"",
                          created_by=UserFactory(is_superuser=True))
    client.force_login(samarinda_reviewer)
    for url in ["/", "/?wilayah=64.71", "/dasbor/tren/?wilayah=64.71", "/dasbor/provinsi/?wilayah=64", "/dasbor/nasional/",
                "/dasbor/unduh.csv?wilayah=64.71", "/api/dasbor.json?wilayah=64.71", "/laporan/", "/anggota/",
                f"/anggota/?q={member.nik}", "/anggota/?q=Warga"]:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for secret in ("Manggar", "Sepinggan", "Warga Manggar", "Kota Balikpapan"):
            assert secret not in text, (url, secret)
    assert "Rawa Makmur" in client.get("/?wilayah=64.71").content.decode()  # its own kota instead
    response = client.post(reverse("dashboard:report_create"), {"wilayah": "64.71"})
    assert response.status_code == 302 and Report.objects.latest("pk").region_kode == "64.72"


def test_a_reviewer_sees_the_subtree_of_each_grant(roles, kelurahan_a, kelurahan_b):
    """A kecamatan, a kabupaten/kota, a province, the whole country; no grant: nothing."""
    from kelurahan.models import Kelurahan, RegionGrant
    from members.services import REVIEWER_GROUP
    from tests.factories import KabupatenKotaFactory, KecamatanFactory, KelurahanFactory, ProvinsiFactory

    paser = KelurahanFactory(kecamatan=KecamatanFactory(kode="64.01.01", kabupaten_kota=KabupatenKotaFactory(kode="64.01", nama="Kabupaten Paser")))
    aceh = KelurahanFactory(kecamatan=KecamatanFactory(kode="11.01.01", kabupaten_kota=KabupatenKotaFactory(
        kode="11.01", nama="Kabupaten Aceh Selatan", provinsi=ProvinsiFactory(kode="11", nama="Aceh"))))
    reviewer = UserFactory()
    reviewer.groups.add(roles[REVIEWER_GROUP])

    def sees(granted=True, **region):
        RegionGrant.objects.filter(user=reviewer).delete()
        if granted:
            RegionGrant.objects.create(user=reviewer, **region)
        fresh = type(reviewer).objects.get(pk=reviewer.pk)  # grants and permissions read once per user object
        return set(Kelurahan.objects.for_user(fresh))

    assert sees(granted=False) == set()
    assert sees(kecamatan=kelurahan_a.kecamatan) == {kelurahan_a}
    assert sees(kabupaten_kota=kelurahan_a.kecamatan.kabupaten_kota) == {kelurahan_a, kelurahan_b}
    assert sees(provinsi=kelurahan_a.kecamatan.kabupaten_kota.provinsi) == {kelurahan_a, kelurahan_b, paser}
    assert sees() == {kelurahan_a, kelurahan_b, paser, aceh}  # a grant without a region: national


def test_existing_reviewers_are_granted_the_kabupaten_kota_they_read_before(roles, kelurahan_a, officer):
    """kelurahan.0010: each reviewer of a deployment gets every kabupaten/kota in the database
    (Balikpapan's: Kota Balikpapan), not the whole country; officers and admins get nothing."""
    import importlib

    from django.apps import apps

    from kelurahan.models import RegionGrant
    from members.services import REVIEWER_GROUP

    migration = importlib.import_module("kelurahan.migrations.0010_existing_reviewers_keep_their_view")
    reviewer = UserFactory(username="dkumkmp.lama")
    reviewer.groups.add(roles[REVIEWER_GROUP])
    UserFactory(username="admin.lama", is_superuser=True)
    migration.grant(apps, None)
    migration.grant(apps, None)  # again: nothing twice
    assert [(g.user, g.kabupaten_kota.kode) for g in RegionGrant.objects.all()] == [(reviewer, "64.71")]
