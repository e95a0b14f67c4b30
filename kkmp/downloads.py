"""What every download goes through: safe file names (`download_name()`), cells that a
spreadsheet program shows but never runs (`neutralise()`), and the base of every app's
django-import-export resource (`ExportResource`), which neutralises each exported cell."""

import re
import unicodedata

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from import_export import resources


def download_name(*parts, extension):
    """`download_name("Register", "Gunung Samarinda Baru", extension="xlsx")` →
    `register-gunung-samarinda-baru.xlsx`: ASCII letters, digits and dashes only, so that no
    name (a kelurahan with quotes, slashes, dots or line breaks in it) can break the header,
    leave the download folder or change the extension."""
    text = "-".join(str(part) for part in parts if str(part))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:120] or "unduhan"
    return f"{stem}.{re.sub(r'[^a-z0-9]', '', extension.lower())}"


def attachment(content, *, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def spreadsheet(content, fmt, *name_parts):
    """An XLSX (bytes) or CSV (text) download named from `name_parts`. CSV gets a BOM, so
    that Excel reads its UTF-8 correctly."""
    if fmt == "csv":
        content = "\ufeff" + content
    return attachment(content, content_type=CONTENT_TYPES[fmt], filename=download_name(*name_parts, extension=fmt))


# A cell is a formula when it starts with one of these (OWASP's list); after a `;` or `,` too,
# since Excel set to Indonesian splits a CSV at `;` (its list separator) and a cell that was
# `Jl. A;=HYPERLINK(...)` in our file becomes a formula cell of its own there.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_AFTER_SEPARATOR = re.compile(r"([;,][\s\"']*)(?=[=+\-@])")
# What openpyxl refuses to write (and no cell needs): control characters but tab and newlines.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def neutralise(value):
    """A cell value that spreadsheet programs will show, never execute: text starting with `=`,
    `+`, `-`, `@`, tab or carriage return gets a leading apostrophe, and so does such a start
    after a `;` or `,` inside the text; control characters become U+FFFD (so an error file can
    show a row that had one). Numbers and dates pass through unchanged."""
    if not isinstance(value, str):
        return value
    if _CONTROL.search(value):
        value = _CONTROL.sub("\ufffd", value)
    if ";" in value or "," in value:
        value = _AFTER_SEPARATOR.sub(r"\1'", value)
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class ExportResource(resources.ModelResource):
    """Base of every export: each text cell goes through `neutralise`, so a name such as
    `=HYPERLINK(...)` shows as text in Excel instead of running."""

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))
