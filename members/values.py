"""How member data is written down the same way whatever was typed or imported: RT/RW
numbers (`7`, `07`, `007`), phone numbers, names compared for likely duplicates, ages, and a
search typed as a number. Used by the models, the forms and the member import."""

import re
import unicodedata

# What stands for "none" in an RT/RW cell: SIAK prints `-` for 0/NULL, OpenSID `-` for an
# empty one, spreadsheets `0`, `000` or nothing. Balikpapan has no RW at all (DOMAIN.md).
_NO_RT_RW = frozenset({"", "-", "--", "\u2013", "\u2014", "0", "00", "000", "0000"})
# Longest RT/RW worth reading as a number: past it a cell is text (and an int() of 10,000
# digits would raise past Python's integer-string limit).
_RT_RW_MAX_DIGITS = 6


def ascii_digits(value):
    """`value` with every decimal digit written in another script (Arabic-Indic `٦٤٧١`,
    fullwidth `６４７１`, Devanagari…) turned into the ASCII digit it means, so that one
    number is stored one way whatever keyboard typed it. The one place NIK, KK, RT and RW
    numbers (forms and imports alike) go through; other characters are left as they are, for
    the checks to name."""
    if value.isascii():
        return value
    return "".join(str(unicodedata.decimal(ch)) if not ch.isascii() and unicodedata.decimal(ch, None) is not None else ch
                   for ch in value)


def is_ascii_number(value):
    """True for text made of the digits 0-9 only (`str.isdigit()` also accepts `²` and `٣`)."""
    return value.isascii() and value.isdigit()


def normalise_rt_rw(value):
    """RT/RW numbers keep their meaning whether written `7`, `07` or `007`: store `007`.
    `-`, `0`, `000` and an empty cell are "no RT/RW" (`""`); digits of other scripts are read
    as their ASCII digits; anything else is returned (stripped) for the validation to refuse."""
    if isinstance(value, str) and len(value) == 3 and value.isascii() and value.isdigit() and value != "000":
        return value  # already normalised: the common case in large imports
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 10**_RT_RW_MAX_DIGITS:
        value = int(value)
    value = ascii_digits(str(value if value is not None else "").replace("\u00a0", " ").strip())
    if value.endswith(".0"):  # a number cell read from a spreadsheet
        value = value[:-2]
    if value in _NO_RT_RW:
        return ""
    if is_ascii_number(value) and len(value) <= _RT_RW_MAX_DIGITS:
        digits = value.lstrip("0")
        if not digits:
            return ""
        if len(digits) <= 3:
            return digits.zfill(3)
    return value


def normalise_phone(value):
    """`0812-3456 7890` → `081234567890`; `+62 812…` keeps its plus."""
    return ascii_digits(re.sub(r"[\s.\-()]", "", value or ""))


def normalise_person_name(name):
    """For spotting likely duplicates: `Siti  Aminah`, `SITI AMINAH` and `Siti-Aminah` match."""
    letters = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^A-Za-z]+", " ", letters).upper().split())


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def number_query(text):
    """The digits of a search typed as a number (`6471 0512.03`), or "" for a name."""
    digits = ascii_digits((text or "").strip().replace(" ", "").replace(".", ""))
    return digits if is_ascii_number(digits) else ""
