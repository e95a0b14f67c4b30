"""The registration form's fields and rules: phone, citizenship, KTP and domicile address,
simpanan pokok; NIK defaults; the minimum age; likely duplicates confirmed by the officer."""

from datetime import date

import pytest
from django.urls import reverse

from members.models import Member
from tests.factories import MemberFactory, make_nik

pytestmark = pytest.mark.django_db

URL = reverse("members:member_create")


def data(kelurahan, **overrides):
    values = {
        "kelurahan": kelurahan.pk,
        "nik": make_nik(701),
        "name": "Budi Santoso",
        "joined_on": "2025-09-01",
        **overrides,
    }
    return {k: v for k, v in values.items() if v is not None}


def test_every_registration_field_is_saved_and_normalised(officer_client, kelurahan_a, kelurahan_b):
    response = officer_client.post(
        URL,
        data(
            kelurahan_a,
            phone="0812-3456 7890",
            citizenship="WNI",
            ktp_address="Jl. Mawar 1, Samarinda",
            domicile_address="Jl. Melati 2",
            domicile_kelurahan=kelurahan_a.pk,
            domicile_rt="7",
            domicile_rw="",
        ),
    )
    assert response.status_code == 302
    member = Member.objects.get()
    assert member.phone == "081234567890"
    assert (member.ktp_address, member.domicile_address) == ("Jl. Mawar 1, Samarinda", "Jl. Melati 2")
    assert (member.domicile_kelurahan, member.domicile_rt, member.domicile_rw) == (kelurahan_a, "007", "")
    assert member.citizenship == "WNI"
    assert (member.birth_date, member.sex) == (date(1990, 3, 12), "L")  # from the NIK


def test_a_birth_date_differing_from_the_nik_is_kept_with_a_warning(officer_client, kelurahan_a):
    response = officer_client.post(URL, data(kelurahan_a, birth_date="1990-03-13"), follow=True)
    assert Member.objects.get().birth_date == date(1990, 3, 13)
    assert any(m.level_tag == "warning" for m in response.context["messages"])


def test_an_invalid_phone_number_is_refused(officer_client, kelurahan_a):
    response = officer_client.post(URL, data(kelurahan_a, phone="0812-ABC"))
    assert "phone" in response.context["form"].errors
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    "birth, married, accepted",
    [
        ("2008-09-02", False, False),  # 16 on the day of joining
        ("2008-09-01", False, True),  # 17 that very day
        ("2008-09-02", True, True),  # younger, but married
    ],
)
def test_under_the_minimum_age_only_married_people_join(officer_client, kelurahan_a, birth, married, accepted):
    born = date.fromisoformat(birth)
    nik = make_nik(702, day=born.day, month=born.month, yy=born.year % 100)
    response = officer_client.post(
        URL, data(kelurahan_a, nik=nik, birth_date=birth, is_married="on" if married else None)
    )
    assert Member.objects.exists() is accepted
    if not accepted:
        assert "birth_date" in response.context["form"].errors


def test_the_minimum_age_is_a_setting(officer_client, kelurahan_a, settings):
    settings.KKMP_MIN_AGE = 21
    nik = make_nik(703, day=1, month=1, yy=5)
    response = officer_client.post(URL, data(kelurahan_a, nik=nik))  # 20 in September 2025
    assert "birth_date" in response.context["form"].errors


def test_a_likely_duplicate_must_be_confirmed(officer_client, kelurahan_a, kelurahan_b):
    other = MemberFactory(kelurahan=kelurahan_b, name="BUDI  SANTOSO", birth_date=date(1990, 3, 12), nik=make_nik(9))
    response = officer_client.post(URL, data(kelurahan_a, name="Budi Santoso"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "confirm_duplicate" in form.errors
    assert form.duplicates == [other]
    assert other.member_number not in response.content.decode()  # another KKMP's: not named
    assert Member.objects.count() == 1
    response = officer_client.post(URL, data(kelurahan_a, name="Budi Santoso", confirm_duplicate="on"))
    assert response.status_code == 302
    assert Member.objects.count() == 2


def test_the_confirmation_box_appears_only_for_a_duplicate(officer_client, kelurahan_a):
    body = officer_client.get(URL).content.decode()
    assert 'name="confirm_duplicate"' not in body
    assert 'name="phone"' in body and 'name="is_married"' in body


def test_a_different_birth_date_is_not_a_duplicate(officer_client, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, name="Budi Santoso", birth_date=date(1991, 3, 12), nik=make_nik(9))
    assert officer_client.post(URL, data(kelurahan_a)).status_code == 302


def test_an_applicant_is_registered_as_calon(officer_client, kelurahan_a):
    officer_client.post(URL, data(kelurahan_a, status="calon"))
    member = Member.objects.get()
    assert member.status == "calon"
    assert list(member.status_changes.values_list("status", flat=True)) == ["calon"]


def test_a_foreign_national_is_recorded_with_a_warning(officer_client, kelurahan_a):
    response = officer_client.post(URL, data(kelurahan_a, citizenship="WNA"), follow=True)
    assert Member.objects.get().citizenship == "WNA"
    assert any(m.level_tag == "warning" for m in response.context["messages"])
