"""The phone cards and the table's first cells are built in Python (dashboard/templatetags/
dashboard.py) rather than by template tags per card: a region's name is still escaped, and the
words still come from the Indonesian catalogue."""

from datetime import date

from django.utils import translation

from dashboard.progress import Capital, Progress
from dashboard.templatetags.dashboard import kelurahan_card, kelurahan_head
from kelurahan.models import Kelurahan


def _row():
    kel = Kelurahan(pk=7, kode="64.71.01.1001", nama='<b onclick="x">Manggar</b>')
    kel.sumber, kel.per_tanggal = "Disdukcapil & <BPS>", date(2025, 6, 30)
    progress = Progress(jumlah_kk=12000, kk_terwakili=1234, target=1200, today=date(2026, 1, 5), gained_7d=1500)
    progress.capital = Capital(pokok=5_000_000, wajib=250_000, aktif=10, in_arrears=3, rat_on=date(2026, 1, 3))
    return kel, progress


def test_a_card_escapes_the_name_and_speaks_indonesian():
    kel, progress = _row()
    with translation.override("id"):
        card = kelurahan_card(kel, progress)
    assert "<b onclick" not in card and "&lt;b onclick=&quot;x&quot;&gt;Manggar&lt;/b&gt;" in card
    assert "1.234" in card and "1.200" in card  # grouped with Indonesian `.`
    assert "simpanan Rp 5.250.000" in card
    assert "RAT 03-01-2026" in card and "+1.500" in card
    assert 'data-card="64.71.01.1001"' in card and 'class="bar reached"' in card


def test_a_table_row_head_escapes_the_source():
    kel, progress = _row()
    with translation.override("id"):
        head = kelurahan_head(kel, progress)
    assert "&lt;BPS&gt;" in head and "<BPS>" not in head
    assert "12.000" in head and "30-06-2025" in head
    kel.nama = "Manggar"
    assert ">Manggar</a>" in kelurahan_head(kel, Progress(today=date(2026, 1, 5)))
