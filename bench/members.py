"""Member search at a national-city scale (called by bench/run.py, or alone:
`.venv/bin/python bench/members.py`).

Recreates its own database (`BENCH_MEMBERS_DB`, default `kkmp_bench_members`, on the server of
BENCH_DATABASE_URL), migrates it, loads the Balikpapan regions and COPYs in
`BENCH_SEARCH_MEMBERS` members (default 1,000,000) with half as many households, fixed seed.
Then times the member list as the page runs it (the page of 25 and the paginator's count, capped
at 10,000), for an
officer of the largest kelurahan and for a reviewer who reads every kelurahan: median of 7 runs.
Prints a Markdown table; the target is < 50 ms per search.
"""

import io
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_URL = SERVER.rsplit("/", 1)[0] + "/" + os.environ.get("BENCH_MEMBERS_DB", "kkmp_bench_members")
N = int(os.environ.get("BENCH_SEARCH_MEMBERS", 1_000_000))
RUNS = 7

FIRST = ("Siti Ahmad Muhammad Nur Dewi Budi Agus Sri Rina Andi Eko Wahyu Putri Fajar Hendra Indah "
         "Joko Kartika Lestari Made Nyoman Rizky Yusuf Fitri Hadi Ratna Bambang Teguh Yanti Rahmat").split()
LAST = ("Aminah Saputra Rahman Hidayat Santoso Wijaya Kurniawan Lestari Pratama Setiawan Nugroho "
        "Susanto Gunawan Siregar Nasution Harahap Sinaga Daeng Baso Latif Ramli Syamsuddin Anwar "
        "Hasan Basri Effendi Sulaiman Ismail Yunus Hamzah").split()


SYLLABLES = ("su ri ya di man to no har ja ti wa ra ni ka sa ba da la ma na pa ta ya ha ga "
             "ru mi lu bi ko de se fa ze an in un ar ir ur el al ol ad id us is as").split()


def made_up(rng):
    """A name of 2-4 syllables: real registers hold thousands of distinct names."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def psql(sql, url=SERVER):
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def manage(*args):
    env = {**os.environ, "DATABASE_URL": DB_URL, "DEBUG": "on"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def copy(cursor, table, columns, rows):
    """COPY in PostgreSQL's text format: None is NULL, "" an empty string (no value here holds
    a tab, newline or backslash)."""
    buffer = io.StringIO()
    buffer.writelines("\t".join("\\N" if v is None else str(v) for v in row) + "\n" for row in rows)
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def generate():
    """Households and members straight into the tables with COPY (indexes in place, as in
    production). Identity numbers are valid and unique by construction."""
    import psycopg2

    rng = random.Random(4)
    conn = psycopg2.connect(DB_URL)
    cursor = conn.cursor()
    cursor.execute("SELECT k.id, k.kode FROM kelurahan_kelurahan k ORDER BY k.kode")
    kelurahan = cursor.fetchall()
    kode_of = dict(kelurahan)
    weights = [rng.uniform(0.3, 1.7) for _ in kelurahan]
    now = "2025-11-01 08:00:00+08"
    n_households = max(N // 2, 1)
    households = []
    for i in range(n_households):
        kel_id, kode = rng.choices(kelurahan, weights)[0]
        recorded = date(2005, 1, 1) + timedelta(days=(i * 7919) % 7000)
        no_kk = f"{kode.replace('.', '')[:6]}{recorded:%d%m%y}{i // 7000 + 1:04d}"
        households.append((i + 1, no_kk, kel_id, "", "", f"Jl. Bench {i}", f"{rng.randint(1, 50):03d}", "", now, now))
    start = time.perf_counter()
    copy(cursor, "members_household",
         ["id", "no_kk", "kelurahan_id", "head_name", "head_nik", "address", "rt", "rw", "created_at", "updated_at"],
         households)
    seqs, rows = {}, []
    for i in range(N):
        hh = households[i % n_households]
        kel_id = hh[2]
        kode = kode_of[kel_id]
        female = i % 2 == 1
        born = date(1950, 1, 1) + timedelta(days=(i * 7919) % 20000)
        nik = f"{kode.replace('.', '')[:6]}{born.day + (40 if female else 0):02d}{born:%m%y}{i // 20000 + 1:04d}"
        joined = date(2025, 8, 1) + timedelta(days=rng.randint(0, 120))
        roll = rng.random()
        status, left_on = ("aktif", "") if roll < 0.92 else ("calon", "") if roll < 0.95 else ("keluar", joined + timedelta(days=20))
        seqs[kel_id] = seqs.get(kel_id, 0) + 1
        rows.append((
            nik, f"{rng.choice(FIRST)} {made_up(rng)} {rng.choice(LAST)}", "P" if female else "L", born, kel_id,
            hh[0], i < n_households, "", "WNI", False, "", hh[5], kel_id, hh[6], "", status, left_on or None,
            joined, seqs[kel_id], f"{kode}-{seqs[kel_id]:05d}", now, now,
        ))
    columns = ["nik", "name", "sex", "birth_date", "kelurahan_id", "household_id", "is_head_of_household", "phone",
               "citizenship", "is_married", "ktp_address", "domicile_address", "domicile_kelurahan_id",
               "domicile_rt", "domicile_rw", "status", "left_on", "joined_on", "member_seq", "member_number",
               "created_at", "updated_at"]
    for begin in range(0, N, 100_000):
        copy(cursor, "members_member", columns, rows[begin:begin + 100_000])
    cursor.execute("SELECT setval(pg_get_serial_sequence('members_household', 'id'), %s)", [n_households])
    conn.commit()
    conn.autocommit = True
    cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table in production
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def timed(fn):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure():
    os.environ["DATABASE_URL"] = DB_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kkmp.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count

    from kelurahan.models import Kelurahan, RegionGrant
    from members.models import Member
    from members.services import OFFICER_GROUP, REVIEWER_GROUP, ensure_roles
    from members.views import MemberPaginator

    groups = ensure_roles()
    User = get_user_model()
    officer, _ = User.objects.get_or_create(username="bench.officer")
    officer.groups.add(groups[OFFICER_GROUP])
    biggest = Member.objects.values("kelurahan").annotate(n=Count("pk")).order_by("-n").first()
    kelurahan = Kelurahan.objects.get(pk=biggest["kelurahan"])
    kelurahan.officers.add(officer)
    own = Member.objects.filter(kelurahan=kelurahan).order_by("pk")[100]
    reviewer, _ = User.objects.get_or_create(username="bench.reviewer")
    reviewer.groups.add(groups[REVIEWER_GROUP])
    RegionGrant.objects.get_or_create(user=reviewer)  # national: every kelurahan of the bench
    other = Member.objects.exclude(kelurahan=kelurahan).order_by("pk")[N // 3]  # outside the officer's

    def page(user, q="", sort="", **filters):
        members = Member.objects.for_user(user).for_list().search(q).filtered(**filters).sorted_by(sort)
        found = MemberPaginator(members).get_page(1)
        list(found)
        return found.paginator.count

    cases = [
        ("NIK, exact", {"q": own.nik}),
        ("NIK, first 12 digits", {"q": own.nik[:12]}),
        ("KK number, exact", {"q": own.household.no_kk}),
        ("name, full", {"q": own.name}),
        ("name, one word (a common first name)", {"q": own.name.split()[0]}),
        ("name, one word (rarer)", {"q": own.name.split()[1]}),
        ("status aktif, RT 007, joined Sept 2025", {"status": "aktif", "rt": "7", "joined_month": date(2025, 9, 1)}),
        ("list sorted by name", {"sort": "name"}),
        ("list, default order (member number)", {}),
    ]
    results = []
    for who, user in (("officer", officer), ("reviewer", reviewer)):
        for name, params in cases:
            if who == "reviewer" and params.get("q") in (own.nik, own.household.no_kk):
                params = {"q": other.nik if params["q"] == own.nik else other.household.no_kk}
            found = page(user, **params)
            results.append((who, name, found, timed(lambda: page(user, **params))))
    connection.close()
    return kelurahan, results


def run(reuse=False):
    """`reuse`: time the searches on the database a previous run filled (`--reuse`)."""
    if reuse:
        manage("migrate", "--noinput")
        load_seconds = 0
    else:
        psql(f"DROP DATABASE IF EXISTS {DB_URL.rsplit('/', 1)[1]}")
        psql(f"CREATE DATABASE {DB_URL.rsplit('/', 1)[1]}")
        manage("migrate", "--noinput")
        manage("load_regions")
        load_seconds = generate()
    kelurahan, results = measure()
    lines = [
        f"\n| member search, {N:,} members ({kelurahan.nama}: {kelurahan.members.count():,}) | found | median ms |",
        "|---|---:|---:|",
    ]
    lines += [f"| {who}: {name} | {found:,} | {ms:.1f} |" for who, name, found, ms in results]
    if load_seconds:
        lines.append(f"\nCOPY of {N:,} members and {N // 2:,} households (indexes in place): {load_seconds:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(reuse="--reuse" in sys.argv))
