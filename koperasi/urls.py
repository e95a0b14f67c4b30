"""The cooperative's pages: simpanan (payments, receipts, corrections, arrears), its profile
with pengurus and pengawas, its members' meetings, and the SIMKOPDES-shaped export."""

from django.urls import path

from .views import arrears, join, profile, rapat, simpanan

app_name = "koperasi"

urlpatterns = [
    # Simpanan (pk: a member, an entry, or a kelurahan for the arrears list)
    path("anggota/<int:pk>/bayar/<str:kind>/", simpanan.payment, name="payment"),
    path("anggota/<int:pk>/tarik/", simpanan.withdrawal, name="withdrawal"),
    path("kuitansi/<int:pk>/", simpanan.receipt, name="receipt"),
    path("kuitansi/<int:pk>/koreksi/", simpanan.correction, name="correction"),
    path("kelurahan/<int:pk>/tunggakan/", arrears.arrears_list, name="arrears"),
    path("kelurahan/<int:pk>/tunggakan.xlsx", arrears.arrears_xlsx, name="arrears_xlsx"),
    # The cooperative's profile, pengurus and pengawas, the SIMKOPDES export (pk: a kelurahan, or an officer)
    path("kelurahan/<int:pk>/", profile.cooperative_detail, name="cooperative"),
    path("kelurahan/<int:pk>/ubah/", profile.cooperative_edit, name="cooperative_edit"),
    path("kelurahan/<int:pk>/pengurus/baru/", profile.officer_create, name="officer_create"),
    path("pengurus/<int:pk>/akhiri/", profile.officer_end, name="officer_end"),
    path("kelurahan/<int:pk>/poster/", join.poster, name="poster"),
    path("kelurahan/<int:pk>/simkopdes.xlsx", profile.simkopdes_xlsx, name="simkopdes_xlsx"),
    # Rapat Anggota (pk: a kelurahan, or a meeting)
    path("kelurahan/<int:pk>/rapat/", rapat.meeting_list, name="meetings"),
    path("kelurahan/<int:pk>/rapat/baru/", rapat.meeting_create, name="meeting_create"),
    path("rapat/<int:pk>/", rapat.meeting_detail, name="meeting_detail"),
    path("rapat/<int:pk>/ubah/", rapat.meeting_edit, name="meeting_edit"),
    path("rapat/<int:pk>/hadir/", rapat.meeting_attendance, name="meeting_attendance"),
    path("rapat/<int:pk>/keputusan/", rapat.meeting_decision, name="meeting_decision"),
    path("rapat/<int:pk>/daftar-hadir/", rapat.meeting_attendance_sheet, name="meeting_attendance_sheet"),
    path("rapat/<int:pk>/notulen/", rapat.meeting_minutes, name="meeting_minutes"),
]
