"""The admin site of KKMP Anggota."""

from django.contrib import admin


class KKMPAdminSite(admin.AdminSite):
    site_header = "KKMP Anggota"
    site_title = "KKMP Anggota"
