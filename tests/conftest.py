import logging
import re

import pytest
from django.contrib.auth.models import Group

from members.services import OFFICER_GROUP, REVIEWER_GROUP, ensure_roles

from .factories import KecamatanFactory, KelurahanFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_and_simple(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.KKMP_TARGET_PERCENT = 10
    settings.LANGUAGE_CODE = "id"
    # Uploaded files and import progress in a temporary folder; tasks run at once.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {
        **settings.CACHES,
        "imports": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "import-progress"),
        },
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def roles(db):
    ensure_roles()
    return {g.name: g for g in Group.objects.all()}


@pytest.fixture
def kelurahan_a(db):
    kecamatan = KecamatanFactory(kode="64.71.05", nama="Balikpapan Selatan")
    return KelurahanFactory(kecamatan=kecamatan, kode="64.71.05.1002", nama="Sepinggan")


@pytest.fixture
def kelurahan_b(db):
    kecamatan = KecamatanFactory(kode="64.71.01", nama="Balikpapan Timur")
    return KelurahanFactory(kecamatan=kecamatan, kode="64.71.01.1001", nama="Manggar")


@pytest.fixture
def officer(roles, kelurahan_a):
    """An officer (pengurus) of kelurahan A."""
    user = UserFactory(username="pengurus.a")
    user.groups.add(roles[OFFICER_GROUP])
    kelurahan_a.officers.add(user)
    return user


@pytest.fixture
def reviewer(roles):
    """A DKUMKMP reviewer with a national grant (`RegionGrant` without a region)."""
    from kelurahan.models import RegionGrant

    user = UserFactory(username="dkumkmp")
    user.groups.add(roles[REVIEWER_GROUP])
    RegionGrant.objects.create(user=user)
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


class _LogScanner(logging.Handler):
    """Collects every log record of a test, as the production log would hold it."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append(record.getMessage())
        except Exception:  # a broken format string is not what this guard is about
            pass


SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


@pytest.fixture(autouse=True)
def _no_full_nik_in_logs():
    """UU 27/2022: a full NIK or KK number never reaches the logs. Every test of the suite is
    watched; a log line with a 16-digit number fails the test that wrote it."""
    scanner = _LogScanner()
    root = logging.getLogger()
    root.addHandler(scanner)
    try:
        yield
    finally:
        root.removeHandler(scanner)
    leaked = [line for line in scanner.lines if SIXTEEN_DIGITS.search(line)]
    assert not leaked, f"full NIK/KK numbers in the log: {leaked[:3]}"
