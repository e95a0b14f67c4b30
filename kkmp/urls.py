"""The site's URLs: the admin, sign-in and 2FA, then each app's pages (Indonesian paths; English
under `/en/`)."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from kkmp import views as kkmp_views

admin.site.site_header = "KKMP Anggota"
admin.site.site_title = "KKMP Anggota"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
]

urlpatterns += i18n_patterns(
    path("masuk/", auth_views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("akun/2fa/", kkmp_views.two_factor, name="two_factor"),
    path("anggota/", include("members.urls")),
    path("koperasi/", include("koperasi.urls")),
    path("gabung/", include("koperasi.join_urls")),
    path("usaha/", include("usaha.urls")),
    path("impor/", include("imports.urls")),
    path("", include("dashboard.urls")),
    prefix_default_language=False,
)

handler500 = "kkmp.views.server_error"
