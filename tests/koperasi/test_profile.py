"""The cooperative's profile and rules, its pengurus and pengawas: read by its officers and by
DKUMKMP, changed only by its officers; every refusal says why and saves nothing. Pages are used
as an officer on a phone uses them, through the test client (docs/cooperative.md)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import AuditEvent
from koperasi import profile, simpanan
from koperasi.models import Cooperative, Officer
from members.models import Member
from members.services import accept_member, record_leaving, register_member
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db

JOINED = date(2025, 9, 1)
TERM = date(2025, 10, 1)



def url(name, *args):
    return reverse(f"koperasi:{name}", args=args)


def member(kelurahan, serial, *, status=Member.Status.AKTIF, joined_on=JOINED, name=None):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=name or f"Anggota {serial}",
                           joined_on=joined_on, no_kk=make_no_kk(serial), status=status)


def body(response):
    return response.content.decode()


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def officers():
    return list(Officer.objects.values_list("pk", "member_id", "role", "term_start", "term_end"))


RULES = {
    "legal_name": "Koperasi Kelurahan Merah Putih Sepinggan",
    "ahu_number": "AHU-0012345.AH.01.29.TAHUN 2025",
    "deed_date": "2025-07-21",
    "address": "Jl. Marsma R. Iswahyudi No. 1, Sepinggan",
    "pokok_amount": "Rp 100.000",
    "wajib_amount": "25.000",
    "wajib_due_day": "15",
    "activation": "konfirmasi",
    "arrears_months": "6",
    "quorum": "2/3",
}



# --- Reading the profile -------------------------------------------------------------------

def test_an_officer_reads_the_profile_with_the_defaults_and_its_buttons(officer_client, kelurahan_a):
    response = officer_client.get(url("cooperative", kelurahan_a.pk))
    assert response.status_code == 200
    page = body(response)
    assert "KKMP Sepinggan" in page and "64.71.05.1002" in page and "Balikpapan Selatan" in page
    assert "Rp 50.000, paid once on joining" in page
    assert "Rp 10.000 a month, due by day 10 of the month" in page
    assert "3 months of simpanan wajib unpaid" in page
    assert "more than half of the active members" in page
    assert "No pengurus recorded." in page and "No pengawas recorded." in page
    for name in ("cooperative_edit", "officer_create", "simkopdes_xlsx"):
        assert url(name, kelurahan_a.pk) in page
    assert 'name="viewport"' in page
    assert "Members for SIMKOPDES (XLSX)<" in page
    assert not Cooperative.objects.exists()  # reading writes nothing


def test_a_reviewer_reads_the_profile_but_changes_nothing(reviewer_client, kelurahan_a):
    ketua = member(kelurahan_a, 1, name="Budi Ketua")
    officer = profile.appoint(kelurahan=kelurahan_a, member=ketua, role="ketua", term_start=TERM)
    response = reviewer_client.get(url("cooperative", kelurahan_a.pk))
    assert response.status_code == 200
    page = body(response)
    assert "Budi Ketua" in page and "chair (ketua)" in page
    assert url("simkopdes_xlsx", kelurahan_a.pk) in page and "Members for SIMKOPDES (XLSX, NIK masked)" in page
    for name in ("cooperative_edit", "officer_create"):
        assert url(name, kelurahan_a.pk) not in page
    assert url("officer_end", officer.pk) not in page
    before = officers(), list(Cooperative.objects.values())
    for target in (url("cooperative_edit", kelurahan_a.pk), url("officer_create", kelurahan_a.pk),
                   url("officer_end", officer.pk)):
        assert reviewer_client.get(target).status_code == 404
        assert reviewer_client.post(target, {**RULES, "member_number": "1", "role": "pengawas",
                                             "term_start": "2025-10-01", "term_end": "2025-11-01"}).status_code == 404
    assert (officers(), list(Cooperative.objects.values())) == before
    denied = AuditEvent.objects.filter(action="denied")
    assert denied.filter(object_type="kelurahan", object_id=str(kelurahan_a.pk)).count() == 4
    assert denied.filter(object_type="officer", object_id=str(officer.pk)).count() == 2


def test_an_officer_of_another_kelurahan_gets_a_404_recorded_as_denied(officer_b_client, kelurahan_a, officer):
    ketua = member(kelurahan_a, 1)
    officer_row = profile.appoint(kelurahan=kelurahan_a, member=ketua, role="ketua", term_start=TERM)
    before = officers(), list(Cooperative.objects.values())
    targets = [url(name, kelurahan_a.pk) for name in ("cooperative", "cooperative_edit", "officer_create", "simkopdes_xlsx")]
    for target in targets + [url("officer_end", officer_row.pk)]:
        assert officer_b_client.get(target).status_code == 404, target
        assert officer_b_client.post(target, {**RULES, "member_number": "1", "role": "pengawas",
                                              "term_start": "2025-10-01", "term_end": "2026-10-01"}).status_code == 404
    assert (officers(), list(Cooperative.objects.values())) == before
    denied = AuditEvent.objects.filter(action="denied")
    assert denied.filter(object_type="kelurahan", object_id=str(kelurahan_a.pk)).count() == 2 * len(targets)
    assert denied.filter(object_type="officer", object_id=str(officer_row.pk)).count() == 2
    assert not AuditEvent.objects.filter(action__in=["export", "member_changed", "cooperative_changed"]).exists()


def test_an_unknown_kelurahan_or_officer_is_a_plain_404(officer_client):
    for target in (url("cooperative", 999_999), url("cooperative_edit", 999_999), url("officer_end", 999_999)):
        assert officer_client.get(target).status_code == 404
    assert not AuditEvent.objects.filter(action="denied").exists()


# --- The profile and the rules -------------------------------------------------------------

def test_an_officer_edits_the_profile_and_the_rules(officer_client, kelurahan_a):
    response = officer_client.get(url("cooperative_edit", kelurahan_a.pk))
    assert response.status_code == 200
    page = body(response)
    assert 'type="date"' in page and 'inputmode="numeric"' in page
    assert 'min="1" max="28"' in page and 'min="1" max="24"' in page
    assert "It can be changed only until the first member pays simpanan pokok" in page
    response = officer_client.post(url("cooperative_edit", kelurahan_a.pk), RULES, follow=True)
    assert response.redirect_chain == [(url("cooperative", kelurahan_a.pk), 302)]
    assert "The cooperative's profile and rules are saved." in messages_of(response)
    assert response.redirect_chain and "Koperasi Kelurahan Merah Putih Sepinggan" in body(response)
    cooperative = Cooperative.objects.get(kelurahan=kelurahan_a)
    assert (cooperative.name, cooperative.ahu_number, cooperative.deed_date) == (
        RULES["legal_name"], RULES["ahu_number"], date(2025, 7, 21))
    assert (cooperative.pokok_amount, cooperative.wajib_amount, cooperative.wajib_due_day) == (100_000, 25_000, 15)
    assert (cooperative.activation, cooperative.arrears_months, cooperative.quorum) == ("konfirmasi", 6, "2/3")
    page = body(response)
    assert RULES["legal_name"] in page and "AHU-0012345.AH.01.29.TAHUN 2025" in page and "21-07-2025" in page
    assert "Rp 100.000, paid once on joining" in page and "Rp 25.000 a month, due by day 15" in page
    assert "at least two thirds of the active members" in page and "when the pengurus confirm it" in page
    event = AuditEvent.objects.get(action="cooperative_changed")
    assert (event.object_type, event.object_id) == ("cooperative", str(kelurahan_a.pk))
    assert event.detail["changes"]["pokok_amount"] == [50_000, 100_000]
    assert event.detail["changes"]["deed_date"] == [None, "2025-07-21"]
    assert "quorum" in event.detail["fields"]


def test_saving_the_same_values_changes_nothing_and_says_so(officer_client, kelurahan_a):
    officer_client.post(url("cooperative_edit", kelurahan_a.pk), RULES)
    response = officer_client.post(url("cooperative_edit", kelurahan_a.pk), RULES, follow=True)
    assert "Nothing was changed." in messages_of(response)
    assert AuditEvent.objects.filter(action="cooperative_changed").count() == 1


@pytest.mark.parametrize("field, value, expected", [
    ("pokok_amount", "lima puluh ribu", "whole rupiah"),
    ("pokok_amount", "0", "more than Rp 0"),
    ("wajib_amount", "-10000", "more than Rp 0"),
    ("wajib_amount", "", "This field is required."),
    ("wajib_due_day", "31", "less than or equal to 28"),
    ("wajib_due_day", "0", "greater than or equal to 1"),
    ("arrears_months", "0", "greater than or equal to 1"),
    ("arrears_months", "x", "Enter a whole number."),
    ("activation", "kapan saja", "Select a valid choice."),
    ("quorum", "1/3", "Select a valid choice."),
    ("deed_date", "31-02-2025", "Enter a valid date."),
    ("ahu_number", "A" * 61, "at most 60 characters"),
])
def test_bad_rules_are_refused_on_their_field_and_nothing_is_saved(officer_client, kelurahan_a, field, value, expected):
    response = officer_client.post(url("cooperative_edit", kelurahan_a.pk), {**RULES, field: value})
    assert response.status_code == 200
    assert expected in " ".join(response.context["form"].errors.get(field, [])), response.context["form"].errors
    assert 'class="field has-error"' in body(response)
    assert "<strong>KKMP Sepinggan</strong>" in body(response)  # the saved name above the form, not the typed one
    assert not Cooperative.objects.exists()
    assert not AuditEvent.objects.filter(action="cooperative_changed").exists()


def test_the_pokok_amount_is_fixed_once_a_member_paid_simpanan_pokok(officer_client, kelurahan_a):
    simpanan.record_payment(member=member(kelurahan_a, 1), kind="pokok", paid_on=JOINED)
    assert profile.pokok_is_fixed(kelurahan_a)
    response = officer_client.get(url("cooperative_edit", kelurahan_a.pk))
    page = body(response)
    assert "Fixed: members have already paid simpanan pokok at this amount." in page
    assert response.context["form"].fields["pokok_amount"].disabled
    assert 'name="pokok_amount"' in page and "disabled" in page.split('name="pokok_amount"')[1].split(">")[0]
    # A browser sends no value for the disabled field: the other rules are saved, the amount stays.
    rules = {name: value for name, value in RULES.items() if name != "pokok_amount"}
    response = officer_client.post(url("cooperative_edit", kelurahan_a.pk), rules, follow=True)
    cooperative = Cooperative.objects.get(kelurahan=kelurahan_a)
    assert (cooperative.pokok_amount, cooperative.wajib_amount) == (50_000, 25_000)
    assert "pokok_amount" not in AuditEvent.objects.get(action="cooperative_changed").detail["changes"]
    assert "Rp 50.000, paid once on joining" in body(response)
    # The same amount, sent by a page opened earlier, is no change.
    officer_client.post(url("cooperative_edit", kelurahan_a.pk), {**rules, "pokok_amount": "50.000", "quorum": "3/4"})
    assert Cooperative.objects.get(kelurahan=kelurahan_a).quorum == "3/4"


def test_a_new_pokok_amount_from_a_page_opened_before_the_first_payment_is_refused(officer_client, kelurahan_a):
    """The officer typed a new amount while nobody had paid; a payment was recorded before they
    saved. The form does not drop the amount in silence: it says so, and saves nothing."""
    simpanan.record_payment(member=member(kelurahan_a, 1), kind="pokok", paid_on=JOINED)
    before = list(Cooperative.objects.values())
    response = officer_client.post(url("cooperative_edit", kelurahan_a.pk), RULES)
    assert response.status_code == 200
    errors = response.context["form"].errors["pokok_amount"]
    assert errors == ["The simpanan pokok can no longer change: a member has paid simpanan pokok since this page was "
                      "opened, at Rp 50.000. Nothing was saved; check the other values and save again."]
    assert list(Cooperative.objects.values()) == before
    assert not AuditEvent.objects.filter(action="cooperative_changed").exists()


def test_the_service_refuses_a_new_pokok_amount_after_a_payment(kelurahan_a):
    """The form's disabled field has a backstop: a payment recorded between opening the form
    and saving it."""
    simpanan.record_payment(member=member(kelurahan_a, 1), kind="pokok", amount=20_000, paid_on=JOINED)
    before = list(Cooperative.objects.values())
    with pytest.raises(ValidationError) as refused:
        profile.update_cooperative(kelurahan=kelurahan_a, values={"pokok_amount": 60_000, "quorum": "3/4"})
    assert "members have already paid it at Rp 50.000" in refused.value.message_dict["pokok_amount"][0]
    assert list(Cooperative.objects.values()) == before


def test_the_pokok_amount_can_change_while_nobody_has_paid_it(kelurahan_a):
    member(kelurahan_a, 1)
    cooperative, changes = profile.update_cooperative(kelurahan=kelurahan_a, values={"pokok_amount": 75_000})
    assert changes == {"pokok_amount": [50_000, 75_000]}
    assert Cooperative.objects.get(kelurahan=kelurahan_a).pokok_amount == 75_000


def test_a_new_wajib_amount_applies_to_later_payments_only(kelurahan_a):
    anggota = member(kelurahan_a, 1)
    simpanan.record_payment(member=anggota, kind="wajib", months=2, paid_on=JOINED)
    profile.update_cooperative(kelurahan=kelurahan_a, values={"wajib_amount": 15_000})
    entry = simpanan.record_payment(member=anggota, kind="wajib", months=1, paid_on=JOINED)
    assert entry.amount == 15_000
    assert list(anggota.simpanan.order_by("pk").values_list("amount", flat=True)) == [20_000, 15_000]


def test_activation_cannot_become_automatic_while_paid_applicants_wait(officer_client, kelurahan_a):
    Cooperative.objects.create(kelurahan=kelurahan_a, activation=Cooperative.Activation.CONFIRMED)
    calon = member(kelurahan_a, 1, status=Member.Status.CALON)
    simpanan.record_payment(member=calon, kind="pokok", paid_on=JOINED)
    response = officer_client.post(url("cooperative_edit", kelurahan_a.pk), {**RULES, "pokok_amount": "50.000", "activation": "otomatis"})
    assert response.status_code == 200
    errors = response.context["form"].errors["activation"]
    assert "1 applicant has paid the simpanan pokok and waits for the pengurus' confirmation" in errors[0]
    assert "1 applicant has paid" in body(response)
    cooperative = Cooperative.objects.get(kelurahan=kelurahan_a)
    assert (cooperative.activation, cooperative.legal_name) == ("konfirmasi", "")  # nothing saved
    accept_member(member=calon, accepted_on=JOINED)
    officer_client.post(url("cooperative_edit", kelurahan_a.pk), {**RULES, "pokok_amount": "50.000", "activation": "otomatis"})
    assert Cooperative.objects.get(kelurahan=kelurahan_a).activation == "otomatis"


# --- Pengurus and pengawas -----------------------------------------------------------------

def appoint_form(number, role="ketua", term_start="2025-10-01", term_end=""):
    return {"member_number": number, "role": role, "term_start": term_start, "term_end": term_end}


def test_the_appointment_form_renders_for_a_phone(officer_client, kelurahan_a):
    response = officer_client.get(url("officer_create", kelurahan_a.pk))
    assert response.status_code == 200
    page = body(response)
    assert 'name="member_number"' in page and 'autocomplete="off"' in page and 'type="date"' in page
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in page  # the term starts today unless changed
    assert "chair of the supervisors" in page


@pytest.mark.parametrize("number", ["64.71.05.1002-00002", "64.71.05.1002-00002 ", "2", "00002"])
def test_an_officer_appoints_a_ketua_by_member_number_or_its_last_digits(officer_client, kelurahan_a, number):
    member(kelurahan_a, 1)
    budi = member(kelurahan_a, 2, name="Budi Santoso")
    response = officer_client.post(url("officer_create", kelurahan_a.pk), appoint_form(number), follow=True)
    assert response.redirect_chain == [(url("cooperative", kelurahan_a.pk), 302)]
    assert "Budi Santoso is recorded as chair (ketua)." in messages_of(response)
    officer = Officer.objects.get()
    assert (officer.member, officer.role, officer.term_start, officer.term_end) == (budi, "ketua", TERM, None)
    assert [o.member for o in response.context["board"]] == [budi] and response.context["supervisors"] == []
    assert "01-10-2025 – now" in body(response)
    event = AuditEvent.objects.get(action="member_changed")
    assert (event.object_type, event.object_id, event.detail["change"], event.detail["role"]) == (
        "member", str(budi.pk), "appointed", "ketua")
    # and a pengawas, with a term end
    response = officer_client.post(url("officer_create", kelurahan_a.pk),
                                   appoint_form("1", "pengawas", term_end="2030-10-01"), follow=True)
    assert "Anggota 1 is recorded as supervisor (pengawas)." in messages_of(response)
    assert [(o.member.member_seq, o.term_end) for o in response.context["supervisors"]] == [(1, date(2030, 10, 1))]
    assert "01-10-2025 – 01-10-2030" in body(response)


def test_pengurus_and_pengawas_are_listed_apart_in_role_order(officer_client, kelurahan_a):
    people = [member(kelurahan_a, i) for i in range(1, 6)]
    for person, role in zip(people, ["pengawas", "bendahara", "ketua_pengawas", "ketua", "sekretaris"]):
        profile.appoint(kelurahan=kelurahan_a, member=person, role=role, term_start=TERM)
    response = officer_client.get(url("cooperative", kelurahan_a.pk))
    assert [o.role for o in response.context["board"]] == ["ketua", "sekretaris", "bendahara"]
    assert [o.role for o in response.context["supervisors"]] == ["ketua_pengawas", "pengawas"]
    assert body(response).count(f'action="{url("officer_end", people[0].offices.get().pk)}"') == 1


def test_several_pengurus_and_pengawas_may_serve_at_once(kelurahan_a):
    for serial in (1, 2):
        profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, serial), role="pengawas", term_start=TERM)
    for serial in (3, 4):
        profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, serial), role="wakil_ketua", term_start=TERM)
    assert Officer.objects.count() == 4


def _refusal_case(case, kelurahan_a, kelurahan_b):
    """(form data, field the message is on, words of the message) for one refusal."""
    ketua = member(kelurahan_a, 1, name="Ketua Lama")
    profile.appoint(kelurahan=kelurahan_a, member=ketua, role="ketua", term_start=TERM, term_end=date(2030, 10, 1))
    if case == "applicant":
        member(kelurahan_a, 2, status=Member.Status.CALON, name="Calon Baru")
        return appoint_form("2", "pengawas"), "member_number", "Calon Baru (64.71.05.1002-00002) is still an applicant"
    if case == "former member":
        record_leaving(member=member(kelurahan_a, 2, name="Sudah Keluar"), status="keluar", left_on=date(2025, 9, 20))
        return appoint_form("2", "pengawas"), "member_number", "Sudah Keluar (64.71.05.1002-00002) left the cooperative on 20-09-2025"
    if case == "member of another cooperative":
        other = member(kelurahan_b, 9)
        return (appoint_form(other.member_number, "pengawas"), "member_number",
                "64.71.01.1001-00001 is a member number of another cooperative")
    if case == "unknown number":
        return appoint_form("77", "pengawas"), "member_number", "No member of this cooperative has the number 77."
    if case == "empty number":
        return appoint_form("", "pengawas"), "member_number", "This field is required."
    if case == "second ketua overlapping":
        member(kelurahan_a, 2)
        return (appoint_form("2", "ketua", "2026-01-01"), "role",
                "The cooperative already has a chair (ketua) for that time: Ketua Lama, from 01-10-2025")
    if case == "second ketua before the first":
        member(kelurahan_a, 2)
        return (appoint_form("2", "ketua", "2025-09-01", "2025-10-02"), "role",
                "already has a chair (ketua) for that time")
    if case == "same member two offices":
        return (appoint_form("1", "pengawas", "2027-01-01"), "member_number",
                "Ketua Lama already serves as chair (ketua) from 01-10-2025: one office at a time.")
    if case == "term end before start":
        member(kelurahan_a, 2)
        return appoint_form("2", "pengawas", "2025-10-01", "2025-09-30"), "term_end", "The term must end after it starts."
    if case == "term end on the start":
        member(kelurahan_a, 2)
        return appoint_form("2", "pengawas", "2025-10-01", "2025-10-01"), "term_end", "The term must end after it starts."
    if case == "start before registration":
        member(kelurahan_a, 2, joined_on=date(2025, 9, 15), name="Baru Daftar")
        return (appoint_form("2", "pengawas", "2025-09-10"), "term_start",
                "The term cannot start before Baru Daftar registered as a member (15-09-2025).")
    if case == "unknown role":
        member(kelurahan_a, 2)
        return appoint_form("2", "presiden"), "role", "Select a valid choice."
    if case == "bad date":
        member(kelurahan_a, 2)
        return appoint_form("2", "pengawas", "2025-02-30"), "term_start", "Enter a valid date."
    raise AssertionError(case)


REFUSALS = ["applicant", "former member", "member of another cooperative", "unknown number", "empty number",
            "second ketua overlapping", "second ketua before the first", "same member two offices",
            "term end before start", "term end on the start", "start before registration", "unknown role", "bad date"]


@pytest.mark.parametrize("case", REFUSALS)
def test_an_appointment_that_breaks_the_rules_is_refused_with_a_clear_message(officer_client, kelurahan_a, kelurahan_b, case):
    data, field, expected = _refusal_case(case, kelurahan_a, kelurahan_b)
    before = officers()
    response = officer_client.post(url("officer_create", kelurahan_a.pk), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(expected in error for error in form.errors.get(field, [])), form.errors
    assert expected.split(" (")[0].replace("'", "&#x27;") in body(response)
    assert officers() == before
    assert not AuditEvent.objects.filter(action="member_changed").exists()


def test_an_empty_post_asks_for_every_required_field(officer_client, kelurahan_a):
    response = officer_client.post(url("officer_create", kelurahan_a.pk), {})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"member_number", "role", "term_start"}
    response = officer_client.post(url("cooperative_edit", kelurahan_a.pk), {})
    assert "pokok_amount" in response.context["form"].errors
    assert not Officer.objects.exists() and not Cooperative.objects.exists()


def test_a_member_number_of_another_cooperative_is_not_looked_up_there(officer_client, kelurahan_a, kelurahan_b):
    """The refusal tells nothing about the other cooperative's members: a number that exists
    there and one that does not get the same message."""
    member(kelurahan_b, 9, name="Orang Lain")
    messages = []
    for number in ("64.71.01.1001-00001", "64.71.01.1001-00099"):
        form = officer_client.post(url("officer_create", kelurahan_a.pk), appoint_form(number, "pengawas")).context["form"]
        messages.append(form.errors["member_number"][0].replace(number, "…"))
    assert messages[0] == messages[1]
    assert not Officer.objects.exists()


def test_a_new_ketua_may_start_when_the_last_one_ends(kelurahan_a):
    first = profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 1), role="ketua", term_start=TERM)
    first = profile.end_term(officer=first, term_end=date(2026, 10, 1), today=TERM)
    second = profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 2), role="ketua", term_start=date(2026, 10, 1))
    assert second.term_start == first.term_end
    # and the member who was ketua may serve again in another office afterwards
    again = profile.appoint(kelurahan=kelurahan_a, member=first.member, role="pengawas", term_start=date(2026, 10, 1))
    assert again.role == "pengawas"


def test_the_service_refuses_a_member_of_another_cooperative(kelurahan_a, kelurahan_b):
    with pytest.raises(ValidationError) as refused:
        profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_b, 9), role="pengawas", term_start=TERM)
    assert "Pengurus and pengawas are members of this cooperative." in refused.value.message_dict["member"]
    assert not Officer.objects.exists()


def test_a_member_accepted_later_may_serve_from_the_application_date_on(kelurahan_a):
    """Registration is the first status (calon); the term may not start before it."""
    calon = member(kelurahan_a, 1, status=Member.Status.CALON)
    accept_member(member=calon, accepted_on=date(2025, 9, 20))
    officer = profile.appoint(kelurahan=kelurahan_a, member=calon, role="sekretaris", term_start=date(2025, 9, 20))
    assert officer.role == "sekretaris"
    with pytest.raises(ValidationError, match="before"):
        profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 2), role="bendahara",
                        term_start=JOINED - timedelta(days=1))


# --- Ending a term -------------------------------------------------------------------------

def test_an_officer_ends_a_term_and_it_moves_to_the_past(officer_client, kelurahan_a):
    today = timezone.localdate()
    ketua = profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 1, name="Budi"), role="ketua",
                            term_start=TERM)
    response = officer_client.get(url("officer_end", ketua.pk))
    assert response.status_code == 200
    assert "Budi" in body(response) and f'value="{today:%Y-%m-%d}"' in body(response)
    response = officer_client.post(url("officer_end", ketua.pk), {"term_end": today.isoformat()}, follow=True)
    assert response.redirect_chain == [(url("cooperative", kelurahan_a.pk), 302)]
    assert f"The term of Budi as chair (ketua) ends on {today:%d-%m-%Y}." in messages_of(response)
    ketua.refresh_from_db()
    assert ketua.term_end == today
    assert response.context["board"] == [] and response.context["past"] == [ketua]
    assert "Past pengurus and pengawas" in body(response)
    event = AuditEvent.objects.get(action="member_changed", detail__change="term_ended")
    assert (event.object_id, event.detail["term_end"]) == (str(ketua.member_id), today.isoformat())


def test_ending_a_term_that_has_ended_or_before_it_starts_is_refused(officer_client, kelurahan_a):
    ketua = profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 1), role="ketua", term_start=TERM)
    response = officer_client.post(url("officer_end", ketua.pk), {"term_end": "2025-10-01"})
    assert response.status_code == 200
    assert "The term must end after it starts (01-10-2025)." in body(response)
    for bad in ("", "kemarin"):
        response = officer_client.post(url("officer_end", ketua.pk), {"term_end": bad})
        assert response.status_code == 200 and response.context["form"].errors["term_end"]
    ketua.refresh_from_db()
    assert ketua.term_end is None
    officer_client.post(url("officer_end", ketua.pk), {"term_end": "2025-11-01"})
    response = officer_client.post(url("officer_end", ketua.pk), {"term_end": "2025-12-01"})
    assert "This term already ended on 01-11-2025." in body(response)
    ketua.refresh_from_db()
    assert ketua.term_end == date(2025, 11, 1)
    assert AuditEvent.objects.filter(detail__change="term_ended").count() == 1


def test_a_later_end_may_not_overlap_the_next_holder(kelurahan_a):
    """Moving an end that lies ahead to a later day is refused where the member, or the
    role, is taken by then; an earlier end is always allowed."""
    first = profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 1), role="ketua", term_start=TERM,
                            term_end=date(2026, 10, 1))
    profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 2), role="ketua", term_start=date(2026, 10, 1))
    with pytest.raises(ValidationError, match="already has a chair"):
        profile.end_term(officer=first, term_end=date(2027, 1, 1), today=TERM)
    first.refresh_from_db()
    assert first.term_end == date(2026, 10, 1)
    assert profile.end_term(officer=first, term_end=date(2026, 4, 1), today=TERM).term_end == date(2026, 4, 1)
    # the member's own later office counts too
    pengawas = profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 3), role="pengawas", term_start=TERM,
                               term_end=date(2026, 1, 1))
    profile.appoint(kelurahan=kelurahan_a, member=pengawas.member, role="bendahara", term_start=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="one office at a time"):
        profile.end_term(officer=pengawas, term_end=date(2026, 6, 1), today=TERM)
    # and a member who has left serves no longer than set
    sekretaris = profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 4, name="Sudah Pergi"),
                                 role="sekretaris", term_start=TERM, term_end=date(2026, 1, 1))
    record_leaving(member=sekretaris.member, status="meninggal", left_on=date(2025, 11, 1))
    with pytest.raises(ValidationError, match="Sudah Pergi is no longer an active member"):
        profile.end_term(officer=sekretaris, term_end=date(2026, 6, 1), today=TERM)
    assert profile.end_term(officer=sekretaris, term_end=date(2025, 11, 1), today=TERM).term_end == date(2025, 11, 1)


def test_the_term_of_a_member_who_left_can_still_be_ended(officer_client, kelurahan_a):
    anggota = member(kelurahan_a, 1, name="Pindah Kota")
    pengawas = profile.appoint(kelurahan=kelurahan_a, member=anggota, role="pengawas", term_start=TERM)
    record_leaving(member=anggota, status="keluar", left_on=date(2025, 11, 1))
    page = body(officer_client.get(url("cooperative", kelurahan_a.pk)))
    assert "Pindah Kota" in page and "resigned" in page
    officer_client.post(url("officer_end", pengawas.pk), {"term_end": "2025-11-01"})
    pengawas.refresh_from_db()
    assert pengawas.term_end == date(2025, 11, 1)


def test_a_term_starting_later_is_shown_as_coming(officer_client, kelurahan_a):
    start = timezone.localdate() + timedelta(days=30)
    profile.appoint(kelurahan=kelurahan_a, member=member(kelurahan_a, 1), role="bendahara", term_start=start)
    page = body(officer_client.get(url("cooperative", kelurahan_a.pk)))
    assert f"from {start:%d-%m-%Y}" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and sessions")
def test_two_ketua_appointed_at_the_same_moment_make_one(kelurahan_a):
    """Two officers on two phones, in real concurrent sessions: the kelurahan's row lock lets
    one appointment through and the other sees it and is refused."""
    from tests.members.test_concurrency import at_once

    def appointing(person):
        def call():
            with translation.override("en"):  # each thread has its own language
                return profile.appoint(kelurahan=kelurahan_a, member=person, role="ketua", term_start=TERM)
        return call

    results = at_once(appointing(member(kelurahan_a, 1)), appointing(member(kelurahan_a, 2)))
    assert sum(isinstance(r, Officer) for r in results) == 1, results
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and "already has a chair (ketua)" in refused[0].messages[0]
    assert Officer.objects.filter(role="ketua").count() == 1



def test_a_desa_names_its_cooperative_koperasi_desa_merah_putih(client, admin_client_, db):
    """The fourth part of the code says desa (2xxx) or kelurahan (1xxx); the cooperative's
    default name, the join page and the poster follow."""
    from koperasi.models import Cooperative
    from tests.factories import KecamatanFactory, KelurahanFactory, UserFactory

    desa = KelurahanFactory(kecamatan=KecamatanFactory(kode="64.01.01", nama="Batu Sopang"), kode="64.01.01.2001", nama="Rantau Buta", is_desa=True)
    assert Cooperative.of(desa).name == "KDMP Rantau Buta"
    desa.officers.add(UserFactory())  # a cooperative with an officer takes applications
    join = client.get(f"/en/gabung/{desa.kode}/").content.decode()
    assert "The Koperasi Desa Merah Putih of Desa Rantau Buta, Kecamatan Batu Sopang." in join
    assert "Kelurahan Merah Putih" not in join
    poster = admin_client_.get(reverse("koperasi:poster", args=[desa.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Koperasi Desa Merah Putih · Desa Rantau Buta, Kecamatan Batu Sopang" in poster
