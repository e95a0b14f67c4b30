"""What the cells of a payments file mean (`PaymentImport` in `payments.py`): the column
aliases real registers use (`PAYMENT_ALIASES`), the kinds of simpanan (`kind_of`) and ways of
paying (`method_of`) as people write them, and the amount (`parse_amount`, as the payment form
reads one), the number of months and the date of a cell, whether it came from a CSV (text) or a
workbook (numbers, dates).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from koperasi.amounts import parse_rupiah
from koperasi.models import Entry

from .values import a_date, brief, text

PAYMENT_ALIASES = {
    **{a: "nomor_anggota" for a in (
        "nomor_anggota", "no_anggota", "nomor_induk_anggota", "no_induk_anggota", "no_induk", "nia", "no_agt",
        "member_number", "nomor_anggota_koperasi",
    )},
    **{a: "nik" for a in ("nik", "no_nik", "nomor_nik", "nik_anggota")},
    **{a: "nama" for a in ("nama", "nama_anggota", "nama_lengkap", "name")},
    **{a: "tanggal" for a in (
        "tanggal", "tgl", "tanggal_bayar", "tgl_bayar", "tanggal_setor", "tgl_setor", "tanggal_setoran", "tgl_setoran",
        "tanggal_pembayaran", "tanggal_transaksi", "tgl_transaksi", "date", "paid_on",
    )},
    **{a: "jenis" for a in ("jenis", "jenis_simpanan", "simpanan", "jenis_setoran", "kind")},
    **{a: "jumlah" for a in (
        "jumlah", "jumlah_rp", "jumlah_setoran", "jumlah_bayar", "nominal", "nominal_rp", "setoran", "besar_setoran",
        "rupiah", "amount",
    )},
    **{a: "bulan" for a in ("bulan", "jumlah_bulan", "jml_bulan", "banyak_bulan", "months")},
    **{a: "cara_bayar" for a in (
        "cara_bayar", "cara_pembayaran", "metode", "metode_bayar", "metode_pembayaran", "via", "method",
    )},
    **{a: "referensi" for a in (
        "referensi", "no_referensi", "nomor_referensi", "ref", "no_ref", "reference", "no_transaksi", "nomor_transaksi",
    )},
}

KINDS = {
    "pokok": Entry.Kind.POKOK, "sp": Entry.Kind.POKOK, "principal": Entry.Kind.POKOK,
    "wajib": Entry.Kind.WAJIB, "sw": Entry.Kind.WAJIB, "iuran wajib": Entry.Kind.WAJIB, "mandatory": Entry.Kind.WAJIB,
    "sukarela": Entry.Kind.SUKARELA, "ss": Entry.Kind.SUKARELA, "voluntary": Entry.Kind.SUKARELA,
}
_KIND_PREFIX = re.compile(r"^(simpanan|simp\.?|setoran|s\.)\s*")
METHODS = {
    "": Entry.Method.TUNAI, "tunai": Entry.Method.TUNAI, "uang tunai": Entry.Method.TUNAI, "cash": Entry.Method.TUNAI,
    "kontan": Entry.Method.TUNAI, "kas": Entry.Method.TUNAI,
    "transfer": Entry.Method.TRANSFER, "transfer bank": Entry.Method.TRANSFER, "bank transfer": Entry.Method.TRANSFER,
    "bank": Entry.Method.TRANSFER, "tf": Entry.Method.TRANSFER, "trf": Entry.Method.TRANSFER, "tranfer": Entry.Method.TRANSFER,
    "qris": Entry.Method.QRIS, "qr": Entry.Method.QRIS, "qr code": Entry.Method.QRIS,
}

_DATETIME_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00(\.0+)?)?$")


def parse_amount(value):
    """(rupiah, None) or (None, what is wrong) for an amount cell, read as the payment form reads
    an amount (`koperasi.amounts.parse_rupiah`): a number from a workbook; "50000", "50.000",
    "Rp 50.000", "Rp50.000,-", "50.000,00" or Excel's "5E+04" from a CSV."""
    try:
        return parse_rupiah(value), None
    except ValidationError as exc:
        return None, exc.messages[0]


def parse_months(value):
    """(months, None), (None, None) for an empty cell, or (None, what is wrong)."""
    if isinstance(value, bool):
        return None, _("'%(value)s' is not a number of months.") % {"value": value}
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        if value.is_integer():
            return int(value), None
        return None, _("'%(value)s' is not a whole number of months.") % {"value": value}
    raw = text(value)
    if not raw:
        return None, None
    match = re.fullmatch(r"(\d+)(?:[.,]0+)?\s*(?:bulan|bln|months?)?", raw.lower())
    if not match:
        return None, _("'%(value)s' is not a whole number of months.") % {"value": brief(raw)}
    return int(match.group(1)), None


def parse_date(value):
    """A date cell, also "2025-09-01 00:00:00" as some programs write dates in a CSV."""
    if isinstance(value, str):
        match = _DATETIME_MIDNIGHT.match(value.strip())
        if match:
            value = match.group(1)
    return a_date(value)


def kind_of(value):
    raw = " ".join(text(value).lower().split())
    return KINDS.get(raw) or KINDS.get(_KIND_PREFIX.sub("", raw))


def method_of(value):
    return METHODS.get(" ".join(text(value).lower().split()))

