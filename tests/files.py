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
