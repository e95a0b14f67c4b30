"""The cooperative's pages: simpanan (payments, receipts, corrections, arrears), its profile
with pengurus and pengawas, its members' meetings, and the SIMKOPDES-shaped export."""

from django.urls import path

from .views import simpanan

app_name = "koperasi"

urlpatterns = [
    path("anggota/<int:pk>/bayar/<str:kind>/", simpanan.payment, name="payment"),
    path("anggota/<int:pk>/tarik/", simpanan.withdrawal, name="withdrawal"),
    path("kuitansi/<int:pk>/", simpanan.receipt, name="receipt"),
    path("kuitansi/<int:pk>/koreksi/", simpanan.correction, name="correction"),
]
