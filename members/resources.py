"""Spreadsheet import and export of households and members.

Reading files, header aliases, error reports and the all-or-nothing run come from
`kelurahan.resources`; this module declares the household columns.
"""

from django.utils.translation import gettext as _
from import_export import fields, widgets

from kelurahan.resources import KelurahanWidget, SpreadsheetResource

from .identity import looks_like_excel_number, normalise_number
from .models import Household, Member, normalise_rt_rw


class IdentityNumberWidget(widgets.CharWidget):
    """A NIK or KK number: separators removed; Excel's damaged numbers refused with a hint.

    The 16-digit rules themselves are the model validators' (`members.identity`).
    """

    def __init__(self, required=True, **kwargs):
        super().__init__(allow_blank=not required, **kwargs)
        self.required = required

    def clean(self, value, row=None, **kwargs):
        if looks_like_excel_number(value):
            raise ValueError(
                _("'%(value)s' was stored by Excel as a number and has lost digits. Format the "
                  "column as Text and type the 16 digits again.") % {"value": value}
            )
        value = normalise_number(value)
        if self.required and not value:
            raise ValueError(_("This column is required."))
        return value


class RtRwWidget(widgets.CharWidget):
    """RT/RW as `007` whatever the spreadsheet holds: `7`, `07`, `007` or the number 7."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return normalise_rt_rw(value)


class HouseholdResource(SpreadsheetResource):
    """Households, one row per KK:
    `kode_kelurahan,no_kk,nama_kepala_keluarga,nik_kepala_keluarga,alamat,rt,rw`."""

    kode_kelurahan = fields.Field(
        attribute="kelurahan", column_name="kode_kelurahan", widget=KelurahanWidget()
    )
    no_kk = fields.Field(attribute="no_kk", column_name="no_kk", widget=IdentityNumberWidget())
    nama_kepala_keluarga = fields.Field(
        attribute="head_name", column_name="nama_kepala_keluarga", widget=widgets.CharWidget()
    )
    nik_kepala_keluarga = fields.Field(
        attribute="head_nik",
        column_name="nik_kepala_keluarga",
        widget=IdentityNumberWidget(required=False),
    )
    alamat = fields.Field(attribute="address", column_name="alamat", widget=widgets.CharWidget())
    rt = fields.Field(attribute="rt", column_name="rt", widget=RtRwWidget())
    rw = fields.Field(attribute="rw", column_name="rw", widget=RtRwWidget())

    column_aliases = {
        "kode_kel": "kode_kelurahan",
        "kode_desa": "kode_kelurahan",
        "kelurahan": "kode_kelurahan",
        "nomor_kk": "no_kk",
        "nkk": "no_kk",
        "no_kartu_keluarga": "no_kk",
        "nama_kk": "nama_kepala_keluarga",
        "kepala_keluarga": "nama_kepala_keluarga",
        "nama_lgkp": "nama_kepala_keluarga",
        "nik": "nik_kepala_keluarga",
        "nik_kk": "nik_kepala_keluarga",
        "nik_kepala": "nik_kepala_keluarga",
        "address": "alamat",
        "no_rt": "rt",
        "no_rw": "rw",
    }
    required_columns = ("kode_kelurahan", "no_kk")

    class Meta:
        model = Household
        fields = (
            "kode_kelurahan",
            "no_kk",
            "nama_kepala_keluarga",
            "nik_kepala_keluarga",
            "alamat",
            "rt",
            "rw",
        )
        import_id_fields = ("no_kk",)
        clean_model_instances = True
        skip_unchanged = True
        skip_html_diff = True

    def get_queryset(self):
        # The row diff reads the kelurahan of every existing household: load it with the row.
        return Household.objects.select_related("kelurahan")

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        self.check_duplicate_in_file(instance.no_kk, "no_kk", row)

    def dehydrate_kode_kelurahan(self, obj):
        return obj.kelurahan.kode


class MemberResource(SpreadsheetResource):
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
        )
        export_order = fields

    def get_export_queryset(self, request):
        return Member.objects.select_related("kelurahan", "household")
