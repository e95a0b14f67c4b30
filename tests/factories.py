"""One factory per model. Identity numbers are valid by construction (see members.identity)."""

from datetime import date

import factory
from django.contrib.auth import get_user_model

from kelurahan.models import (
    HouseholdCount,
    KabupatenKota,
    Kecamatan,
    Kelurahan,
    Provinsi,
)
from members.models import Household, Member


def make_nik(serial, *, region="647105", day=12, month=3, yy=90, female=False):
    """A valid NIK: region, DDMMYY (day + 40 for women), serial from 0001."""
    return f"{region}{day + (40 if female else 0):02d}{month:02d}{yy:02d}{serial:04d}"


def make_no_kk(serial, *, region="647105", day=5, month=6, yy=15):
    return f"{region}{day:02d}{month:02d}{yy:02d}{serial:04d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("rahasia-uji-123")


class ProvinsiFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provinsi
        django_get_or_create = ("kode",)

    kode = "64"
    nama = "Kalimantan Timur"


class KabupatenKotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KabupatenKota
        django_get_or_create = ("kode",)

    provinsi = factory.SubFactory(ProvinsiFactory)
    kode = "64.71"
    nama = "Kota Balikpapan"


class KecamatanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kecamatan
        django_get_or_create = ("kode",)

    kabupaten_kota = factory.SubFactory(KabupatenKotaFactory)
    kode = factory.Sequence(lambda n: f"64.71.{n % 90 + 10:02d}")
    nama = factory.Sequence(lambda n: f"Kecamatan {n}")


class KelurahanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kelurahan
        django_get_or_create = ("kode",)

    kecamatan = factory.SubFactory(KecamatanFactory)
    kode = factory.LazyAttributeSequence(lambda o, n: f"{o.kecamatan.kode}.{2001 + n}")
    nama = factory.Sequence(lambda n: f"Kelurahan {n}")


class HouseholdCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdCount

    kelurahan = factory.SubFactory(KelurahanFactory)
    count = 100
    as_of = date(2025, 6, 30)
    source = "DKB Semester I 2025"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    no_kk = factory.Sequence(lambda n: make_no_kk(n + 1))
    kelurahan = factory.SubFactory(KelurahanFactory)
    head_name = factory.Faker("name", locale="id_ID")
    rt = "001"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    nik = factory.Sequence(lambda n: make_nik(n + 1))
    name = factory.Faker("name", locale="id_ID")
    kelurahan = factory.SubFactory(KelurahanFactory)
    household = factory.SubFactory(HouseholdFactory, kelurahan=factory.SelfAttribute("..kelurahan"))
    joined_on = date(2025, 9, 1)
    member_seq = factory.Sequence(lambda n: n + 1)
    member_number = factory.LazyAttribute(lambda o: Member.format_number(o.kelurahan, o.member_seq))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Saved as the services save: the dashboard's counters follow (dashboard/counters.py)."""
        from dashboard import counters

        member = super()._create(model_class, *args, **kwargs)
        counters.refresh([member.kelurahan_id])
        return member


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application to join, as the public join page stores it."""

    class Meta:
        model = "members.Application"

    kelurahan = factory.SubFactory(KelurahanFactory)
    name = factory.Faker("name", locale="id_ID")
    nik = factory.Sequence(lambda n: make_nik(n + 5001))
    no_kk = factory.Sequence(lambda n: make_no_kk(n + 5001))
    phone = "081234567890"
    rt = "007"
    address = "Jl. Mawar No. 1"
    consent_version = "2025-10-v1"
    consented_at = factory.LazyFunction(lambda: __import__("django.utils.timezone", fromlist=["now"]).now())
    address_key = "test"
