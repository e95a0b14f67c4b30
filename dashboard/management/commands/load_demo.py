"""Load the regions, clearly labelled demo data and demo accounts. Safe to run again.

Demo people and numbers are invented (fixed seed); household counts carry the source
"DEMO" so nobody mistakes them for Disdukcapil figures. So that the dashboard has something to
show (pace, KK gained this week, statuses, the trend), the demo members joined over the 60 days
before the first load, the demo household counts are small, and a DEMO campaign runs from 60
days before the first load to 30 days after it.
"""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from dashboard.models import Campaign
from kelurahan.models import HouseholdCount, KabupatenKota, Kelurahan, RegionGrant
from koperasi import simpanan
from koperasi.models import Attendance, Decision, Meeting, month_index
from members.models import Household, Member
from members.services import (
    OFFICER_GROUP,
    REVIEWER_GROUP,
    ensure_roles,
    register_member,
)

DEMO_SOURCE = "DEMO (angka contoh)"
DEMO_CAMPAIGN = "DEMO: 10% KK (kampanye contoh)"
DEMO_AS_OF = date(2025, 6, 30)
OFFICER_KELURAHAN = "64.71.05.1002"  # Sepinggan, Balikpapan Selatan
HOUSEHOLDS_PER_KELURAHAN = 40
DEMO_USERS = [
    # username, password, role, description
    ("admin", "kkmp-admin-demo", None, "admin (semua akses, /admin/)"),
    ("dkumkmp", "kkmp-reviu-demo", REVIEWER_GROUP, "peninjau DKUMKMP Kota Balikpapan (baca semua, NIK tersamar)"),
    ("pengurus.sepinggan", "kkmp-pengurus-demo", OFFICER_GROUP, "pengurus KKMP Sepinggan"),
]
GIVEN = [
    "Ahmad", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gusti", "Hendra", "Indah", "Joko",
    "Kartika", "Lestari", "Made", "Nur", "Putri", "Rahmat", "Sari", "Taufik", "Wahyu", "Yuni",
]
FAMILY = [
    "Saputra", "Wijaya", "Hidayat", "Nugroho", "Siregar", "Lubis", "Rahman", "Pratama",
    "Susanto", "Hasibuan", "Kurniawan", "Setiawan", "Gunawan", "Syahputra", "Halim",
]  # fmt: skip
FEMALE = {"Citra", "Dewi", "Fitri", "Indah", "Kartika", "Lestari", "Putri", "Sari", "Yuni", "Nur"}


def _number(region6, day, d, serial):
    return f"{region6}{day:02d}{d.month:02d}{d.year % 100:02d}{serial:04d}"


class Command(BaseCommand):
    help = "Load regions, demo households, members, household counts and demo accounts."

    def handle(self, *args, **options):
        call_command("load_regions", stdout=self.stdout)
        ensure_roles()
        with transaction.atomic():
            self._demo_data()
        self._demo_users()

    def _demo_data(self):
        rng = random.Random(2025)
        today = timezone.localdate()
        Campaign.objects.get_or_create(
            name=DEMO_CAMPAIGN,
            defaults={"percent": 10, "starts_on": today - timedelta(days=60), "deadline": today + timedelta(days=30),
                      "wilayah_kode": "64.71"},
        )
        kelurahan_list = list(Kelurahan.objects.filter(kode__startswith="64.71.").order_by("kode"))
        for k_index, kel in enumerate(kelurahan_list):
            region6 = kel.kode.replace(".", "")[:6]
            count = rng.randint(60, 320)  # small, so that some kelurahan reach 10% with demo members
            HouseholdCount.objects.get_or_create(
                kelurahan=kel, as_of=DEMO_AS_OF, defaults={"count": count, "source": DEMO_SOURCE}
            )
            if Household.objects.filter(kelurahan=kel).exists():
                continue  # demo households already loaded
            joined_base = today - timedelta(days=60)
            members_here = rng.randint(2, 30)
            for h in range(HOUSEHOLDS_PER_KELURAHAN):
                serial = k_index * 100 + h + 1
                recorded = date(2012, 1, 1) + timedelta(days=rng.randint(0, 4000))
                head_given = rng.choice(GIVEN)
                born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 14000))
                day = born.day + (40 if head_given in FEMALE else 0)
                nik = _number(region6, day, born, serial)
                no_kk = _number(region6, recorded.day, recorded, serial)
                name = f"{head_given} {rng.choice(FAMILY)} (DEMO)"
                Household.objects.create(
                    no_kk=no_kk,
                    kelurahan=kel,
                    head_name=name,
                    head_nik=nik,
                    address=f"Jl. Contoh No. {h + 1}",
                    rt=f"{rng.randint(1, 40):03d}",
                )
                if h < members_here and not Member.objects.filter(nik=nik).exists():
                    member = register_member(
                        kelurahan=kel,
                        nik=nik,
                        name=name,
                        sex="P" if head_given in FEMALE else "L",
                        birth_date=born,
                        no_kk=no_kk,
                        is_head_of_household=True,
                        joined_on=joined_base + timedelta(days=rng.randint(0, 60)),
                    )
                    self._demo_simpanan(member, rng, today)
            if kel.kode == OFFICER_KELURAHAN:
                self._demo_rat(kel, today)
                self._demo_business(kel, rng)

    def _demo_simpanan(self, member, rng, today):
        """The simpanan pokok on joining; the simpanan wajib of every month since from four
        members in five (the others have not paid yet)."""
        simpanan.record_payment(member=member, kind="pokok", paid_on=member.joined_on)
        if rng.random() < 0.8:
            months = month_index(today) - month_index(member.joined_on) + 1
            simpanan.record_payment(member=member, kind="wajib", months=months, paid_on=today,
                                    method=rng.choice(["tunai", "transfer", "qris"]))

    def _demo_rat(self, kelurahan, today):
        """A RAT held a week ago, attended by every member active then: the dashboard's
        "RAT this year" and a meeting page with its minutes to look at."""
        held_on = today - timedelta(days=7)
        if today.year != held_on.year:
            return
        meeting = Meeting.objects.create(kelurahan=kelurahan, kind=Meeting.Kind.RAT, held_on=held_on,
                                         place="Balai Kelurahan (DEMO)", agenda="Laporan pengurus\nRencana kerja (DEMO)")
        Attendance.objects.bulk_create(Attendance(meeting=meeting, member=m) for m in meeting.eligible())
        present = meeting.attendance.count()
        if present:
            Decision.objects.create(meeting=meeting, subject="Rencana kerja disetujui (DEMO)", votes_for=present)

    def _demo_business(self, kelurahan, rng):
        """An LPG 3 kg outlet and a sembako unit with a delivery and some sales today (to
        members and to residents by NIK): the unit's pages, the logbook and the dashboard's
        business section to look at. The HET is an example, labelled DEMO."""
        from usaha import services as usaha
        from usaha.models import BusinessUnit, Het, Product

        if BusinessUnit.objects.filter(kelurahan=kelurahan).exists():
            return
        today = timezone.localdate()
        Het.objects.get_or_create(kabupaten_kota=kelurahan.kecamatan.kabupaten_kota, valid_from=date(2025, 1, 1),
                                  defaults={"price": 19_000, "source": DEMO_SOURCE})
        outlet = BusinessUnit.objects.create(kelurahan=kelurahan, name="Outlet LPG 3 kg (DEMO)", kind="lpg",
                                             supplier="Pangkalan contoh (DEMO)", household_limit=4, started_on=today)
        lpg = Product.objects.create(unit=outlet, name="LPG 3 kg", unit_label="tabung", is_lpg_3kg=True,
                                     member_price=18_000, non_member_price=19_000)
        shop = BusinessUnit.objects.create(kelurahan=kelurahan, name="Sembako (DEMO)", kind="sembako",
                                           supplier="Bulog (DEMO)", started_on=today)
        rice = Product.objects.create(unit=shop, name="Beras SPHP 5 kg", unit_label="karung", member_price=62_000,
                                      non_member_price=65_000)
        usaha.record_delivery(unit=outlet, product=lpg, quantity=60, cost=60 * 16_000, delivery_note="SJ-DEMO-1")
        usaha.record_delivery(unit=shop, product=rice, quantity=40, cost=40 * 58_000, delivery_note="DO-DEMO-1")
        members = list(Member.objects.filter(kelurahan=kelurahan, status=Member.Status.AKTIF).order_by("member_seq")[:8])
        for member in members:
            usaha.record_sale(unit=outlet, product=lpg, quantity=rng.randint(1, 2), buyer=member.member_number)
            usaha.record_sale(unit=shop, product=rice, quantity=1, buyer=member.member_number)
        for serial in range(1, 6):  # residents who are not members, by NIK
            usaha.record_sale(unit=outlet, product=lpg, quantity=1, buyer=_number("647105", 10 + serial, date(1985, 5, 1), 9000 + serial))
        usaha.record_sale(unit=shop, product=rice, quantity=2)

    def _demo_users(self):
        User = get_user_model()
        groups = ensure_roles()
        self.stdout.write("\nAkun demo (hanya untuk mencoba; ganti atau hapus di produksi):")
        for username, password, role, description in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username=username, password=password)
            if role is None:
                user.is_staff = user.is_superuser = True
                user.save()
            else:
                user.groups.add(groups[role])
            if role == OFFICER_GROUP:
                Kelurahan.objects.get(kode=OFFICER_KELURAHAN).officers.add(user)
            if role == REVIEWER_GROUP:  # the city's DKUMKMP: Kota Balikpapan
                RegionGrant.objects.get_or_create(user=user, kabupaten_kota=KabupatenKota.objects.get(kode="64.71"))
            self.stdout.write(f"  {username:<20} {password:<20} {description}")
