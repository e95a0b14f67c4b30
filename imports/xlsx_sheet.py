"""One worksheet's XML read as a stream, in one pass, with the checks applied as it is read:
`SheetReader.feed(chunk)` takes the part's bytes as they are unpacked and returns the rows
completed so far; every chunk goes through expat first (well-formed UTF-8, no DTD), then the
rows are cut out of the text with regular expressions and their cells read in bulk.

Standard library only: it runs in the XLSX reader's isolated process (`xlsx_reader.py`) and is
imported by the tests as it is.

The rules are python-calamine's (`XlsxCellReader`), which read these files before: cells are
read inside the first `<sheetData>` only; `<row r>` sets the row, a row without `r` is the one
after the last; `<c r>` sets the column, a cell without `r` takes the next column; a cell with
no child element has no value (Excel's styled empty cells); values by `t` (shared string, inline
string with its rich-text runs but not its phonetic runs, formula text, boolean, error, ISO date,
number) and a number whose style is a date format becomes a date, a time, a datetime or a
duration as python-calamine gives them. Every reference is checked (A1 form, within
XFD1048576), and a row must stay within `row_max_xml` bytes, the rows within `max_height` and
the columns within `max_width`: a sheet past a limit is refused at the first cell past it
(`Refused`), not after reading it all. References, values and the expat path: `xlsx_cells.py`.

The fast path is one regular expression per cell, for the cells every writer produces (`r`,
then `s` and `t`, a `<v>`, an `<is><t>` or a plain formula); a row holding anything else (rich
text, shared formulas, cells without references, prefixed names, comments) is parsed by expat
instead, with the same rules. Both give the same values (tests/imports/test_xlsx_stream.py).
"""

import codecs
import re
from itertools import groupby, repeat
from xml.parsers import expat

try:
    from .xlsx_cells import COLUMNS, EXCEL_COLUMNS, EXCEL_ROWS, Refused, RowParser, iso_value, row_of, unescape
except ImportError:  # in the reader's process: beside it, without the package
    from xlsx_cells import COLUMNS, EXCEL_COLUMNS, EXCEL_ROWS, Refused, RowParser, iso_value, row_of, unescape

# --- the sheet ----------------------------------------------------------------------------

def _patterns(prefix):
    p = re.escape(prefix)
    row = re.compile(rf"<{p}row\b([^>]*?)(?:/>|>(.*?)</{p}row\s*>)", re.S)
    return row, re.compile(rf"</{p}sheetData\s*>"), re.compile(rf"<{p}c[\s/>]")


_SHEET_DATA = re.compile(r"<(\w+:)?sheetData\b[^>]*?(/?)>")
_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d{1,7})["']""")
# A cell as every writer writes it: r, then s and t (either order), and a <v>, an inline <is><t>
# or a plain formula with its <v>; anything else goes to expat. Groups: column, row, s, t, s,
# what is inside the cell (empty: no child, no value), <v>, inline text, formula, formula's <v>.
_CELL = re.compile(
    r'<c r="([A-Z]{1,3})(\d{1,7})"(?: s="(\d+)")?(?: t="(\w+)")?(?: s="(\d+)")?\s*'
    r'(?:/>|>((?:<v>([^<]*)</v>|<v\s*/>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>|<is><t\s*/></is>'
    r"|<f>([^<]*)</f>(?:<v>([^<]*)</v>|<v\s*/>)?))?</c>)"
)


# The same for a block of only inline strings, or only shared strings: fewer groups, read faster.
_BULK = {
    "inlineStr": re.compile(r'<c r="([A-Z]{1,3})(\d{1,7})"(?: s="\d+")? t="inlineStr"(?: s="\d+")?>'
                            r'<is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>'),
    "s": re.compile(r'<c r="([A-Z]{1,3})(\d{1,7})"(?: s="\d+")? t="s"(?: s="\d+")?><v>(\d{1,10})</v></c>'),
}


class SheetReader:
    """Feed it the sheet's bytes; take the rows holding a value as `(row number, cells)`, the
    cells from the table's first column (`_row`); `feed` returns the rows completed by the
    chunk, `close` the rest; the formula cells `(row number, sheet column)` gather on
    `formulas` (emptied by the caller)."""

    def __init__(self, strings, styles, *, max_height, max_width, row_max_xml):
        self.strings, self.styles = strings, styles
        self.max_height, self.max_width, self.row_max_xml = max_height, max_width, row_max_xml
        self.validator = expat.ParserCreate("UTF-8")
        self.validator.StartDoctypeDeclHandler = self._dtd
        self.validator.EntityDeclHandler = self._dtd
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.state = 0  # 0 before <sheetData>, 1 inside, 2 after
        self.row_pattern = self.end_pattern = self.cell_start = None
        self.prefix = ""
        self.next_row = 0  # 0-based index of a row without `r`
        self.first_row = self.first_column = EXCEL_ROWS + EXCEL_COLUMNS
        self.last_row = self.last_column = -1
        self.formulas = []
        self.kinds = {}
        self.last_sent = 0  # the number of the last row returned: rows come in order
        self.bulk = ["inlineStr", "s"]  # the `_BULK` forms tried, the last one that fitted first
        self.misses = 0
        self.origin = None  # the table's first column (see `_row`)
        self.width = 0  # the header's

    @staticmethod
    def _dtd(*_args):
        raise Refused("dtd")

    def feed(self, chunk, final=False):
        try:
            self.validator.Parse(chunk, final)
        except expat.ExpatError as exc:
            raise Refused("damaged", f"sheet XML: {exc}") from None
        if self.state == 2:
            return []
        self.text += self.decoder.decode(chunk, final)
        if self.state == 0:
            found = _SHEET_DATA.search(self.text)
            if found is None:
                self.text = self.text[-200:]
                return []
            self.prefix = found.group(1) or ""
            self.row_pattern, self.end_pattern, self.cell_start = _patterns(self.prefix)
            if found.group(2):  # <sheetData/>
                self.state, self.text = 2, ""
                return []
            self.state, self.text = 1, self.text[found.end():]
        end = self.end_pattern.search(self.text)
        if end is not None:
            block, self.text, self.state = self.text[:end.start()], "", 2
        elif final:
            raise Refused("damaged", "no end of sheetData")
        else:
            cut = self._last_row_start()
            block, self.text = self.text[:cut], self.text[cut:]
            if len(self.text) > self.row_max_xml:  # one row's XML, still unfinished
                number = _ROW_NUMBER.search(self.text[:200])
                raise Refused("row_too_long", int(number.group(1)) if number else self.next_row + 1)
        return self._rows(block)

    def _last_row_start(self):
        """Where the last <row begins in the text read (0 if none): the rows before it are whole."""
        text, tag = self.text, "<" + self.prefix + "row"
        at = len(text)
        while True:
            at = text.rfind(tag, 0, at)
            if at == -1:
                return 0
            if text[at + len(tag):at + len(tag) + 1] in (" ", ">", "/", "\t", "\n", "\r", ""):
                return at

    def close(self):
        return self.feed(b"", final=True)

    def _rows(self, block):
        """The rows of a block of complete rows: the whole block through `_CELL` when every cell
        in it has that form (every cell carries its reference, so its row is known), else row by
        row."""
        if not block or (len(block) <= self.row_max_xml and not self.prefix):
            cells = block.count("<c")
            for kind in self.bulk:  # every "<c" begins a cell of that form
                found = _BULK[kind].findall(block) if cells else ()
                if len(found) == cells:
                    rows = self._bulk(kind, found) if found else []
                    if rows is not None:
                        if kind != self.bulk[0]:
                            self.bulk.reverse()
                        return rows
            self.misses += 1
            if self.misses > 3:
                self.bulk = ()
            found = _CELL.findall(block) if block else ()
            # every "<c" begins a cell read by `_CELL` (so no rich text, no <col…> either)
            if len(found) == cells:
                return self._cells(found, block)
        return self._each_row(block)

    def _row(self, number, cells, columns=None, values=None, checked=False):
        """The row as the parent takes it, after the limits: a list from the table's first
        column (the first cell of the sheet's first row with a value: cells left of it have
        no header and are not read), at least as wide as the header."""
        if columns is None:
            columns, values = list(cells), list(cells.values())
        if not checked:
            self._check(number - 1, columns)
        if self.origin is None:
            self.origin = min(columns)
            self.width = max(columns) - self.origin + 1
        origin = self.origin
        width = max(self.width, max(columns) - origin + 1)
        if columns[0] == origin and columns[-1] - origin + 1 == len(columns) == width:
            return number, list(values)  # every cell, in order
        placed = dict(zip(columns, values))
        return number, list(map(placed.get, range(origin, origin + width), repeat("")))

    def _bulk(self, kind, found):
        """The rows of a block whose cells are all inline strings or all shared strings
        (`_BULK`): read column-wise (`map`, `zip`), not cell by cell. None when a column or
        a shared string is not there (the block is then read cell by cell, and refused)."""
        names, digits, values = zip(*found)
        if kind == "s":
            try:
                values = list(map(self.strings.__getitem__, map(int, values)))
            except IndexError:
                return None
        else:
            joined = "".join(values)
            if "&" in joined or "\r" in joined:
                values = [unescape(v) for v in values]
        columns = list(map(COLUMNS.get, names))
        if None in columns:
            return None
        # within the columns and rows already seen: no row can pass a limit
        first, last = row_of(digits[0], names[0] + digits[0]), row_of(digits[-1], names[-1] + digits[-1])
        checked = (self.origin is not None and min(columns) >= self.first_column and max(columns) <= self.last_column
                   and last - self.first_row < self.max_height and first > self.last_row)
        if checked:
            self.last_row = last
        out, start, previous = [], 0, self.last_sent
        for row_digits, group in groupby(digits):
            count = len(list(group))
            number = row_of(row_digits, names[start] + row_digits) + 1
            if number <= previous:
                raise Refused("damaged", "rows out of order")
            previous = number
            end = start + count
            out.append(self._row(number, None, columns[start:end], values[start:end], checked))
            start = end
        if out:
            self.next_row = max(self.next_row, out[-1][0])
            self.last_sent = out[-1][0]
        return out

    def _cells(self, found, block):
        out = []
        digits = None
        cells = None
        number = 0
        value = self._value
        formulas = self.formulas
        for name, row_digits, style, kind, style2, inner, v, text, formula, formula_v in found:
            if row_digits != digits:
                if cells:
                    out.append(self._row(number, cells))
                previous = number
                number = row_of(row_digits, name + row_digits) + 1
                if number <= previous:
                    raise Refused("damaged", "rows out of order")
                digits, cells = row_digits, {}
            if not inner:  # no child element: no value (Excel's styled empty cells)
                continue
            column = COLUMNS.get(name)
            if column is None:
                raise Refused("reference", (name + row_digits)[:20])
            if kind == "inlineStr":
                cells[column] = unescape(text) if "&" in text or "\r" in text else text
                continue
            if formula or inner[1] == "f":
                formulas.append((number, column))
                v = formula_v
            if "&" in v or "\r" in v:
                v = unescape(v)
            cells[column] = value(kind, v, style or style2)
        if cells:
            out.append(self._row(number, cells))
        if number:
            self.next_row = max(self.next_row, number)
        last = block.rfind("<row")
        if last != -1:
            head = block[last:block.find(">", last) + 1]
            found_number = _ROW_NUMBER.search(head)
            if found_number is not None:
                self.next_row = max(self.next_row, int(found_number.group(1)))
        if out and out[0][0] <= self.last_sent:
            raise Refused("damaged", "rows out of order")
        if out:
            self.last_sent = out[-1][0]
        return out

    def _each_row(self, block):
        out = []
        position = 0
        for match in self.row_pattern.finditer(block):
            if self.cell_start.search(block, position, match.start()):  # (text there is ignored)
                raise Refused("damaged", "cells between rows")
            position = match.end()
            attrs, body = match.group(1), match.group(2)
            number = _ROW_NUMBER.search(attrs)
            if number is not None:
                index = row_of(number.group(1), number.group(1))
                digits = number.group(1)
            elif re.search(r"\br\s*=", attrs):
                raise Refused("reference", re.search(r"\br\s*=\s*[\"']?([^\"'\s]*)", attrs).group(1)[:20])
            else:
                index, digits = self.next_row, None
            self.next_row = index + 1
            if not body:
                continue
            if len(match.group(0)) > self.row_max_xml:
                raise Refused("row_too_long", index + 1)
            cells = None
            if digits is not None and not self.prefix:
                found = _CELL.findall(body)
                if len(found) == body.count("<c ") + body.count("<c>") + body.count("<c/") and all(
                        cell[1] == digits for cell in found):
                    self.next_row = index  # _cells moves it on
                    rows = self._cells(found, body)
                    self.next_row = max(self.next_row, index + 1)
                    out.extend(rows)
                    continue
            index, cells = RowParser(self, index, free=digits is None).parse(match.group(0))
            if cells:
                if index + 1 <= self.last_sent:
                    raise Refused("damaged", "rows out of order")
                out.append(self._row(index + 1, cells))
                self.last_sent = index + 1
        if self.cell_start.search(block, position):
            raise Refused("damaged", "cells between rows")
        return out

    def _value(self, kind, v, style):
        """A cell's value from its type, its <v> text (unescaped) and its style."""
        if kind == "s":
            try:
                return self.strings[int(v)]
            except (ValueError, IndexError):
                raise Refused("damaged", "shared string index") from None
        if kind in ("str", "inlineStr"):
            return v
        if kind == "e":  # an error (#DIV/0!…): python-calamine gives an empty cell
            return ""
        if kind == "b":
            return v != "0"
        if kind == "d":
            return iso_value(v)
        if v == "":
            return ""
        try:
            number = float(v)
        except ValueError:
            raise Refused("damaged", "number") from None
        if style:
            style = int(style)
            kind = self.kinds.get(style, 0)
            if kind == 0:
                kind = self.kinds[style] = self.styles.kind(style)
            if kind:
                try:
                    return self.styles.value(number, kind)
                except (OverflowError, ValueError):
                    return number
        return number

    def _check(self, index, cells):
        """The limits, at the first cell past one."""
        if index > self.last_row:
            self.last_row = index
        if index < self.first_row:
            self.first_row = index
        if self.last_row - self.first_row >= self.max_height:
            raise Refused("rows", index + 1, self.max_height - 1)
        low, high = min(cells), max(cells)
        if low < self.first_column or high > self.last_column:
            for column in cells:  # in the sheet's order
                self.first_column = min(self.first_column, column)
                self.last_column = max(self.last_column, column)
                if self.last_column - self.first_column >= self.max_width:
                    raise Refused("columns", column, index + 1, self.max_width)
