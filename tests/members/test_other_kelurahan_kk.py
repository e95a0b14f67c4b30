"""An officer cannot link a member to another kelurahan's household (issue 24, point B): that
household would count as "KK terwakili" for the officer's kelurahan and its number would show
in the officer's register. Registering or editing with such a KK is refused, with a message
naming nothing of that household; the match is audited and counts against the account's
look-ups, as a member of another KKMP does. The administrator may (a household moves through
the admin), and so does the members import, which only the administrator runs."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from members.identity import mask
from members.models import Household, Member
from members.services import OFFICER_GROUP, MemberElsewhere, register_member, update_member, version_of
from tests.factories import HouseholdFactory, MemberFactory, UserFactory, make_nik, make_no_kk
from tests.files import run_command, write_csv

pytestmark = pytest.mark.django_db

CREATE = "/en" + reverse("members:member_create")


@pytest.fixture
def officer_b(roles, kelurahan_b):
    user = UserFactory(username="pengurus.b")
    user.groups.add(roles[OFFICER_GROUP])
    kelurahan_b.officers.add(user)
    return user


@pytest.fixture
def elsewhere(kelurahan_b):
    """A household of kelurahan B, its head a member of KKMP B."""
    household = HouseholdFactory(kelurahan=kelurahan_b, no_kk=make_no_kk(701), head_name="Kepala Manggar",
                                 head_nik=make_nik(701), address="Jl. Manggar 7")
    MemberFactory(kelurahan=kelurahan_b, nik=make_nik(701), name="Kepala Manggar", household=household,
                  is_head_of_household=True)
    return household


def registration(kelurahan, **overrides):
    return {"kelurahan": kelurahan.pk, "nik": make_nik(711), "name": "Dewi Lestari", "joined_on": "2025-09-01",
            "status": "aktif", **overrides}


def told(response):
    """Everything the form told the officer: its errors and the page's messages (the page also
    lists every kelurahan of the city, for the domicile)."""
    return " ".join([str(response.context["form"].errors), *(str(m) for m in response.context["messages"])])


def elsewhere_events():
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_ELSEWHERE).order_by("pk"))


def test_registering_with_another_kelurahans_kk_is_refused_naming_nothing_of_it(officer_client, kelurahan_a, kelurahan_b,
                                                                               elsewhere):
    response = officer_client.post(CREATE, registration(kelurahan_a, no_kk=elsewhere.no_kk, is_head_of_household="on"))
    assert response.status_code == 200
    assert response.context["form"].has_error("no_kk", "household_elsewhere")
    assert "household of another kelurahan" in told(response)
    assert kelurahan_b.nama not in told(response) and kelurahan_b.kecamatan.nama not in told(response)
    for secret in ("Kepala Manggar", elsewhere.head_nik, mask(elsewhere.head_nik), "Jl. Manggar", "Balikpapan Timur"):
        assert secret not in response.content.decode(), secret
    assert not Member.objects.filter(kelurahan=kelurahan_a).exists()
    elsewhere.refresh_from_db()
    assert elsewhere.members.count() == 1


def test_the_match_is_audited_and_counts_against_the_look_ups(officer_client, kelurahan_a, elsewhere, settings):
    settings.KKMP_NUMBER_SEARCHES_PER_HOUR = 1
    officer_client.post(CREATE, registration(kelurahan_a, no_kk=elsewhere.no_kk))
    [event] = elsewhere_events()
    assert (event.object_type, event.object_id, event.detail["kind"]) == ("household", str(elsewhere.pk), "no_kk")
    assert event.actor.username == "pengurus.a" and event.detail["kelurahan"] == elsewhere.kelurahan_id
    # The budget is spent: the next registration is checked against nothing, and says so.
    response = officer_client.post(CREATE, registration(kelurahan_a, nik=make_nik(712), no_kk=make_no_kk(712)))
    assert not response.context["form"].is_bound and "limit" in told(response)
    assert not Member.objects.filter(kelurahan=kelurahan_a).exists()


def test_editing_a_member_to_another_kelurahans_kk_is_refused(officer_client, kelurahan_a, elsewhere):
    member = MemberFactory(kelurahan=kelurahan_a, nik=make_nik(713), name="Ani")
    own = member.household
    data = {"nik": member.nik, "name": "Ani", "joined_on": member.joined_on.isoformat(), "no_kk": elsewhere.no_kk,
            "version": version_of(member)}
    response = officer_client.post("/en" + reverse("members:member_update", args=[member.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].has_error("no_kk", "household_elsewhere")
    member.refresh_from_db()
    assert member.household == own
    assert [e.detail["kind"] for e in elsewhere_events()] == ["no_kk"]


def test_a_member_the_administrator_linked_elsewhere_can_still_be_edited(officer_client, kelurahan_a, elsewhere, admin_user):
    member = register_member(kelurahan=kelurahan_a, nik=make_nik(714), name="Pindahan", joined_on=date(2025, 9, 1),
                             no_kk=elsewhere.no_kk, by=admin_user)
    data = {"nik": member.nik, "name": "Pindahan Baru", "joined_on": "2025-09-01", "no_kk": elsewhere.no_kk,
            "version": version_of(member)}
    response = officer_client.post("/en" + reverse("members:member_update", args=[member.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    member.refresh_from_db()
    assert (member.name, member.household) == ("Pindahan Baru", elsewhere)
    assert not elsewhere_events()


def test_the_administrator_may_link_another_kelurahans_kk(admin_client_, kelurahan_a, elsewhere):
    response = admin_client_.post(CREATE, registration(kelurahan_a, no_kk=elsewhere.no_kk))
    assert response.status_code == 302
    assert Member.objects.get(kelurahan=kelurahan_a).household == elsewhere


def test_an_officer_of_both_kelurahan_is_refused_too_but_nothing_is_counted(officer, officer_client, kelurahan_a, kelurahan_b,
                                                                           elsewhere):
    kelurahan_b.officers.add(officer)
    response = officer_client.post(CREATE, registration(kelurahan_a, no_kk=elsewhere.no_kk))
    assert response.context["form"].has_error("no_kk", "household_elsewhere")
    assert not elsewhere_events()  # they keep kelurahan B's register: no look-up of another cooperative


def test_the_service_refuses_an_officer_and_lets_a_command_link(officer, kelurahan_a, elsewhere):
    with pytest.raises(MemberElsewhere) as refused:
        register_member(kelurahan=kelurahan_a, nik=make_nik(715), name="Lewat Layanan", joined_on=date(2025, 9, 1),
                        no_kk=elsewhere.no_kk, by=officer)
    assert (refused.value.kind, refused.value.other) == ("no_kk", elsewhere)
    member = MemberFactory(kelurahan=kelurahan_a, nik=make_nik(716))
    with pytest.raises(ValidationError):
        update_member(member=member, no_kk=elsewhere.no_kk, by=officer)
    assert Member.objects.get(pk=member.pk).household_id != elsewhere.pk
    linked = register_member(kelurahan=kelurahan_a, nik=make_nik(717), name="Lewat Perintah", joined_on=date(2025, 9, 1),
                             no_kk=elsewhere.no_kk)
    assert linked.household == elsewhere


def test_the_members_import_which_only_the_administrator_runs_links_another_kelurahans_kk(tmp_path, kelurahan_a, elsewhere,
                                                                                         admin_user):
    header = ["kode_kelurahan", "nik", "nama", "no_kk", "tanggal_masuk"]
    path = write_csv(tmp_path / "anggota.csv", [header, [kelurahan_a.kode, make_nik(718), "Impor", elsewhere.no_kk, "01/09/2025"]])
    _out, err, exc = run_command("import_members", path)
    assert exc is None, err
    assert Member.objects.get(nik=make_nik(718)).household == elsewhere


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and sessions")
def test_two_officers_registering_one_new_kk_at_once_link_one_member_only(officer, officer_b, kelurahan_a, kelurahan_b):
    """Neither KK exists when both forms are checked: the service refuses the one that finds
    the other's household, a moment old."""
    from tests.members.test_concurrency import at_once

    clients = {}
    for user in (officer, officer_b):
        clients[user] = Client()
        clients[user].force_login(user)
    no_kk = make_no_kk(720)
    results = at_once(
        lambda: clients[officer].post(CREATE, registration(kelurahan_a, nik=make_nik(721), no_kk=no_kk)),
        lambda: clients[officer_b].post(CREATE, registration(kelurahan_b, nik=make_nik(722), no_kk=no_kk)),
    )
    assert sorted(getattr(r, "status_code", r) for r in results) == [200, 302], results
    household = Household.objects.get(no_kk=no_kk)
    assert list(Member.objects.values_list("kelurahan_id", flat=True)) == [household.kelurahan_id]
    [event] = elsewhere_events()
    assert event.detail["kind"] == "no_kk" and event.object_id == str(household.pk)
