"""NIK and KK number rules, in one place (see DOMAIN.md, "Identity numbers").

Both numbers are 16 digits, `PPKKCC DDMMYY SSSS`: region (province, kabupaten/kota,
kecamatan), a date and a serial. Hard errors make a number unusable; warnings are shown to the
person entering it and never block (NIKs are for life, regions split, people move).

`check_nik()` and `check_no_kk()` return an `IdentityCheck`; `validate_nik` and
`validate_no_kk` are Django validators that raise the hard errors.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kkmp.masking import mask  # noqa: F401  (re-exported: members.identity.mask)

from .values import ascii_digits, is_ascii_number

# Province codes in use (Kemendagri, 2025), including those created since 2012: 65 Kalimantan
# Utara (from 64, 2012), 92 Papua Barat Daya... 93-96 the Papua provinces of 2022. A NIK issued
# before a split keeps its old prefix, so an unknown prefix is only a warning.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
        "31", "32", "33", "34", "35", "36",
        "51", "52", "53",
        "61", "62", "63", "64", "65",
        "71", "72", "73", "74", "75", "76",
        "81", "82",
        "91", "92", "93", "94", "95", "96",
    }
)  # fmt: skip
HOME_PREFIX = "6471"  # Kota Balikpapan

# What people and other systems put between or around the digits: spaces of every kind (SIAK's
# sign blank, U+00A0 from copies), dots, dashes, Excel's text apostrophe, zero-width marks.
_SEPARATORS = re.compile(r"[\s.\-'\u2010-\u2015\u200b-\u200d\u2060\ufeff]")
_EXCEL_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE]\+?\d+$")
_EXCEL_DECIMAL = re.compile(r"^\d{15,16}[.,]0+$")

EXCEL_HINT = _(
    "Excel turned this number into a number format and lost digits. Format the column as Text "
    "(or type an apostrophe before the number) and enter the 16 digits again."
)


@dataclass
class IdentityCheck:
    """The outcome of checking one NIK or KK number."""

    value: str
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    birth_date: date | None = None
    sex: str | None = None  # "L" or "P", from a NIK's day field

    @property
    def is_valid(self):
        return not self.errors


def normalise_number(raw):
    """Strip spaces, dots, dashes and invisible marks from a typed number and read digits of
    other scripts as ASCII (`members.values.ascii_digits`); leave anything else for the checks."""
    if raw is None:
        return ""
    return ascii_digits(_SEPARATORS.sub("", str(raw)))


def looks_like_excel_number(raw):
    """True for what Excel makes of a 16-digit number: `6.47101E+15`, `6471010101900000.0`,
    or a number (not text) cell read from an XLSX file."""
    if isinstance(raw, bool):
        return False
    if isinstance(raw, (int, float)):
        return True
    text = str(raw).strip().replace(" ", "")
    return bool(_EXCEL_SCIENTIFIC.match(text) or _EXCEL_DECIMAL.match(text))


def _century(yy, today):
    """20YY unless that is in the future, else 19YY (DOMAIN.md)."""
    year = 2000 + yy
    return year if year <= today.year else 1900 + yy


def _real_date(year, month, day):
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _check_shape(raw, label):
    """Common checks: Excel damage, 16 digits. Returns (value, errors)."""
    if isinstance(raw, str) and len(raw) == 16 and raw.isascii() and raw.isdigit():
        return raw, []  # the usual case, checked first: imports call this 400,000 times
    if looks_like_excel_number(raw):
        return str(raw), [EXCEL_HINT]
    value = normalise_number(raw)
    if not value:
        return value, [_("%(label)s is empty.") % {"label": label}]
    if not is_ascii_number(value):
        return value, [_("%(label)s may contain digits only.") % {"label": label}]
    if len(value) != 16:
        return value, [
            _("%(label)s must have 16 digits; this one has %(count)d.")
            % {"label": label, "count": len(value)}
        ]
    return value, []


def _region_warnings(value, label, check):
    if value[:2] not in PROVINCE_CODES:
        check.warnings.append(
            _("%(label)s starts with province code %(code)s, which is not in use today.")
            % {"label": label, "code": value[:2]}
        )
    elif not value.startswith(HOME_PREFIX):
        check.warnings.append(
            _("%(label)s was issued outside Kota Balikpapan (code %(code)s).")
            % {"label": label, "code": f"{value[:2]}.{value[2:4]}"}
        )


def check_nik(raw, *, today=None, warnings=True):
    """Check a NIK: `PPKKCC DDMMYY SSSS`, day + 40 for women, serial from 0001.

    `warnings=False` skips the advisory checks (imports, which only need the hard errors).
    """
    today = today or timezone.localdate()
    label = _("NIK")
    value, errors = _check_shape(raw, label)
    check = IdentityCheck(value=value, errors=errors)
    if errors:
        return check
    day, month, yy, serial = int(value[6:8]), int(value[8:10]), int(value[10:12]), value[12:]
    sex = "L"
    if 41 <= day <= 71:
        day, sex = day - 40, "P"
    if not 1 <= month <= 12:
        check.errors.append(_("The month in the NIK (digits 9-10) must be 01-12."))
    elif not 1 <= day <= 31:
        check.errors.append(
            _("The day in the NIK (digits 7-8) must be 01-31, or 41-71 for women.")
        )
    else:
        born = _real_date(_century(yy, today), month, day)
        if born is None:
            check.errors.append(
                _("The birth date in the NIK (%(date)s) does not exist.")
                % {"date": f"{day:02d}-{month:02d}-{yy:02d}"}
            )
        else:
            check.birth_date, check.sex = born, sex
    if serial == "0000":
        check.errors.append(_("The last four digits of a NIK (serial) cannot be 0000."))
    if warnings and not check.errors:
        _region_warnings(value, label, check)
    return check


def check_no_kk(raw, *, nik=None, today=None, warnings=True):
    """Check a KK number: `PPKKCC DDMMYY SSSS` with the date it was recorded (no + 40)."""
    today = today or timezone.localdate()
    label = _("KK number")
    value, errors = _check_shape(raw, label)
    check = IdentityCheck(value=value, errors=errors)
    if errors:
        return check
    day, month = int(value[6:8]), int(value[8:10])
    if not 1 <= month <= 12:
        check.errors.append(_("The month in the KK number (digits 9-10) must be 01-12."))
    if value[12:] == "0000":
        check.errors.append(_("The last four digits of a KK number (serial) cannot be 0000."))
    if check.errors:
        return check
    if 41 <= day <= 71:
        check.warnings.append(
            _("The KK number's day (%(day)s) looks like a woman's NIK; is this a NIK?")
            % {"day": value[6:8]}
        )
    elif not 1 <= day <= 31:
        check.errors.append(_("The day in the KK number (digits 7-8) must be 01-31."))
        return check
    if not warnings:
        return check
    if nik and normalise_number(nik) == value:
        check.warnings.append(_("The KK number equals the NIK; a KK has its own number."))
    _region_warnings(value, label, check)
    return check


# --- Fast tests for bulk imports ----------------------------------------------------------
# A city file checks 400,000 numbers. These answer "would check_nik / check_no_kk find no hard
# error in this text?" with a few string operations; only on False does the caller run the full
# check (for its messages). tests/members/test_identity.py pins that both always agree.

_KK_DAYS = frozenset(f"{d:02d}" for d in (*range(1, 32), *range(41, 72)))
_MONTHS = frozenset(f"{m:02d}" for m in range(1, 13))


@lru_cache(maxsize=4)
def _nik_dates(year):
    """Every `DDMMYY` a NIK may hold (women: day + 40) when today is in `year`."""
    today = date(year, 12, 31)
    dates = set()
    for yy in range(100):
        for month in range(1, 13):
            for day in range(1, 32):
                if _real_date(_century(yy, today), month, day):
                    dates.add(f"{day:02d}{month:02d}{yy:02d}")
                    dates.add(f"{day + 40:02d}{month:02d}{yy:02d}")
    return frozenset(dates)


def nik_has_no_errors(value, *, today=None):
    """True when `value` is text that `check_nik` accepts without a hard error (same answer,
    faster); False means "run check_nik", not necessarily "invalid"."""
    return (
        type(value) is str
        and len(value) == 16
        and value.isascii()
        and value.isdigit()
        and value[12:] != "0000"
        and value[6:12] in _nik_dates((today or timezone.localdate()).year)
    )


def no_kk_has_no_errors(value):
    """True when `value` is text that `check_no_kk` accepts without a hard error (same
    answer, faster); False means "run check_no_kk", not necessarily "invalid"."""
    return (
        type(value) is str
        and len(value) == 16
        and value.isascii()
        and value.isdigit()
        and value[12:] != "0000"
        and value[8:10] in _MONTHS
        and value[6:8] in _KK_DAYS
    )


def validate_nik(value):
    """Django validator: the hard NIK errors."""
    check = check_nik(value)
    if check.errors:
        raise ValidationError(check.errors, code="invalid_nik")


def validate_no_kk(value):
    """Django validator: the hard KK number errors."""
    check = check_no_kk(value)
    if check.errors:
        raise ValidationError(check.errors, code="invalid_no_kk")
