"""NIK and KK number rules at their edges (DOMAIN.md, "Identity numbers")."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from members.identity import (
    check_nik,
    check_no_kk,
    looks_like_excel_number,
    mask,
    nik_has_no_errors,
    no_kk_has_no_errors,
    validate_nik,
)

TODAY = date(2026, 11, 28)


def test_a_valid_male_nik_gives_birth_date_and_sex():
    check = check_nik("6471051203900001", today=TODAY)
    assert check.is_valid
    assert check.birth_date == date(1990, 3, 12)
    assert check.sex == "L"
    assert check.warnings == []


def test_a_womans_nik_has_day_plus_40():
    check = check_nik("6471055203900001", today=TODAY)
    assert check.is_valid
    assert check.birth_date == date(1990, 3, 12)
    assert check.sex == "P"


@pytest.mark.parametrize("day", ["41", "71"])
def test_the_womens_day_range_ends_are_valid(day):
    assert check_nik(f"647105{day}01900001", today=TODAY).is_valid


@pytest.mark.parametrize("day", ["00", "32", "40", "72", "81", "91"])
def test_days_outside_1_31_and_41_71_are_refused(day):
    check = check_nik(f"647105{day}01900001", today=TODAY)
    assert not check.is_valid


@pytest.mark.parametrize("month", ["00", "13"])
def test_a_month_outside_1_12_is_refused(month):
    assert not check_nik(f"64710512{month}900001", today=TODAY).is_valid


def test_29_february_is_valid_in_a_leap_year_only():
    assert check_nik("6471052902000001", today=TODAY).is_valid  # 2000
    assert check_nik("6471056902040001", today=TODAY).is_valid  # woman, 2004
    check = check_nik("6471052902010001", today=TODAY)  # 2001
    assert not check.is_valid
    assert "29-02-01" in check.errors[0]


def test_31_april_does_not_exist():
    assert not check_nik("6471053104900001", today=TODAY).is_valid


def test_serial_0000_is_refused():
    check = check_nik("6471051203900000", today=TODAY)
    assert not check.is_valid
    assert "0000" in check.errors[0]


def test_people_born_after_1999_are_in_the_2000s():
    assert check_nik("6471051203050001", today=TODAY).birth_date == date(2005, 3, 12)


def test_a_two_digit_year_in_the_future_is_in_the_1900s():
    assert check_nik("6471051203300001", today=TODAY).birth_date == date(1930, 3, 12)


@pytest.mark.parametrize("typed", ["6471 0512 0390 0001", "6471.0512.0390.0001", "647105-120390-0001"])
def test_spaces_dots_and_dashes_are_removed(typed):
    check = check_nik(typed, today=TODAY)
    assert check.is_valid
    assert check.value == "6471051203900001"


@pytest.mark.parametrize("typed", ["647105120390001", "64710512039000011", "64710512039O0001", ""])
def test_anything_but_16_digits_is_refused(typed):
    assert not check_nik(typed, today=TODAY).is_valid


@pytest.mark.parametrize("damaged", ["6.47101E+15", "6,47105E+15", "6471051203900000.0", 6471051203900000.0, 6471051203900001])
def test_excel_damaged_numbers_are_refused_with_a_hint_to_format_as_text(damaged):
    check = check_nik(damaged, today=TODAY)
    assert not check.is_valid
    assert looks_like_excel_number(damaged)
    assert "Excel" in str(check.errors[0])


def test_prefix_65_kalimantan_utara_is_valid_without_a_province_warning():
    check = check_nik("6501051203900001", today=TODAY)
    assert check.is_valid
    assert len(check.warnings) == 1  # only "issued outside Balikpapan"
    assert "65.01" in str(check.warnings[0])


def test_prefix_92_papua_barat_daya_is_valid():
    assert check_nik("9201051203900001", today=TODAY).is_valid


def test_an_unknown_province_prefix_is_only_a_warning():
    check = check_nik("9901051203900001", today=TODAY)
    assert check.is_valid
    assert "99" in str(check.warnings[0])


def test_a_balikpapan_nik_has_no_warning():
    assert check_nik("6471051203900001", today=TODAY).warnings == []


def test_the_validator_raises_the_hard_errors_only():
    validate_nik("6501051203900001")  # warning only
    with pytest.raises(ValidationError):
        validate_nik("6471051203900000")


def test_a_valid_kk_number_passes():
    check = check_no_kk("6471050506150001", today=TODAY)
    assert check.is_valid and check.warnings == []


def test_a_kk_number_with_a_womans_day_is_a_warning():
    check = check_no_kk("6471054506150001", today=TODAY)
    assert check.is_valid
    assert check.warnings


def test_a_kk_number_equal_to_the_nik_is_a_warning():
    check = check_no_kk("6471050506150001", nik="6471050506150001", today=TODAY)
    assert check.is_valid
    assert any("NIK" in str(w) for w in check.warnings)


@pytest.mark.parametrize("bad", ["6471050513150001", "6471050506150000", "6.47105E+15", "12345"])
def test_kk_numbers_with_a_bad_month_serial_0000_or_excel_damage_are_refused(bad):
    assert not check_no_kk(bad, today=TODAY).is_valid


def test_mask_keeps_the_first_and_last_four_digits():
    assert mask("6471051203900003") == "6471••••••••0003"
    assert mask("") == ""


def _numbers_around_every_date_field():
    """Every day 00-99 and month 00-13, leap and ordinary years of both centuries, serials
    0000/0001."""
    for day in range(100):
        for month in range(14):
            for yy in (0, 4, 26, 27, 99):
                for serial in ("0000", "0001"):
                    yield f"647105{day:02d}{month:02d}{yy:02d}{serial}"


@pytest.mark.parametrize("today", [TODAY, date(2000, 6, 1), date(2099, 1, 1)])
def test_the_fast_number_tests_agree_with_the_full_checks(today):
    for number in _numbers_around_every_date_field():
        assert nik_has_no_errors(number, today=today) == check_nik(number, today=today, warnings=False).is_valid, number
        assert no_kk_has_no_errors(number) == check_no_kk(number, today=today, warnings=False).is_valid, number


@pytest.mark.parametrize(
    "other",
    ["", "647105120390000", "64710512039000011", "6471 051203900001", "647105120390000a",
     "647105120390000\u0661", "6.47101E+15", "6471051203900001.0", 6471051203900001, 6471051203900001.0],
)
def test_the_fast_number_tests_leave_anything_but_16_ascii_digits_to_the_full_check(other):
    assert not nik_has_no_errors(other, today=TODAY)
    assert not no_kk_has_no_errors(other)
