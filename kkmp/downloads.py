"""Downloads with safe file names: every export names its file through `download_name()`."""

import re
import unicodedata

from django.http import HttpResponse
from django.utils.http import content_disposition_header


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
