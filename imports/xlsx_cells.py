"""The cells of a sheet as the streaming reader (`xlsx_sheet.py`) reads them: references (A1
form, within XFD1048576), values (XML text unescaped, dates from the cell's style as
python-calamine gives them) and `RowParser`, one row through expat for the rows the reader's
regular expressions do not take. Standard library only (it runs in the reader's process).
"""

import re
from datetime import date, datetime, time, timedelta
from xml.parsers import expat

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384  # XFD


class Refused(Exception):  # noqa: N818  (a refusal, told to the parent as a message)
    """The sheet is refused: `code` and its details, turned into a message by the parent
    (`imports.xlsx_read`): "rows" (row, max), "columns" (column, row, max), "reference" (ref),
    "row_too_long" (row), "dtd", "damaged" (detail)."""

    def __init__(self, code, *details):
        super().__init__(code, *details)
        self.code, self.details = code, details


def letters(column):
    """0 → A, 16383 → XFD."""
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


COLUMNS = {letters(i): i for i in range(EXCEL_COLUMNS)}  # every valid column name → index


def column_of(name, ref):
    index = COLUMNS.get(name.upper()) if 1 <= len(name) <= 3 and name.isascii() and name.isalpha() else None
    if index is None:
        raise Refused("reference", ref[:20])
    return index


def row_of(digits, ref):
    if 1 <= len(digits) <= 7 and digits.isascii() and digits.isdigit() and 1 <= int(digits) <= EXCEL_ROWS:
        return int(digits) - 1
    raise Refused("reference", ref[:20])


def split_ref(ref):
    """(row, column), both 0-based, of an A1 reference; refused unless valid."""
    name = ref.rstrip("0123456789")
    column = column_of(name, ref)
    return row_of(ref[len(name):], ref), column


# --- values -----------------------------------------------------------------------------------

_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _entity(match):
    name = match.group(1)
    if name[0] == "#":
        return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    return _NAMED[name]


def unescape(text):
    """XML text as a parser gives it: the five entities, character references, line ends."""
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# Excel's built-in number formats that are dates or times (ECMA-376 18.8.30), as calamine has them.
DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)])
DURATION_FORMATS = frozenset([46])
_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKETS = re.compile(r"\[([^\]]*)\]")


def format_kind(code):
    """"date", "duration" or None for a custom number format code (calamine's reading: quoted
    text, escapes and [colour]/[$-locale] sections aside, any of d m y h s is a date; [h], [m]
    or [s] make it a duration)."""
    text = _QUOTED.sub("", code.split(";")[0])
    if any(part.lower().strip("hms") == "" and part for part in _BRACKETS.findall(text)):
        return "duration"
    text = _BRACKETS.sub("", text)
    return "date" if any(ch in "dmyhsDMYHS" for ch in text) else None


class Styles:
    """Which cell styles (`s`) are dates or durations: built by the reader from xl/styles.xml."""

    def __init__(self, kinds=(), date1904=False):
        self.kinds = list(kinds)  # per cellXfs index: "date", "duration" or None
        self.epoch = datetime(1904, 1, 1) if date1904 else None

    def kind(self, style):
        return self.kinds[style] if style < len(self.kinds) else None

    def value(self, serial, kind):
        """A date-formatted number as python-calamine gives it."""
        if kind == "duration":
            return timedelta(days=serial)
        if self.epoch is not None:
            moment = self.epoch + timedelta(days=serial)
        else:  # Excel's 1900 system, with its 29 February 1900
            moment = datetime(1899, 12, 31 if serial < 60 else 30) + timedelta(days=serial)
        if serial < 1:
            return moment.time()
        if serial == int(serial):
            return moment.date()
        return moment


def iso_value(text):
    try:
        if "T" in text or " " in text:
            return datetime.fromisoformat(text)
        if ":" in text:
            return time.fromisoformat(text)
        return date.fromisoformat(text)
    except ValueError:
        return text


class RowParser:
    """One row's XML through expat: the cells with a value, with the reader's rules (`SheetReader._value`)."""

    def __init__(self, reader, index, free):
        self.reader, self.index = reader, index
        self.free = free  # a row without `r`: its first cell's reference places it
        self.cells = {}
        self.column = 0
        self.rooted = False  # the <row> element itself was met
        self.cell = None  # [column, kind, style, v parts, text parts, has child]
        self.path = []

    def parse(self, xml):
        parser = expat.ParserCreate("UTF-8")
        parser.ordered_attributes = False
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        try:
            parser.Parse(xml.encode("utf-8"), True)
        except expat.ExpatError as exc:
            raise Refused("damaged", f"row XML: {exc}") from None
        return self.index, self.cells

    def start(self, name, attrs):
        local = name.partition(":")[2] if ":" in name else name
        if self.cell is None:
            if not self.rooted:
                self.rooted = True
                return
            if local != "c" or self.path:  # an element other than a cell inside the row
                self.path.append(local)
                return
            ref = attrs.get("r")
            if ref is not None:
                row, column = split_ref(ref)
                if row != self.index:
                    if not self.free:
                        raise Refused("damaged", "a cell of another row")
                    self.index = row
                    self.reader.next_row = row + 1
                self.free = False
                self.column = column
            else:
                self.free = False
            self.cell = [self.column, attrs.get("t", "n"), attrs.get("s"), [], [], False]
            self.column += 1
            return
        if local in ("c", "row", "sheetData"):
            raise Refused("damaged", "a cell inside a cell")
        self.cell[5] = True
        self.path.append(local)
        if local == "f":
            self.reader.formulas.append((self.index + 1, self.cell[0]))

    def end(self, name):
        local = name.partition(":")[2] if ":" in name else name
        if self.path:
            self.path.pop()
            return
        if self.cell is None or local != "c":
            return
        column, kind, style, v, text, valued = self.cell
        self.cell = None
        if not valued:
            return
        if kind == "inlineStr":
            self.cells[column] = "".join(text)
        else:
            self.cells[column] = self.reader._value(kind, "".join(v), style)

    def data(self, content):
        if self.cell is None or not self.path:
            return
        if self.path[-1] == "v":
            self.cell[3].append(content)
        elif self.path[-1] == "t" and "is" in self.path and "rPh" not in self.path:
            self.cell[4].append(content)
