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
    user = UserFactory(username="dkumkmp")
    user.groups.add(roles[REVIEWER_GROUP])
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
