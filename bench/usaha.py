"""The business units at a busy outlet's scale (called by bench/run.py, or alone:
`.venv/bin/python bench/usaha.py`).

Recreates its own database (`BENCH_USAHA_DB`, default `kkmp_bench_usaha`, on the server of
BENCH_DATABASE_URL), migrates it, loads the Balikpapan regions, and writes an LPG 3 kg outlet
with `BENCH_USAHA_SALES` sales (default 100,000) over the past year, 30% of them to members,
with the ledger, the daily book's days and the units' months exactly as `usaha.services` keeps
them (written in bulk, fixed seed); every other kelurahan of the city gets a unit with a year
of months, so the city dashboard has units on it. Then times, as the server answers them
(Django's test client, middleware and templates included, median of 15 runs): the daily book
and the monthly logbook pages, recording a sale (the POST of the sale form), and the city
dashboard. Prints a Markdown table; targets: pages < 50 ms, a sale < 30 ms.
"""

import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_URL = SERVER.rsplit("/", 1)[0] + "/" + os.environ.get("BENCH_USAHA_DB", "kkmp_bench_usaha")
SALES = int(os.environ.get("BENCH_USAHA_SALES", 100_000))
MEMBERS = 500
RUNS = 15


def psql(sql, url=SERVER):
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def manage(*args):
    env = {**os.environ, "DATABASE_URL": DB_URL, "DEBUG": "on"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def nik(serial, region="647105"):
    born = date(1960, 1, 1) + timedelta(days=serial % 15000)
    return f"{region}{born:%d%m%y}{serial % 9999 + 1:04d}"


def timed(fn):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def generate(today):
    """The outlet, its members and a year of sales; units with months in every kelurahan."""
    from kelurahan.models import Kelurahan
    from members.models import Member
    from members.services import register_member
    from usaha.models import BusinessUnit, Het, Product, StockDay, StockEntry, UnitMonth

    rng = random.Random(22)
    kelurahan = list(Kelurahan.objects.select_related("kecamatan").order_by("kode"))
    home = kelurahan[0]
    Het.objects.create(kabupaten_kota=home.kecamatan.kabupaten_kota, price=19_000, valid_from=date(2020, 1, 1), source="bench")
    members = [register_member(kelurahan=home, nik=nik(i), name=f"Anggota {i}", joined_on=today - timedelta(days=400),
                               no_kk=nik(i + 50_000), status=Member.Status.AKTIF) for i in range(MEMBERS)]
    unit = BusinessUnit.objects.create(kelurahan=home, name="Outlet LPG 3 kg", kind="lpg", household_limit=3,
                                       limit_period="bulan", started_on=today - timedelta(days=400))
    product = Product.objects.create(unit=unit, name="LPG 3 kg", unit_label="tabung", is_lpg_3kg=True, member_price=18_000,
                                     non_member_price=19_000, unit_cost=16_000)
    first = today - timedelta(days=364)
    per_day = [SALES // 365 + (1 if i < SALES % 365 else 0) for i in range(365)]
    entries, days, months, seq, stock, empties = [], [], {}, 0, 0, 0
    for index in range(365):
        day = first + timedelta(days=index)
        delivered = per_day[index] + 5
        seq += 1
        entries.append(StockEntry(unit=unit, product=product, kelurahan=home, type="masuk", on=day, quantity=delivered,
                                  price=16_000, amount=delivered * 16_000, cost=delivered * 16_000, receipt_seq=seq,
                                  receipt_number=StockEntry.format_receipt(unit, seq), supplier="Agen", delivery_note=f"SJ-{seq}",
                                  empties_out=empties))
        opening, empties, stock = stock, 0, stock + delivered
        sold = 0
        for _i in range(per_day[index]):
            seq += 1
            sold += 1
            member = members[rng.randrange(MEMBERS)] if rng.random() < 0.3 else None
            price = 18_000 if member else 19_000
            entries.append(StockEntry(unit=unit, product=product, kelurahan=home, type="jual", on=day, quantity=-1,
                                      price=price, amount=price, cost=16_000, member=member,
                                      buyer_nik=member.nik if member else nik(rng.randrange(100_000, 130_000), "647101"),
                                      buyer_name=member.name if member else "", no_kk="", is_member_price=bool(member),
                                      receipt_seq=seq, receipt_number=StockEntry.format_receipt(unit, seq)))
            month = months.setdefault(day.replace(day=1), [0, 0, 0, 0, 0, 0])
            month[0] += 1
            month[1] += 1
            month[2] += price
            month[3] += 16_000
            month[4] += 1 if member else 0
            month[5] += price if member else 0
        stock -= sold
        empties += sold
        days.append(StockDay(product=product, day=day, stock_in=delivered, stock_out=sold, closing=stock))
        assert opening + delivered - sold == stock
    StockEntry.objects.bulk_create(entries, batch_size=5000)
    StockDay.objects.bulk_create(days, batch_size=5000)
    UnitMonth.objects.bulk_create([UnitMonth(unit=unit, kelurahan=home, month=m, sales=v[0], quantity=v[1], turnover=v[2],
                                             cost=v[3], member_sales=v[4], member_turnover=v[5]) for m, v in months.items()])
    Product.objects.filter(pk=product.pk).update(stock=stock + 10_000, empties=empties)
    BusinessUnit.objects.filter(pk=unit.pk).update(receipt_seq=seq)
    for other in kelurahan[1:]:
        for name in ("Outlet LPG", "Sembako"):
            other_unit = BusinessUnit.objects.create(kelurahan=other, name=name, kind="lpg" if "LPG" in name else "sembako",
                                                     started_on=first)
            UnitMonth.objects.bulk_create([UnitMonth(unit=other_unit, kelurahan=other, month=m, sales=300, quantity=300,
                                                     turnover=5_700_000, cost=4_800_000, member_sales=100,
                                                     member_turnover=1_800_000) for m in months])
    return unit, product, sum(1 for e in entries if e.type == "jual")


def measure(reuse=False):
    os.environ["DATABASE_URL"] = DB_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kkmp.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from kelurahan.models import Kelurahan
    from members.services import OFFICER_GROUP, REVIEWER_GROUP, ensure_roles
    from usaha import services
    from usaha.queries import business_figures

    settings.ALLOWED_HOSTS = ["*"]
    setup_test_environment()
    today = timezone.localdate()
    start = time.perf_counter()
    if reuse:
        from usaha.models import BusinessUnit, StockEntry

        unit = BusinessUnit.objects.get(name="Outlet LPG 3 kg")
        product, sales = unit.products.get(), StockEntry.objects.filter(unit=unit, type="jual").count()
    else:
        unit, product, sales = generate(today)
    load_seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load; the plans need the statistics
    groups = ensure_roles()
    User = get_user_model()
    officer, _created = User.objects.get_or_create(username="bench.officer")
    officer.groups.add(groups[OFFICER_GROUP])
    unit.kelurahan.officers.add(officer)
    reviewer, _created = User.objects.get_or_create(username="bench.reviewer")
    reviewer.groups.add(groups[REVIEWER_GROUP])
    as_officer, as_reviewer = Client(), Client()
    as_officer.force_login(officer)
    as_reviewer.force_login(reviewer)
    month = today.strftime("%Y-%m")
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    def get(client, url):
        def read():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return read

    serial = iter(range(200_000, 300_000))

    def sale():
        response = as_officer.post(f"/usaha/unit/{unit.pk}/jual/", {
            "product": product.pk, "buyer": nik(next(serial), "647102"), "quantity": "1", "form_key": str(uuid.uuid4())})
        assert response.status_code == 302, response.content[:2000]

    cases = [
        ("daily book, this month (officer)", get(as_officer, f"/usaha/unit/{unit.pk}/buku-harian/?bulan={month}")),
        ("daily book, last month (reviewer)", get(as_reviewer, f"/usaha/unit/{unit.pk}/buku-harian/?bulan={last_month}")),
        ("LPG logbook, last month, page 1 (officer)", get(as_officer, f"/usaha/unit/{unit.pk}/logbook/?bulan={last_month}")),
        ("LPG logbook, last month, page 40 (reviewer, masked)",
         get(as_reviewer, f"/usaha/unit/{unit.pk}/logbook/?bulan={last_month}&halaman=40")),
        ("the unit's page (year figures)", get(as_officer, f"/usaha/unit/{unit.pk}/")),
        ("sales per member, this year", get(as_officer, f"/usaha/unit/{unit.pk}/penjualan-anggota/")),
        ("recording a sale (POST of the sale form)", sale),
        ("recording a sale (`usaha.services.record_sale` alone)",
         lambda: services.record_sale(unit=unit, product=product, quantity=1, buyer=nik(next(serial), "647102"))),
        ("city dashboard with 67 units (officer)", get(as_officer, "/")),
        ("city dashboard with 67 units (reviewer)", get(as_reviewer, "/")),
        ("the dashboard's business figures alone (`usaha.queries.business_figures`, 2 queries)",
         lambda: business_figures(Kelurahan.objects.filter(kecamatan__kabupaten_kota__kode="64.71"), today)),
    ]
    for _name, fn in cases:
        fn()  # warm: the session's first visit, the content types
    results = [(name, timed(fn)) for name, fn in cases]
    connection.close()
    return sales, load_seconds, results


def run(reuse=False):
    """`reuse`: time again on the database a previous run filled (`--reuse`)."""
    if reuse:
        manage("migrate", "--noinput")
    else:
        psql(f"DROP DATABASE IF EXISTS {DB_URL.rsplit('/', 1)[1]}")
        psql(f"CREATE DATABASE {DB_URL.rsplit('/', 1)[1]}")
        manage("migrate", "--noinput")
        manage("load_regions")
    sales, load_seconds, results = measure(reuse)
    lines = [f"\n| business units: an LPG outlet with {sales:,} sales in a year | median ms | target |", "|---|---:|---:|"]
    lines += [f"| {name} | {ms:.1f} | {'< 30' if 'recording' in name else '< 50'} |" for name, ms in results]
    lines.append(f"\nWriting the year's ledger in bulk: {load_seconds:.0f} s; load average {os.getloadavg()[0]:.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(reuse="--reuse" in sys.argv))
