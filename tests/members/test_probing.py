"""Officers and reviewers probing what they may not read (issue 10, points 2, 3 and 6).

An officer may register anyone; the checks that refuse a duplicate must not become a way to
learn who is a member of another cooperative, under which number, or what another kelurahan's
household list holds. A reviewer sees numbers masked; a search by the whole number must not
become a cheap way to guess the hidden digits.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from members.identity import mask
from members.models import Household, Member
from members.services import register_member
from tests.factories import HouseholdFactory, MemberFactory, make_nik, make_no_kk

pytestmark = pytest.mark.django_db

CREATE = reverse("members:member_create")
LIST = "/en/anggota/"


def registration(kelurahan, **overrides):
    values = {
        "kelurahan": kelurahan.pk,
        "nik": make_nik(801),
        "name": "Dewi Lestari",
        "joined_on": "2025-09-01",
        **overrides,
    }
    return {k: v for k, v in values.items() if v is not None}


def said(response):
    """Everything the form told the officer: its errors and the page's messages."""
    form = response.context["form"]
    return " ".join([str(form.errors), *(str(m) for m in response.context["messages"])])


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- 6. the registration form reveals no more than "a member of another KKMP" ---------------

def test_a_nik_of_another_cooperative_is_refused_without_naming_it_and_audited(officer_client, kelurahan_a, kelurahan_b):
    other = MemberFactory(kelurahan=kelurahan_b, nik=make_nik(801))
    response = officer_client.post(CREATE, registration(kelurahan_a))
    body, told = response.content.decode(), said(response)
    assert Member.objects.count() == 1
    assert response.context["form"].has_error("nik", "unique_elsewhere")
    assert kelurahan_b.nama not in told and other.member_number not in body
    [event] = events(AuditEvent.Action.MEMBER_ELSEWHERE)
    assert event.object_id == str(other.pk) and event.detail["kind"] == "nik"
    assert event.detail["nik"] == mask(other.nik) and event.actor.username == "pengurus.a"


def test_a_likely_duplicate_elsewhere_names_neither_number_nor_cooperative(officer_client, kelurahan_a, kelurahan_b):
    other = MemberFactory(kelurahan=kelurahan_b, nik=make_nik(802), name="Dewi Lestari", birth_date=make_birth())
    response = officer_client.post(CREATE, registration(kelurahan_a, birth_date=make_birth().isoformat()))
    body = response.content.decode()
    assert Member.objects.count() == 1  # still refused until the officer confirms
    assert 'name="confirm_duplicate"' in body
    assert other.member_number not in body and kelurahan_b.nama not in said(response)
    assert events(AuditEvent.Action.MEMBER_ELSEWHERE)[0].detail["kind"] == "likely_duplicate"
    officer_client.post(CREATE, registration(kelurahan_a, birth_date=make_birth().isoformat(), confirm_duplicate="on"))
    assert Member.objects.count() == 2


def test_a_likely_duplicate_in_the_officers_own_cooperative_is_named(officer_client, kelurahan_a):
    other = MemberFactory(kelurahan=kelurahan_a, nik=make_nik(803), name="Dewi Lestari", birth_date=make_birth())
    response = officer_client.post(CREATE, registration(kelurahan_a, birth_date=make_birth().isoformat()))
    assert other.member_number in response.content.decode()
    assert not events(AuditEvent.Action.MEMBER_ELSEWHERE)


def test_the_head_of_another_cooperatives_kk_is_not_named(officer_client, kelurahan_a, kelurahan_b):
    # A KK of the officer's kelurahan whose head joined another KKMP (linked by the administrator).
    household = HouseholdFactory(kelurahan=kelurahan_a, no_kk=make_no_kk(804))
    head = MemberFactory(kelurahan=kelurahan_b, nik=make_nik(804), household=household, is_head_of_household=True)
    response = officer_client.post(
        CREATE, registration(kelurahan_a, no_kk=household.no_kk, is_head_of_household="on")
    )
    body = response.content.decode()
    assert Member.objects.count() == 1
    assert "KKMP lain" in said(response)
    assert head.member_number not in body and kelurahan_b.nama not in said(response)
    [event] = events(AuditEvent.Action.MEMBER_ELSEWHERE)
    assert event.detail["kind"] == "head_of_household" and event.object_id == str(head.pk)


# --- 3. a household of another kelurahan: linked (by the administrator; an officer may not,
# tests/members/test_other_kelurahan_kk.py), but its history and address not shown -----------

def test_linking_another_kelurahans_kk_does_not_show_its_history_or_address(officer_client, kelurahan_a, kelurahan_b,
                                                                            admin_user):
    household = Household.objects.create(
        no_kk=make_no_kk(805), kelurahan=kelurahan_b, head_name="Kepala Rahasia",
        head_nik=make_nik(805), address="Jl. Tersembunyi 9", rt="004",
    )
    household.address = "Jl. Pindahan 10"
    household.save()  # a second history record: a change, before -> after
    register_member(kelurahan=kelurahan_a, nik=make_nik(801), name="Dewi Lestari", joined_on=date(2025, 9, 1),
                    no_kk=household.no_kk, by=admin_user)
    member = Member.objects.get(kelurahan=kelurahan_a)
    assert member.household == household  # linked: the member counts where they joined
    for url in (member.get_absolute_url(), reverse("members:meeting_list", args=[kelurahan_a.pk])):
        body = officer_client.get(url).content.decode()
        for secret in ("Kepala Rahasia", household.head_nik, mask(household.head_nik), "Tersembunyi", "Pindahan"):
            assert secret not in body, (url, secret)


def test_the_own_kelurahans_household_history_is_still_shown(officer_client, kelurahan_a):
    household = Household.objects.create(no_kk=make_no_kk(806), kelurahan=kelurahan_a, address="Jl. Lama 1")
    household.address = "Jl. Baru 2"
    household.save()
    member = MemberFactory(kelurahan=kelurahan_a, household=household)
    body = officer_client.get(member.get_absolute_url()).content.decode()
    assert "Jl. Lama 1" in body and "Jl. Baru 2" in body


# --- 2. a reviewer's search by a whole number: counted, limited, audited ---------------------

def test_each_whole_number_search_of_a_reviewer_is_audited_with_its_outcome(reviewer_client, kelurahan_a):
    member = MemberFactory(kelurahan=kelurahan_a, name="Dicari")
    wrong = make_nik(999)
    assert "Dicari" in reviewer_client.get(LIST, {"q": member.nik}).content.decode()
    assert "Dicari" not in reviewer_client.get(LIST, {"q": wrong}).content.decode()
    hit, miss = events(AuditEvent.Action.NUMBER_SEARCH)
    assert (hit.detail["number"], hit.detail["found"]) == (mask(member.nik), 1)
    assert (miss.detail["number"], miss.detail["found"]) == (mask(wrong), 0)
    assert hit.actor.username == "dkumkmp"


def test_guessing_the_hidden_digits_is_stopped_by_the_limit(reviewer_client, kelurahan_a, settings):
    """Guess the birth date (the hidden digits) one day at a time: refused after the limit,
    even when the next guess is right, and every try is in the trail."""
    settings.KKMP_NUMBER_SEARCHES_PER_HOUR = 5
    member = MemberFactory(kelurahan=kelurahan_a, nik=make_nik(1, day=20), name="Target")
    guesses = [make_nik(1, day=day) for day in range(12, 20)] + [member.nik]
    bodies = [reviewer_client.get(LIST, {"q": guess}).content.decode() for guess in guesses]
    assert not any("Target" in body for body in bodies)
    assert "limit" in bodies[-1]
    searches = events(AuditEvent.Action.NUMBER_SEARCH)
    assert len(searches) == len(guesses)
    assert [e.detail["refused"] for e in searches] == [False] * 5 + [True] * (len(guesses) - 5)


def test_the_limit_is_per_hour_and_per_day(reviewer, reviewer_client, kelurahan_a, settings):
    from members.lookups import searches_left

    settings.KKMP_NUMBER_SEARCHES_PER_HOUR, settings.KKMP_NUMBER_SEARCHES_PER_DAY = 2, 3
    for _ in range(2):
        reviewer_client.get(LIST, {"q": make_nik(5)})
    assert searches_left(reviewer) == 0
    assert searches_left(reviewer, now=timezone.now() + timedelta(minutes=61)) == 1  # the day's third
    assert searches_left(reviewer, now=timezone.now() + timedelta(hours=25)) == 2


def test_an_officer_searching_their_own_register_is_not_limited(officer_client, kelurahan_a, settings):
    settings.KKMP_NUMBER_SEARCHES_PER_HOUR = 1
    member = MemberFactory(kelurahan=kelurahan_a, name="Milik Sendiri")
    for _ in range(3):
        assert "Milik Sendiri" in officer_client.get(LIST, {"q": member.nik}).content.decode()
    assert not events(AuditEvent.Action.NUMBER_SEARCH)


def make_birth():
    return timezone.localdate().replace(year=1990, month=3, day=12)


def test_probing_other_cooperatives_through_the_form_is_limited(officer_client, kelurahan_a, kelurahan_b, settings):
    settings.KKMP_NUMBER_SEARCHES_PER_HOUR = 2
    for serial in (811, 812):
        MemberFactory(kelurahan=kelurahan_b, nik=make_nik(serial))
        response = officer_client.post("/en" + CREATE, registration(kelurahan_a, nik=make_nik(serial)))
        assert response.context["form"].has_error("nik", "unique_elsewhere")
    probe = MemberFactory(kelurahan=kelurahan_b, nik=make_nik(813))
    response = officer_client.post("/en" + CREATE, registration(kelurahan_a, nik=probe.nik))
    assert response.status_code == 200
    assert not response.context["form"].is_bound  # nothing checked: no answer either way
    assert "limit" in said(response) and "another KKMP" not in said(response)
    assert response.context["form"].initial["nik"] == probe.nik  # what was typed stays
    assert len(events(AuditEvent.Action.MEMBER_ELSEWHERE)) == 2
    assert events(AuditEvent.Action.NUMBER_SEARCH)[-1].detail["refused"] is True
    # a new member (no match anywhere) is not registered either until the budget allows again
    officer_client.post("/en" + CREATE, registration(kelurahan_a, nik=make_nik(899)))
    assert not Member.objects.filter(nik=make_nik(899)).exists()
