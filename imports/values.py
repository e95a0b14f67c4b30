"""What a cell holds, before and as an importer reads its meaning.

Real files carry line breaks typed with Alt+Enter, non-breaking spaces pasted from the web,
and sometimes what no person types: NUL bytes, terminal escapes, zero-width or right-to-left
marks that make a name look like another. `clean_cell` normalises the harmless whitespace and
names what must be retyped; `brief` keeps an echoed value short in a message. `text`,
`whole_number` and `a_date` read a cell as the importers' columns need it, whether it came
from a CSV (text) or a workbook (numbers, dates).
"""

import re
import unicodedata
from datetime import date, datetime

from django.utils.translation import gettext as _

# Unicode categories no name, address or number contains: control, format (zero-width,
# bidirectional marks), surrogates, private use, unassigned, line/paragraph separators.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_SPACES = re.compile(r"[\t\n\r\x0b\x0c\u0085\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000 ]+")


def clean_cell(value):
    """(cleaned text, problem message or None) for a text cell that is not `isprintable()`.

    Tabs, line breaks and the Unicode spaces become one space; any other control or invisible
    character is a problem naming its code point (the cell is returned unchanged then)."""
    spaced = _SPACES.sub(" ", value).strip()
    bad = sorted({ch for ch in spaced if unicodedata.category(ch) in _INVISIBLE})
    if not bad:
        return spaced, None
    points = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:5])
    return value, _(
        "The cell contains control or invisible characters (%(points)s), which no name, address or "
        "number has; retype the value."
    ) % {"points": points}


def brief(value, length=40):
    """A value as a message may echo it: at most `length` characters."""
    value = str(value if value is not None else "")
    return value if len(value) <= length else value[:length] + "…"


def text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def whole_number(value):
    """`3505`, `3.505` (thousands), `3505.0` from a spreadsheet; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    value = text(value).replace(" ", "")
    if re.fullmatch(r"[0-9]{1,3}([.,][0-9]{3})+", value):
        value = re.sub(r"[.,]", "", value)
    # ASCII digits only, and not past 18 of them: int() reads `٣` as 3 and raises on 10,000
    # digits (Python's integer-string limit); no count, amount or serial has that many.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def a_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    value = text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None
