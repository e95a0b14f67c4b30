"""Spreadsheet exports of households and members, in the columns the imports take.
(Imports are the `imports` app's.)"""

import io
import re

import segno
from django.utils.translation import gettext as _
from import_export import fields, widgets
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kkmp.downloads import ExportResource, neutralise
from kkmp.masking import mask

from .models import Household, Member


class HouseholdResource(ExportResource):
    kode_kelurahan = fields.Field(attribute="kelurahan__kode", column_name="kode_kelurahan")
    no_kk = fields.Field(attribute="no_kk", column_name="no_kk")
    nama_kepala_keluarga = fields.Field(attribute="head_name", column_name="nama_kepala_keluarga")
    nik_kepala_keluarga = fields.Field(attribute="head_nik", column_name="nik_kepala_keluarga")
    alamat = fields.Field(attribute="address", column_name="alamat")
    rt = fields.Field(attribute="rt", column_name="rt")
    rw = fields.Field(attribute="rw", column_name="rw")

    class Meta:
        model = Household
        fields = ("kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw")
        export_order = fields

    def get_export_queryset(self, request):
        return Household.objects.select_related("kelurahan")


class MemberResource(ExportResource):
    """Export of the register of members, with Indonesian column names like the imports.
    Personal data: the admin offers it to staff with the view permission only."""

    nomor_anggota = fields.Field(attribute="member_number", column_name="nomor_anggota")
    kode_kelurahan = fields.Field(attribute="kelurahan__kode", column_name="kode_kelurahan")
    nik = fields.Field(attribute="nik", column_name="nik")
    nama = fields.Field(attribute="name", column_name="nama")
    jenis_kelamin = fields.Field(attribute="sex", column_name="jenis_kelamin")
    tanggal_lahir = fields.Field(attribute="birth_date", column_name="tanggal_lahir", widget=widgets.DateWidget("%Y-%m-%d"))
    no_kk = fields.Field(attribute="household__no_kk", column_name="no_kk")
    kepala_keluarga = fields.Field(attribute="is_head_of_household", column_name="kepala_keluarga", widget=widgets.BooleanWidget())
    tanggal_masuk = fields.Field(attribute="joined_on", column_name="tanggal_masuk", widget=widgets.DateWidget("%Y-%m-%d"))
    status = fields.Field(attribute="status", column_name="status")
    tanggal_keluar = fields.Field(attribute="left_on", column_name="tanggal_keluar", widget=widgets.DateWidget("%Y-%m-%d"))
    kawin = fields.Field(attribute="is_married", column_name="kawin", widget=widgets.BooleanWidget())
    kewarganegaraan = fields.Field(attribute="citizenship", column_name="kewarganegaraan")
    telepon = fields.Field(attribute="phone", column_name="telepon")
    alamat_ktp = fields.Field(attribute="ktp_address", column_name="alamat_ktp")
    alamat_domisili = fields.Field(attribute="domicile_address", column_name="alamat_domisili")
    rt = fields.Field(attribute="domicile_rt", column_name="rt")
    rw = fields.Field(attribute="domicile_rw", column_name="rw")

    class Meta:
        model = Member
        fields = (
            "nomor_anggota",
            "kode_kelurahan",
            "nik",
            "nama",
            "jenis_kelamin",
            "tanggal_lahir",
            "no_kk",
            "kepala_keluarga",
            "tanggal_masuk",
            "status",
            "tanggal_keluar",
            "kawin",
            "kewarganegaraan",
            "telepon",
            "alamat_ktp",
            "alamat_domisili",
            "rt",
            "rw",
        )
        export_order = fields

    def get_export_queryset(self, request):
        return Member.objects.select_related("kelurahan", "household")


# --- The register of members (buku daftar anggota) of one kelurahan, for officers -------------

def register_headers(show_full=True):
    return [
        _("Member number"), _("Name"), _("NIK"), _("KK number"), _("Sex"), _("Birth date") if show_full else _("Age"),
        _("Citizenship"), _("Phone"), _("Address on the KTP"), _("Domicile address"), _("RT"), _("RW"),
        _("Joined on"), _("Status"), _("Left on"),
    ]


def register_rows(members, *, show_full):
    """One row per member, in member-number order; NIK/KK masked unless `show_full`."""
    number = (lambda v: v) if show_full else mask
    for m in members:
        yield [
            m.member_number, m.name, number(m.nik), number(m.household.no_kk) if m.household_id else "",
            m.get_sex_display(), m.birth_date if show_full else m.age, m.get_citizenship_display(), m.phone, m.ktp_address,
            m.domicile_address, m.domicile_rt, m.domicile_rw, m.joined_on, m.get_status_display(), m.left_on,
        ]


def register_xlsx(kelurahan, members, *, show_full):
    """The register as an XLSX workbook (bytes). Every text cell is neutralised, numbers such as
    NIK and KK are written as text (Excel would round them), dates as dates."""
    book = Workbook(write_only=True)
    title = re.sub(r"[\[\]:*?/\\']", " ", kelurahan.nama).strip()[:31]  # what Excel allows in a sheet name
    sheet = book.create_sheet(title=title or "Anggota")
    title = WriteOnlyCell(sheet, value=neutralise(_("Register of members, KKMP %(name)s") % {"name": kelurahan.nama}))
    title.font = Font(bold=True)
    sheet.append([title])
    header = []
    for text in register_headers(show_full):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in register_rows(members, show_full=show_full):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=neutralise(value) if value is not None else None)
            if isinstance(value, str):
                cell.number_format = "@"
            elif hasattr(value, "isoformat"):
                cell.number_format = "DD-MM-YYYY"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def qr_svg(text):
    """The QR code of `text` as inline SVG markup (no script, no external file: CSP-safe)."""
    return segno.make(text, error="m", micro=False).svg_inline(scale=3, border=2, omitsize=True)
