"""The error pages and their log lines (issue 24): the 500 page is ours, with the security
headers and the request id, even when the database is down (it reads neither the session nor
the database), and the 404 and 403 warnings of `django.request` carry the request id, in the
log format of the settings (kkmp/views.py, kkmp/middleware.py)."""

import io
import logging
import socket

import pytest
from django.db import connection
from django.http import HttpResponseForbidden
from django.test import Client, override_settings
from django.urls import path

from kkmp.middleware import RequestIdFilter
from kkmp.urls import urlpatterns as site_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """The lines the settings' console handler writes (its filter and its formatter)."""
    root = logging.getLogger()
    console = next(h for h in root.handlers if any(isinstance(f, RequestIdFilter) for f in h.filters))
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.filters = list(console.filters)
    handler.setFormatter(console.formatter)
    root.addHandler(handler)
    yield lambda: out.getvalue()
    root.removeHandler(handler)


def assert_our_error_page(response, lines):
    """Our 500 page, headers and request id, and the error logged once, in our format."""
    assert response.status_code == 500
    body = response.content.decode()
    request_id = response["X-Request-ID"]
    assert "Maaf, terjadi kesalahan" in body and request_id in body and "Traceback" not in body
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    errors = [line for line in lines.splitlines() if " ERROR " in line]
    assert len(errors) == 1
    assert f"ERROR django.request [{request_id}] Internal Server Error: /anggota/" in errors[0]


def test_the_500_page_is_ours_when_every_query_fails(officer_client, log_lines):
    """The database driver fails every statement, as when the server has gone away: the
    session, the user and the menu cannot be read."""

    def gone(execute, sql, params, many, context):
        raise connection.Database.OperationalError("server closed the connection unexpectedly")

    officer_client.raise_request_exception = False
    with connection.execute_wrapper(gone):
        response = officer_client.get("/anggota/")
    assert_our_error_page(response, log_lines())
    assert "OperationalError: server closed the connection unexpectedly" in log_lines()


@pytest.mark.django_db(transaction=True)
def test_the_500_page_is_ours_when_the_database_server_cannot_be_reached(officer, log_lines):
    """PostgreSQL refusing connections (stopped, restarting): every connection attempt fails,
    as it does in production, where each request connects anew (CONN_MAX_AGE 0)."""
    if connection.vendor != "postgresql":
        pytest.skip("an in-memory SQLite database cannot be made unreachable")
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port))
    try:
        response = client.get("/anggota/")
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert_our_error_page(response, log_lines())
    assert "OperationalError" in log_lines()


def test_a_404_warning_carries_the_request_id(officer_client, log_lines):
    response = officer_client.get("/tidak-ada/")
    assert response.status_code == 404
    assert f"WARNING django.request [{response['X-Request-ID']}] Not Found: /tidak-ada/" in log_lines()


def test_a_404_warning_carries_the_trusted_proxys_request_id_too(officer_client, log_lines, settings):
    settings.KKMP_TRUSTED_PROXY_HOPS = 1
    response = officer_client.get("/tidak-ada/", HTTP_X_REQUEST_ID="9f86d081884c7d659a2feaa0c55ad015")
    assert (f"WARNING django.request [{response['X-Request-ID']} proxy=9f86d081884c7d659a2feaa0c55ad015] "
            "Not Found: /tidak-ada/") in log_lines()


def _forbidden(request):
    return HttpResponseForbidden("no")


urlpatterns = [path("dilarang/", _forbidden), *site_urls]


@override_settings(ROOT_URLCONF=__name__)
def test_a_403_warning_carries_the_request_id_whether_returned_or_raised(officer_client, log_lines):
    returned = officer_client.get("/dilarang/")  # a view's own 403 response
    raised = officer_client.get("/impor/")  # PermissionDenied: imports are for admins only
    assert returned.status_code == raised.status_code == 403
    lines = log_lines()
    assert f"WARNING django.request [{returned['X-Request-ID']}] Forbidden: /dilarang/" in lines
    assert f"WARNING django.request [{raised['X-Request-ID']}] Forbidden (Permission denied): /impor/" in lines
    assert "Traceback" not in lines and "PermissionDenied" not in lines  # a refusal, not a fault
