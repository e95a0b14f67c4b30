"""Applications to join from the public join page: the form with hostile input, the same answer
whatever the register holds, the limits and the honeypot, the status page, the officer's queue
(scope, checks, accept, reject), and retention."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from members.models import Application, Member
from members.services import OFFICER_GROUP
from tests.factories import ApplicationFactory, KelurahanFactory, MemberFactory, UserFactory, make_nik, make_no_kk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open_b(roles, kelurahan_b):
    """Kelurahan B with an officer of its own (so its join page is open)."""
    user = UserFactory(username="pengurus.b")
    user.groups.add(roles[OFFICER_GROUP])
    kelurahan_b.officers.add(user)
    return user


def join_url(kelurahan, lang="/en"):
    return f"{lang}/gabung/{kelurahan.kode}/"


def form_data(**changes):
    data = {
        "name": "Siti Aminah", "nik": make_nik(77, female=True), "no_kk": make_no_kk(77), "is_head_of_household": "",
        "phone": "0812-3456-7890", "rt": "7", "address": "Jl. Mawar No. 1", "consent": "on", "source": "poster",
        "website": "",
    }
    data.update(changes)
    return data


def apply(client, kelurahan, **changes):
    return client.post(join_url(kelurahan), form_data(**changes))


def answer(response, client):
    """The page a resident ends on, with the code taken out (it is random)."""
    assert response.status_code == 302, response.content[:500]
    page = client.get(response.url)
    return re.sub(r"[A-Z2-9]{10}", "CODE", page.content.decode()).replace(page.wsgi_request.path, "")


def test_the_join_page_shows_the_cooperative_its_amounts_and_the_consent_without_any_script(client, officer, kelurahan_a):
    from koperasi.models import Cooperative

    Cooperative.objects.create(kelurahan=kelurahan_a, pokok_amount=75_000, wajib_amount=15_000)
    page = client.get(join_url(kelurahan_a)).content.decode()
    assert "KKMP Sepinggan" in page and "75.000" in page and "15.000" in page
    assert "2025-10-v1" in page and "90 days" in page and "Withdrawing" in page
    assert 'name="consent"' in page and 'name="nik"' in page and "<script" not in page


def test_the_join_page_of_a_kelurahan_without_officers_is_not_found(client, kelurahan_a):
    assert client.get(join_url(kelurahan_a)).status_code == 404
    assert client.get("/en/gabung/%3Cscript%3E/").status_code == 404


def test_an_application_is_stored_with_its_consent_and_source_and_thanked(client, officer, kelurahan_a):
    response = apply(client, kelurahan_a)
    application = Application.objects.get()
    assert response.url == f"/en/gabung/{kelurahan_a.kode}/terima-kasih/{application.code}/"
    assert application.nik == make_nik(77, female=True) and application.phone == "081234567890" and application.rt == "007"
    assert application.consent_version == "2025-10-v1" and application.consented_at is not None
    assert application.source == Application.Source.POSTER and application.status == Application.Status.RECEIVED
    assert "127.0.0.1" not in application.address_key
    page = client.get(response.url).content.decode()
    assert "The pengurus of KKMP Sepinggan will contact you" in page and application.code in page


def test_the_public_answer_is_indonesian_by_default(client, officer, kelurahan_a):
    response = client.post(join_url(kelurahan_a, lang=""), form_data())
    page = client.get(response.url).content.decode()
    assert "Terima kasih. Pengurus KKMP Sepinggan akan menghubungi Anda." in page


def test_the_answer_is_the_same_whether_the_nik_is_new_a_member_here_elsewhere_or_already_applied(
        client, officer, open_b, kelurahan_a, kelurahan_b):
    MemberFactory(kelurahan=kelurahan_a, nik=make_nik(11))
    MemberFactory(kelurahan=kelurahan_b, nik=make_nik(12), household__no_kk=make_no_kk(12))
    answers = {
        "new": answer(apply(client, kelurahan_a, nik=make_nik(10)), client),
        "member here": answer(apply(client, kelurahan_a, nik=make_nik(11)), client),
        "member elsewhere": answer(apply(client, kelurahan_a, nik=make_nik(12), no_kk=make_no_kk(12)), client),
        "applied before": answer(apply(client, kelurahan_a, nik=make_nik(10)), client),
    }
    assert len(set(answers.values())) == 1, answers.keys()
    assert Application.objects.count() == 4
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_ELSEWHERE).exists()


@pytest.mark.parametrize("changes, field", [
    ({"name": "x" * 101}, "name"),
    ({"nik": "6" * 5000}, "nik"),
    ({"address": "a" * 201}, "address"),
    ({"phone": "9" * 30}, "phone"),
    ({"rt": "1" * 7}, "rt"),
    ({"name": "<script>alert(1)</script>"}, "name"),
    ({"name": "Siti 123"}, "name"),
    ({"nik": "6471051203900000"}, "nik"),
    ({"no_kk": "6.47101E+15"}, "no_kk"),
    ({"address": "Jl. Mawar\x00"}, "address"),
    ({"consent": ""}, "consent"),
])
def test_hostile_or_invalid_input_is_refused_on_its_field_and_nothing_is_stored(client, officer, kelurahan_a, changes, field):
    response = apply(client, kelurahan_a, **changes)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "<script>alert" not in response.content.decode()
    assert not Application.objects.exists()


def test_arabic_indic_and_fullwidth_digits_are_read_as_the_number_they_mean(client, officer, kelurahan_a):
    nik = make_nik(78)
    arabic = "".join(chr(0x0660 + int(d)) for d in nik)
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in make_no_kk(78))
    apply(client, kelurahan_a, nik=arabic, no_kk=fullwidth, rt="٠٠٧")
    application = Application.objects.get()
    assert (application.nik, application.no_kk, application.rt) == (nik, make_no_kk(78), "007")


def test_names_of_any_script_with_their_punctuation_are_accepted(client, officer, kelurahan_a):
    apply(client, kelurahan_a, name="  Nur'aini   Al-Amin, S.Pd  ")
    assert Application.objects.get().name == "Nur'aini Al-Amin, S.Pd"


def test_the_honeypot_gets_the_same_answer_and_stores_nothing(client, officer, kelurahan_a):
    response = apply(client, kelurahan_a, website="http://spam.example")
    assert response.status_code == 302 and "/terima-kasih/" in response.url
    assert client.get(response.url).status_code == 200
    assert not Application.objects.exists()


def test_a_flood_from_one_address_stores_at_most_the_limit(client, officer, kelurahan_a, settings):
    settings.KKMP_APPLICATIONS_PER_ADDRESS_PER_HOUR = 3
    settings.KKMP_JOIN_ATTEMPTS_PER_HOUR = 1000
    statuses = [apply(client, kelurahan_a, nik=make_nik(100 + i)).status_code for i in range(12)]
    assert Application.objects.count() == 3
    assert statuses[:3] == [302] * 3 and set(statuses[3:]) == {429}
    refused = apply(client, kelurahan_a, nik=make_nik(200))
    assert "Many applications have been sent from this connection" in refused.content.decode()


def test_the_daily_limit_per_address_counts_the_last_24_hours(client, officer, kelurahan_a, settings):
    settings.KKMP_APPLICATIONS_PER_ADDRESS_PER_DAY = 2
    apply(client, kelurahan_a, nik=make_nik(101))
    apply(client, kelurahan_a, nik=make_nik(102))
    assert apply(client, kelurahan_a, nik=make_nik(103)).status_code == 429
    Application.objects.update(received_at=timezone.now() - timedelta(hours=25))
    assert apply(client, kelurahan_a, nik=make_nik(104)).status_code == 302


def test_posts_past_the_hourly_attempts_are_refused_before_any_check(client, officer, kelurahan_a, settings):
    settings.KKMP_JOIN_ATTEMPTS_PER_HOUR = 5
    for _i in range(5):
        apply(client, kelurahan_a, nik="bad")
    response = apply(client, kelurahan_a)
    assert response.status_code == 429 and "form" not in response.context
    assert not Application.objects.exists()


def test_the_limit_per_cooperative_counts_every_address(client, officer, kelurahan_a, settings):
    settings.KKMP_APPLICATIONS_PER_COOPERATIVE_PER_DAY = 2
    ApplicationFactory.create_batch(2, kelurahan=kelurahan_a, address_key="another")
    response = apply(client, kelurahan_a)
    assert response.status_code == 429 and "This cooperative has received many applications today" in response.content.decode()
    assert Application.objects.count() == 2


def test_the_address_behind_the_trusted_proxy_is_the_one_limited(client, officer, kelurahan_a, settings):
    settings.KKMP_TRUSTED_PROXY_HOPS = 1
    settings.KKMP_APPLICATIONS_PER_ADDRESS_PER_HOUR = 1
    settings.KKMP_JOIN_ATTEMPTS_PER_HOUR = 1000
    for i, forwarded in enumerate(["9.9.9.9, 10.0.0.1", "9.9.9.9, 10.0.0.2", "8.8.8.8, 10.0.0.1"]):
        client.post(join_url(kelurahan_a), form_data(nik=make_nik(300 + i)), HTTP_X_FORWARDED_FOR=forwarded)
    # 10.0.0.1 (what our proxy saw) twice: the second refused, whatever the client wrote before it
    assert Application.objects.count() == 2


# --- The status page --------------------------------------------------------------------------

@pytest.mark.parametrize("status, text", [("masuk", "Received"), ("diterima", "Accepted."), ("ditolak", "Not accepted.")])
def test_the_status_page_says_only_the_status(client, kelurahan_a, officer, status, text):
    application = ApplicationFactory(kelurahan=kelurahan_a, name="Siti Rahasia", nik=make_nik(55))
    if status != "masuk":
        member = MemberFactory(kelurahan=kelurahan_a) if status == "diterima" else None
        Application.objects.filter(pk=application.pk).update(status=status, decided_at=timezone.now(), member=member)
    page = client.get(f"/en/gabung/status/{application.code}/").content.decode()
    assert text in page
    assert "Siti Rahasia" not in page and make_nik(55) not in page and "081234567890" not in page


def test_an_unknown_code_says_so_and_a_typed_code_is_cleaned(client, officer, kelurahan_a):
    application = ApplicationFactory(kelurahan=kelurahan_a)
    assert "No application has this code" in client.get("/en/gabung/status/ABCDEFGHJK/").content.decode()
    response = client.get("/en/gabung/status/", {"kode": f" {application.code.lower()} "})
    assert response.url.endswith(f"/gabung/status/{application.code}/")


def test_the_applicant_withdraws_a_waiting_application_and_it_is_deleted(client, officer, kelurahan_a):
    application = ApplicationFactory(kelurahan=kelurahan_a)
    page = client.post(f"/en/gabung/status/{application.code}/", {"withdraw": "1"}).content.decode()
    assert "withdrawn and deleted" in page and not Application.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APPLICANT_WITHDREW).count() == 1


def test_status_look_ups_are_limited_per_address(client, officer, kelurahan_a, settings):
    settings.KKMP_JOIN_ATTEMPTS_PER_HOUR = 3
    for i in range(3):
        assert client.get(f"/en/gabung/status/ABCDEFGH{i + 2}K/").status_code == 200
    assert client.get("/en/gabung/status/ABCDEFGHJK/").status_code == 429


# --- The officer's queue ----------------------------------------------------------------------

def test_an_officer_sees_only_their_kelurahans_applications_newest_first(officer_client, kelurahan_a, kelurahan_b):
    old = ApplicationFactory(kelurahan=kelurahan_a, name="Lama", received_at=timezone.now() - timedelta(days=9))
    new = ApplicationFactory(kelurahan=kelurahan_a, name="Baru")
    ApplicationFactory(kelurahan=kelurahan_b, name="Tetangga")
    response = officer_client.get("/en/anggota/pendaftaran/")
    assert [a.pk for a in response.context["page"]] == [new.pk, old.pk]
    page = response.content.decode()
    assert "Tetangga" not in page and "9 days" in page


def test_the_reviewer_sees_no_applications(reviewer_client, kelurahan_a):
    application = ApplicationFactory(kelurahan=kelurahan_a)
    assert not list(reviewer_client.get("/en/anggota/pendaftaran/").context["page"])
    assert reviewer_client.get(f"/en/anggota/pendaftaran/{application.pk}/").status_code == 404


def test_the_queue_flags_matches_within_the_cooperative(officer_client, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, nik=make_nik(61), household__no_kk=make_no_kk(61))
    ApplicationFactory(kelurahan=kelurahan_a, nik=make_nik(61), no_kk=make_no_kk(61))
    ApplicationFactory(kelurahan=kelurahan_a, nik=make_nik(61), no_kk=make_no_kk(62))
    page = officer_client.get("/en/anggota/pendaftaran/").content.decode()
    assert page.count('data-flag="member"') == 2 and page.count('data-flag="household"') == 1
    assert page.count('data-flag="again"') == 2


def test_opening_an_application_is_audited_and_shows_the_registration_checks(officer_client, kelurahan_a, kelurahan_b):
    other = MemberFactory(kelurahan=kelurahan_b, nik=make_nik(63))
    application = ApplicationFactory(kelurahan=kelurahan_a, nik=make_nik(63))
    page = officer_client.get(f"/en/anggota/pendaftaran/{application.pk}/").content.decode()
    assert "already a member of another KKMP" in page and other.member_number not in page and "Manggar" not in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APPLICATION_VIEWED, object_id=str(application.pk)).count() == 1
    elsewhere = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_ELSEWHERE)
    assert elsewhere.object_id == str(other.pk)
    assert "wa.me/6281234567890?text=" in page


def test_a_likely_duplicate_in_the_cooperative_is_named_to_its_officer(officer_client, kelurahan_a):
    nik = make_nik(64)
    twin = MemberFactory(kelurahan=kelurahan_a, name="Budi Santoso", nik=make_nik(65), birth_date=timezone.datetime(1990, 3, 12).date())
    application = ApplicationFactory(kelurahan=kelurahan_a, name="BUDI  SANTOSO", nik=nik)
    page = officer_client.get(f"/en/anggota/pendaftaran/{application.pk}/").content.decode()
    assert twin.member_number in page and "same name and birth date" in page


def test_the_checks_run_within_the_accounts_look_up_budget(officer_client, officer, kelurahan_a, settings):
    settings.KKMP_NUMBER_SEARCHES_PER_HOUR = 0
    application = ApplicationFactory(kelurahan=kelurahan_a)
    page = officer_client.get(f"/en/anggota/pendaftaran/{application.pk}/").content.decode()
    assert "limit of NIK and KK checks" in page


def test_accepting_registers_an_applicant_member_and_empties_the_application(officer_client, kelurahan_a):
    application = ApplicationFactory(kelurahan=kelurahan_a, name="Siti Aminah", nik=make_nik(66, female=True),
                                     no_kk=make_no_kk(66), is_head_of_household=True)
    form = officer_client.get(f"/en/anggota/pendaftaran/{application.pk}/terima/").context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data["is_head_of_household"] = "on"
    response = officer_client.post(f"/en/anggota/pendaftaran/{application.pk}/terima/", data)
    member = Member.objects.get()
    assert response.url == member.get_absolute_url()
    assert member.status == Member.Status.CALON and member.nik == make_nik(66, female=True)
    assert member.sex == "P" and member.household.no_kk == make_no_kk(66) and member.domicile_rt == "007"
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED and application.member == member
    assert application.nik == "" and application.name == "" and application.consent_version == "2025-10-v1"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APPLICATION_DECIDED, detail__decision="accepted").exists()
    # the pokok flow as today: the member page offers the simpanan pokok
    assert "simpanan pokok" in officer_client.get(member.get_absolute_url()).content.decode().lower()


def test_accepting_registers_into_the_applications_kelurahan_only(officer_client, officer, kelurahan_a, kelurahan_b):
    kelurahan_b.officers.add(officer)  # the officer keeps both
    application = ApplicationFactory(kelurahan=kelurahan_a, nik=make_nik(68), no_kk=make_no_kk(68))
    form = officer_client.get(f"/en/anggota/pendaftaran/{application.pk}/terima/").context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data["kelurahan"] = kelurahan_b.pk  # posted for the other cooperative
    response = officer_client.post(f"/en/anggota/pendaftaran/{application.pk}/terima/", data)
    assert response.status_code == 200 and "kelurahan" in response.context["form"].errors
    assert not Member.objects.exists()
    application.refresh_from_db()
    assert application.status == Application.Status.RECEIVED


def test_accepting_a_nik_already_a_member_elsewhere_is_refused_without_naming_it(officer_client, kelurahan_a, kelurahan_b):
    MemberFactory(kelurahan=kelurahan_b, nik=make_nik(67))
    application = ApplicationFactory(kelurahan=kelurahan_a, nik=make_nik(67))
    form = officer_client.get(f"/en/anggota/pendaftaran/{application.pk}/terima/").context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    response = officer_client.post(f"/en/anggota/pendaftaran/{application.pk}/terima/", data)
    assert response.status_code == 200 and "already a member of another KKMP" in response.content.decode()
    assert Member.objects.count() == 1
    application.refresh_from_db()
    assert application.is_waiting


def test_rejecting_keeps_the_reason_and_the_status_page_says_not_accepted(officer_client, client, kelurahan_a):
    application = ApplicationFactory(kelurahan=kelurahan_a)
    assert officer_client.post(f"/en/anggota/pendaftaran/{application.pk}/tolak/", {"reason": ""}).status_code == 200
    response = officer_client.post(f"/en/anggota/pendaftaran/{application.pk}/tolak/", {"reason": "Domisili di luar kelurahan"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED and application.reason == "Domisili di luar kelurahan"
    page = client.get(f"/en/gabung/status/{application.code}/").content.decode()
    assert "Not accepted." in page and "Domisili" not in page


def test_a_decided_application_cannot_be_accepted_or_rejected_again(officer_client, kelurahan_a):
    application = ApplicationFactory(kelurahan=kelurahan_a, status=Application.Status.REJECTED, decided_at=timezone.now())
    assert officer_client.get(f"/en/anggota/pendaftaran/{application.pk}/terima/").status_code == 404
    assert officer_client.post(f"/en/anggota/pendaftaran/{application.pk}/tolak/", {"reason": "x"}).status_code == 404


# --- Retention --------------------------------------------------------------------------------

def test_retention_deletes_old_waiting_and_rejected_applications_and_audits_the_count(kelurahan_a, settings):
    now = timezone.now()
    keep = [
        ApplicationFactory(kelurahan=kelurahan_a, received_at=now - timedelta(days=89)),
        ApplicationFactory(kelurahan=kelurahan_a, received_at=now - timedelta(days=40), status="ditolak",
                           decided_at=now - timedelta(days=29)),
        ApplicationFactory(kelurahan=kelurahan_a, received_at=now - timedelta(days=400), status="diterima",
                           decided_at=now - timedelta(days=300), member=MemberFactory(kelurahan=kelurahan_a)),
    ]
    ApplicationFactory(kelurahan=kelurahan_a, received_at=now - timedelta(days=91))
    ApplicationFactory(kelurahan=kelurahan_a, received_at=now - timedelta(days=40), status="ditolak",
                       decided_at=now - timedelta(days=31))
    call_command("purge_applications")
    assert sorted(Application.objects.values_list("pk", flat=True)) == sorted(a.pk for a in keep)
    event = AuditEvent.objects.get(action=AuditEvent.Action.APPLICATIONS_PURGED)
    assert event.detail["count"] == 2 and event.detail["waiting"] == 1 and event.detail["rejected"] == 1


def test_the_retention_period_is_a_setting(kelurahan_a, settings):
    settings.KKMP_APPLICATION_RETENTION_DAYS = 10
    ApplicationFactory(kelurahan=kelurahan_a, received_at=timezone.now() - timedelta(days=11))
    call_command("purge_applications")
    assert not Application.objects.exists()


# --- Figures ----------------------------------------------------------------------------------

def test_the_figures_per_kelurahan(kelurahan_a, kelurahan_b):
    now = timezone.now()
    ApplicationFactory(kelurahan=kelurahan_a)
    ApplicationFactory(kelurahan=kelurahan_a, received_at=now - timedelta(days=8))
    ApplicationFactory(kelurahan=kelurahan_a, received_at=now - timedelta(days=9), status="diterima",
                       decided_at=now - timedelta(days=1), member=MemberFactory(kelurahan=kelurahan_a))
    ApplicationFactory(kelurahan=kelurahan_b, received_at=now - timedelta(days=30), status="ditolak",
                       decided_at=now - timedelta(days=20))
    figures = Application.objects.figures([kelurahan_a.pk, kelurahan_b.pk])
    assert figures == {kelurahan_a.pk: {"received": 1, "accepted": 1, "waiting_long": 1}}


def test_a_kelurahan_of_another_city_has_its_own_join_page(client, roles):
    kelurahan = KelurahanFactory()
    user = UserFactory()
    user.groups.add(roles[OFFICER_GROUP])
    kelurahan.officers.add(user)
    assert client.get(join_url(kelurahan)).status_code == 200


def _nik_born(born, serial=78):
    return make_nik(serial, day=born.day, month=born.month, yy=born.year % 100, female=True)


def test_a_resident_under_the_minimum_age_is_told_to_apply_in_person_and_nothing_is_stored(client, officer, kelurahan_a):
    today = timezone.localdate()
    response = apply(client, kelurahan_a, nik=_nik_born(today.replace(year=today.year - 12)))
    assert response.status_code == 200 and not Application.objects.exists()
    assert "at least 17 years old" in response.content.decode()
    assert "apply in person" in response.content.decode()


def test_a_resident_who_turned_the_minimum_age_today_may_apply(client, officer, kelurahan_a):
    today = timezone.localdate()
    born = today.replace(year=today.year - 17) if (today.month, today.day) != (2, 29) else today.replace(year=today.year - 17, day=28)
    assert apply(client, kelurahan_a, nik=_nik_born(born)).status_code == 302
    assert Application.objects.get().nik == _nik_born(born)
