"""The member register's pages: list, register, member page, edit, accept, leave, cards and exports; the queue of applications to join."""

from django.urls import path

from . import application_views, views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("baru/", views.member_create, name="member_create"),
    path("<int:pk>/", views.member_detail, name="member_detail"),
    path("<int:pk>/ubah/", views.member_update, name="member_update"),
    path("<int:pk>/keluar/", views.member_leave, name="member_leave"),
    path("<int:pk>/terima/", views.member_accept, name="member_accept"),
    path("<int:pk>/kartu/", views.member_card, name="member_card"),
    # Exports of one kelurahan's register (pk: the kelurahan)
    path("kelurahan/<int:pk>/daftar.xlsx", views.register_xlsx_download, name="register_xlsx"),
    path("kelurahan/<int:pk>/rapat/", views.meeting_list, name="meeting_list"),
    path("kelurahan/<int:pk>/kartu/", views.kelurahan_cards, name="kelurahan_cards"),
    # Applications to join sent from the public join pages (pk: an application)
    path("pendaftaran/", application_views.application_list, name="application_list"),
    path("pendaftaran/<int:pk>/", application_views.application_detail, name="application_detail"),
    path("pendaftaran/<int:pk>/terima/", application_views.application_accept, name="application_accept"),
    path("pendaftaran/<int:pk>/tolak/", application_views.application_reject, name="application_reject"),
]
