"""Every export's cells: shown by a spreadsheet program, never run (issue 10, point 14)."""

import csv
import io

import pytest

from kkmp.downloads import neutralise


@pytest.mark.parametrize(
    "value, shown",
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Jl. Mawar;=HYPERLINK(\"http://x\")", "Jl. Mawar;'=HYPERLINK(\"http://x\")"),
        ("Jl. Mawar; +62", "Jl. Mawar; '+62"),
        ("Budi,=cmd|' /C calc'!A0", "Budi,'=cmd|' /C calc'!A0"),
        ("Siti;\"=1+1", "Siti;\"'=1+1"),
        ("Jl. Mawar No. 1, RT 7", "Jl. Mawar No. 1, RT 7"),
        ("Ahm\x00ad\x1b", "Ahm\ufffdad\ufffd"),
        (42, 42),
    ],
)
def test_formula_starts_are_neutralised_at_the_start_and_after_separators(value, shown):
    assert neutralise(value) == shown


def test_a_neutralised_cell_split_at_semicolons_has_no_formula_piece():
    """What Indonesian Excel does with a comma CSV: split each line at `;`."""
    out = io.StringIO()
    csv.writer(out).writerow([neutralise("Jl. A;=HYPERLINK(1);-2+3;@x")])
    for piece in out.getvalue().strip().strip('"').split(";"):
        assert not piece.lstrip().startswith(("=", "+", "-", "@")), piece
