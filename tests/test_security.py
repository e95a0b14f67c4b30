"""Security settings and headers that hold whatever page is added later."""

import logging
import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import path

pytestmark = pytest.mark.django_db


def test_the_deploy_check_passes_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "off",
        "SECRET_KEY": "x" * 20 + "production-secret-for-the-deploy-check-only-1234567890",
        "ALLOWED_HOSTS": "kkmp.example.go.id",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    env.update(DEBUG="off", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS must be set" in result.stderr


@pytest.mark.parametrize("url", ["/", "/anggota/", "/anggota/baru/", "/masuk/"])
def test_pages_send_a_csp_without_inline_script_and_use_none(officer_client, url):
    response = officer_client.get(url)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> in the page"
    assert " style=" not in html, "inline style attribute in the page"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_of_a_signed_in_user_are_not_cached(officer_client):
    assert officer_client.get("/anggota/")["Cache-Control"] == "no-store"


def test_every_response_carries_a_request_id(client):
    response = client.get("/masuk/")
    assert re.fullmatch(r"[0-9a-f]{12}", response["X-Request-ID"])


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]
handler500 = "kkmp.views.server_error"  # as in kkmp.urls


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_shows_a_friendly_page_with_the_request_id_and_logs_once(client, caplog):
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Maaf, terjadi kesalahan" in body and "Traceback" not in body and "boom" not in body
    assert response["X-Request-ID"] in body
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].request_id == response["X-Request-ID"]


@pytest.mark.parametrize("password", ["kkmpbalikpapan", "Balikpapan2025!", "Koperasi-Merah-Putih-1", "password12345"])
def test_context_and_common_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_strong_password_is_accepted():
    validate_password("lumba-lumba teluk kariangau")
