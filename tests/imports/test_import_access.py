"""Imports are for admins (superusers) only, on every page (issue 10, point 4).

A staff account given every import permission still sees no batch, no preview with full
numbers, no other admin's error file, and cannot confirm or undo."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, reverse

from imports import urls as import_urls
from imports.models import ImportBatch
from members.models import Household
from tests.factories import UserFactory, make_nik, make_no_kk
from tests.files import write_csv

pytestmark = pytest.mark.django_db

HEADER = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga"]


@pytest.fixture
def staff_importer(roles):
    user = UserFactory(username="staf.impor", is_staff=True)
    user.groups.add(*roles.values())
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["imports", "members"]))
    return user


@pytest.fixture
def ready_batch(admin_client_, tmp_path, kelurahan_a):
    path = write_csv(tmp_path / "kk.csv", [HEADER, ["64.71.05.1002", make_no_kk(1), "Ani", make_nik(1)], ["64.71.05.1002", "123", "Budi", make_nik(2)]])
    with open(path, "rb") as fh:
        admin_client_.post(reverse("imports:import_create"), {"kind": "households", "file": fh})
    admin_client_.logout()
    return ImportBatch.objects.latest("pk")


def every_url(batch):
    for pattern in import_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        kwargs = {}
        for name in pattern.pattern.converters:
            kwargs[name] = {"pk": batch.pk, "kind": "households", "fmt": "csv"}[name]
        yield pattern, reverse(f"imports:{pattern.name}", kwargs=kwargs)


def test_every_import_view_is_behind_the_one_rule():
    """Fail closed: a view added to imports/urls.py without `admins_only` fails here."""
    for pattern in import_urls.urlpatterns:
        view = pattern.callback
        while not getattr(view, "admins_only", False) and hasattr(view, "__wrapped__"):
            view = view.__wrapped__
        assert getattr(view, "admins_only", False), pattern.name


def test_a_staff_importer_is_refused_on_every_import_page(client, staff_importer, ready_batch):
    client.force_login(staff_importer)
    for pattern, url in every_url(ready_batch):
        for response in (client.get(url), client.post(url)):
            assert response.status_code in (403, 405), (pattern.name, response.status_code)
            assert make_nik(1).encode() not in response.content
    ready_batch.refresh_from_db()
    assert ready_batch.status == ImportBatch.Status.INVALID
    assert not Household.objects.exists()
    assert "/impor/" not in client.get("/").content.decode()  # no menu link either


def test_the_admin_still_opens_every_import_page(client, admin_user, ready_batch):
    client.force_login(admin_user)
    for pattern, url in every_url(ready_batch):
        if pattern.name in ("import_commit", "import_undo"):
            continue
        assert client.get(url).status_code == 200, pattern.name
