"""How member data is written down the same way whatever was typed or imported: RT/RW
numbers (`7`, `07`, `007`), phone numbers, names compared for likely duplicates, ages, and a
search typed as a number. Used by the models, the forms and the member import."""

import re
import unicodedata


def normalise_rt_rw(value):
    """RT/RW numbers keep their meaning whether written `7`, `07` or `007`: store `007`."""
    if isinstance(value, str) and len(value) == 3 and value.isdigit() and value != "000":
        return value  # already normalised: the common case in large imports
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value if value is not None else "").strip()
    if value.endswith(".0"):  # a number cell read from a spreadsheet
        value = value[:-2]
    if value.isdigit() and int(value) > 0 and len(value.lstrip("0")) <= 3:
        return value.lstrip("0").zfill(3)
    return value


def normalise_phone(value):
    """`0812-3456 7890` → `081234567890`; `+62 812…` keeps its plus."""
    return re.sub(r"[\s.\-()]", "", value or "")


def normalise_person_name(name):
    """For spotting likely duplicates: `Siti  Aminah`, `SITI AMINAH` and `Siti-Aminah` match."""
    letters = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^A-Za-z]+", " ", letters).upper().split())


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def number_query(text):
    """The digits of a search typed as a number (`6471 0512.03`), or "" for a name."""
    digits = (text or "").strip().replace(" ", "").replace(".", "")
    return digits if digits.isdigit() else ""
