"""Amounts in Indonesian words, as on a kuitansi."""

import pytest

from koperasi.terbilang import rupiah_words, words


@pytest.mark.parametrize("n, expected", [
    (0, "nol"), (1, "satu"), (10, "sepuluh"), (11, "sebelas"), (12, "dua belas"), (19, "sembilan belas"),
    (20, "dua puluh"), (21, "dua puluh satu"), (100, "seratus"), (101, "seratus satu"), (111, "seratus sebelas"),
    (250, "dua ratus lima puluh"), (1000, "seribu"), (1001, "seribu satu"), (1100, "seribu seratus"),
    (2000, "dua ribu"), (11000, "sebelas ribu"), (100000, "seratus ribu"), (125000, "seratus dua puluh lima ribu"),
    (1000000, "satu juta"), (1500250, "satu juta lima ratus ribu dua ratus lima puluh"),
    (1_000_000_000, "satu miliar"), (3_000_000_000_000, "tiga triliun"), (999_999, "sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan"),
])
def test_numbers_in_words(n, expected):
    assert words(n) == expected


def test_rupiah_words():
    assert rupiah_words(50_000) == "lima puluh ribu rupiah"
    assert rupiah_words(-10_000) == "minus sepuluh ribu rupiah"


@pytest.mark.parametrize("bad", [-1, 10**15, 1.5, "100"])
def test_what_cannot_be_written_is_refused(bad):
    with pytest.raises(ValueError):
        words(bad)
