"""Spreadsheet exports of households and members, in the columns the imports take.
(Imports are the `imports` app's.)"""

from import_export import fields, widgets

from kelurahan.resources import ExportResource

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
