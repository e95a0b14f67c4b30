import pytest
from django.test import Client
from django.utils import translation

from members.services import OFFICER_GROUP
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _english():
    """The English source strings, in pages (/en/ URLs) and in the services' messages."""
    with translation.override("en"):
        yield


@pytest.fixture
def officer_b(roles, kelurahan_b):
    """An officer of kelurahan B, who must not reach kelurahan A's cooperative."""
    user = UserFactory(username="pengurus.b")
    user.groups.add(roles[OFFICER_GROUP])
    kelurahan_b.officers.add(user)
    return user


@pytest.fixture
def officer_b_client(officer_b):
    client = Client()
    client.force_login(officer_b)
    return client
