"""What a cell may contain before any importer reads its meaning.

Real files carry line breaks typed with Alt+Enter, non-breaking spaces pasted from the web,
and sometimes what no person types: NUL bytes, terminal escapes, zero-width or right-to-left
marks that make a name look like another. `clean_cell` normalises the harmless whitespace and
names what must be retyped; `brief` keeps an echoed value short in a message.
"""

import re
import unicodedata

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
