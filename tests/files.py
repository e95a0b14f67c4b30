"""Real spreadsheet files written by the tests."""

import csv

import openpyxl


def write_csv(path, rows, *, delimiter=",", encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path, rows, *, text_columns=()):
    """An XLSX like Excel writes it. Values keep their Python type: an int for a NIK is
    stored as an Excel number, as happens when a column is not formatted as text."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for col in text_columns:
        for cell in sheet[col]:
            cell.number_format = "@"
    book.save(path)
    return path


def run_command(name, path, *args):
    """Run a management command on a file; return (stdout, stderr, CommandError or None)."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    out, err = StringIO(), StringIO()
    try:
        call_command(name, str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def admin_upload(client, url, path, fmt):
    """Upload a file on a django-import-export admin import screen (step 1, the preview)."""
    formats = {"csv": "0", "xlsx": "1"}
    with open(path, "rb") as fh:
        return client.post(url, {"format": formats[fmt], "resource": "0", "import_file": fh})
