"""Rupiah amounts as people and spreadsheets write them: one reading for the payment forms
(`koperasi.forms.RupiahField`) and the payments import (`imports.payments.parse_amount`).

Indonesian writes thousands with a dot and sen after a comma: `1.000.000`, `Rp 1.000.000`,
`Rp1.000.000,-`, `50.000,00`. A dot is therefore always a thousands separator and must be
followed by exactly three digits: `1000.50` or `1.00` is refused, never read as Rp 100.050 or
Rp 100. A comma followed by three digits (`50,000`, English writing) is refused too: in
Indonesian it would be 50 rupiah. Only the digits 0-9 count (a phone keyboard can type
Arabic-Indic or fullwidth digits that look the same), and an amount is checked against the
largest one by its number of digits before it is converted.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_AMOUNT = 10**12  # Rp 1.000.000.000.000: beyond any payment, far below the ledger's limit

_SEPARATOR = r"[.\u00a0\u202f\u2009 ]"  # a dot, or a space as some write thousands (50 000)
_NUMBER = re.compile(rf"(?P<whole>[0-9]+(?:{_SEPARATOR}[0-9]+)*)(?:,(?P<sen>[0-9]+|-))?")
_SCIENTIFIC = re.compile(r"(?P<digits>[0-9]+)(?:,(?P<decimals>[0-9]+))?[eE]\+?(?P<exponent>[0-9]{1,2})")  # Excel: 3,00E+04
_PREFIX = re.compile(r"^(rp\.?|idr)\s*", re.IGNORECASE)


def parse_rupiah(value) -> int:
    """Whole rupiah from a typed text or a spreadsheet cell (an int, or a float without a
    fraction); more than Rp 0 and at most `MAX_AMOUNT`. Raises `ValidationError` with a message
    for the person who typed it, and a code: missing, invalid, digits, thousands, comma,
    fraction, negative, not_positive, too_large."""
    if isinstance(value, bool):
        raise _invalid(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _invalid(value)
        if not value.is_integer():
            raise ValidationError(_("%(value)s has a fraction of a rupiah: write whole rupiah.") % {"value": value},
                                  code="fraction")
        value = int(value)
    if isinstance(value, int):
        return _checked(value, value < 0, str(value))
    raw = str(value if value is not None else "").strip()
    if not raw:
        raise ValidationError(_("The amount is missing."), code="missing")
    if any(ch.isdigit() and not "0" <= ch <= "9" for ch in raw):
        raise ValidationError(
            _("'%(value)s' has digits other than 0-9: type the amount with the digits 0 to 9.") % {"value": _shown(raw)},
            code="digits",
        )
    text, negative = raw, False
    if text.startswith("(") and text.endswith(")"):  # (50.000): accountants' negative
        text, negative = text[1:-1].strip(), True
    for _step in range(2):  # "-Rp 50.000" and "Rp -50.000"
        if text[:1] in ("-", "\u2212"):
            text, negative = text[1:].lstrip(), True
        text = _PREFIX.sub("", text)
    scientific = _SCIENTIFIC.fullmatch(text)
    if scientific:
        return _checked(_scientific(scientific, raw), negative, raw)
    number = _NUMBER.fullmatch(text)
    if number is None:
        if re.search(r"\.(?![0-9]{3}(?![0-9]))", text):
            raise _thousands(raw)
        raise _invalid(raw)
    groups = re.split(_SEPARATOR, number["whole"])
    if len(groups) > 1 and (len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])):
        raise _thousands(raw)
    sen = number["sen"]
    if sen and sen != "-":
        if len(sen) > 2:
            raise ValidationError(
                _("'%(value)s' is not an amount in rupiah: thousands are separated by a dot (50.000), not by a comma.")
                % {"value": _shown(raw)},
                code="comma",
            )
        if int(sen):
            raise ValidationError(_("%(value)s has a fraction of a rupiah: write whole rupiah.") % {"value": _shown(raw)},
                                  code="fraction")
    digits = "".join(groups).lstrip("0") or "0"
    if len(digits) > len(str(MAX_AMOUNT)):  # converted only once it is known to be short
        raise _too_large()
    return _checked(int(digits), negative, raw)


def _scientific(match, raw):
    exponent = int(match["exponent"])
    if len(match["digits"].lstrip("0")) + exponent > len(str(MAX_AMOUNT)):
        raise _too_large()
    number = Decimal(f"{match['digits']}.{match['decimals'] or 0}").scaleb(exponent)
    if number != number.to_integral_value():
        raise ValidationError(_("%(value)s has a fraction of a rupiah: write whole rupiah.") % {"value": _shown(raw)},
                              code="fraction")
    return int(number)


def _checked(number, negative, shown):
    if negative and number:
        raise ValidationError(_("The amount %(value)s is negative: it must be more than Rp 0.") % {"value": _shown(shown)},
                              code="negative")
    if number <= 0:
        raise ValidationError(_("The amount must be more than Rp 0."), code="not_positive")
    if number > MAX_AMOUNT:
        raise _too_large()
    return number


def _shown(value, length=40):
    """The value as a message may echo it: at most `length` characters."""
    value = str(value)
    return value if len(value) <= length else value[:length] + "…"


def _invalid(value):
    return ValidationError(
        _("'%(value)s' is not an amount in rupiah: write it in whole rupiah, for example 50000, 50.000 or Rp 50.000.")
        % {"value": _shown(value)},
        code="invalid",
    )


def _thousands(raw):
    return ValidationError(
        _("'%(value)s' is not an amount in rupiah: a dot separates thousands and is followed by exactly three digits "
          "(1.000.000), and rupiah are written without sen.") % {"value": _shown(raw)},
        code="thousands",
    )


def _too_large():
    largest = "Rp " + f"{MAX_AMOUNT:,}".replace(",", ".")
    return ValidationError(_("The amount is too large: at most %(max)s.") % {"max": largest}, code="too_large")
