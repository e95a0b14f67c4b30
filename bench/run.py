"""`make bench`: import and dashboard figures on PostgreSQL, printed as a table.

Uses its own database (BENCH_DATABASE_URL, default `kkmp_bench` on the local PostgreSQL),
recreated on every run. Each measured step is a `manage.py` command in a child
process (Django's start-up, ~1 s, included), so its peak memory (max RSS) is its own. Sizes:
BENCH_ROWS households (default 200,000, a city), a per-person extract of BENCH_PEOPLE_KK households
(default 250,000, ~900,000 residents: bench/people.py) and BENCH_MEMBERS members (default 60,000);
fixed seed, files kept in bench-data/. Then bench/members.py (member search at 1,000,000
members), bench/uploads.py (hostile and largest uploads), bench/usaha.py (an LPG outlet with
100,000 sales a year) and bench/pages.py (bytes each page of the officer's and reviewer's paths
transfers; alone: `make bench-pages`) print their own tables.
"""

import csv
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The bench database is the one BENCH_DATABASE_URL names (default kkmp_bench); it is dropped
# and created through the server's `postgres` database.
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kkmp_bench")
SERVER, DB_NAME = DB_URL.rsplit("/", 1)[0] + "/postgres", DB_URL.rsplit("/", 1)[1]
ROWS = int(os.environ.get("BENCH_ROWS", 200_000))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", 60_000))
PEOPLE_KK = int(os.environ.get("BENCH_PEOPLE_KK", 250_000))  # households of the per-person file
WORK = ROOT / "bench-data"
PY = sys.executable


def sh(*args, env_extra=None, may_fail=False):
    """Run a command with the bench database; return (seconds, peak MiB of that child and its
    own children: an XLSX import's isolated reader counts). `may_fail`: a refusal is a result
    (seconds are then negative)."""
    env = {**os.environ, "DATABASE_URL": DB_URL, "DEBUG": "on", **(env_extra or {})}
    start = time.perf_counter()
    child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        if may_fail:
            return -seconds, usage.ru_maxrss / 1024
        raise SystemExit(f"bench step failed: {' '.join(map(str, args))}")
    return seconds, usage.ru_maxrss / 1024


def psql(sql, url=SERVER):
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def households_file(first_day=0, name=None):
    """ROWS households; `first_day` shifts the dates so another file has other numbers."""
    rng = random.Random(2025 + first_day)
    codes = [r["kode_kemendagri"] for r in csv.DictReader(open(ROOT / "kelurahan/data/balikpapan_wilayah.csv"))]
    path = WORK / (name or f"households-{ROWS}.csv")
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"])
        for i in range(ROWS):
            kode = rng.choice(codes)
            region = kode.replace(".", "")[:6]
            # (date, serial) from i: unique numbers, valid dates, no Excel damage
            day_index, serial = divmod(i, 9999)
            day_index += first_day
            recorded = date(2010, 1, 1) + timedelta(days=day_index)
            born = date(1960, 1, 1) + timedelta(days=day_index * 7)
            no_kk = f"{region}{recorded:%d%m%y}{serial + 1:04d}"
            nik = f"{region}{born:%d%m%y}{serial + 1:04d}"
            out.writerow([kode, no_kk, f"Kepala {i}", nik, f"Jl. Bench {i}", rng.randint(1, 50), ""])
    return path


def xlsx_from(csv_path):
    """The same rows as an XLSX, numbers stored as text, as a careful Excel user saves it."""
    path = csv_path.with_suffix(".xlsx")
    if path.exists():
        return path
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    with csv_path.open(newline="") as fh:
        for row in csv.reader(fh):
            sheet.append(row)
    book.save(path)
    return path


def unique_by_kk(path):
    """The benchmark file must have unique KK numbers; drop the rare collisions."""
    seen, rows = set(), []
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        for row in reader:
            if row[1] not in seen:
                seen.add(row[1])
                rows.append(row)
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return len(rows)


def import_step(name, path, rows, *extra, may_fail=False):
    seconds, peak = sh(PY, "manage.py", "import_households", str(path), "--as", "bench", *extra, may_fail=may_fail)
    return (name, rows, seconds, peak)


def reset_households():
    psql("TRUNCATE members_member, members_household, imports_importrowchange, imports_importbatch CASCADE", DB_URL)


def main():
    WORK.mkdir(exist_ok=True)
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    sh(PY, "manage.py", "migrate", "--noinput")
    sh(PY, "manage.py", "load_regions")
    sh(PY, "manage.py", "shell", "-c", "from django.contrib.auth.models import User; User.objects.create_superuser('bench', None, 'bench')")
    path = WORK / f"households-{ROWS}.csv"
    if not path.exists():
        households_file()
    rows = unique_by_kk(path)
    xlsx = xlsx_from(path)

    # A whole city in one per-person file (issue 19): SIAK/DKB's layout, ~3.6 residents per KK.
    sys.path.insert(0, str(Path(__file__).parent))
    from people import people_csv, people_xlsx  # bench/people.py, beside this file

    people = WORK / f"people-{PEOPLE_KK}.csv"
    if not people.exists():
        people_csv(people, PEOPLE_KK)
    residents = sum(1 for _ in people.open()) - 1
    people_book = people.with_suffix(".xlsx")
    if not people_book.exists():
        people_xlsx(people_book, people)
    results = []
    results.append(import_step("SIAK per-person CSV, validate only (residents)", people, residents, "--dry-run"))
    results.append(import_step("SIAK per-person CSV, validate + commit", people, residents))
    reset_households()
    results.append(import_step("SIAK per-person XLSX, validate only", people_book, residents, "--dry-run", may_fail=True))
    results.append(import_step("SIAK per-person XLSX, validate + commit", people_book, residents, may_fail=True))
    reset_households()
    part = WORK / "people-60000.csv"  # a kecamatan's extract, as XLSX
    if not part.exists():
        people_csv(part, 60_000)
    part_book = part.with_suffix(".xlsx")
    if not part_book.exists():
        people_xlsx(part_book, part)
    results.append(import_step("SIAK per-person XLSX, a kecamatan (60,000 KK)", part_book, sum(1 for _ in part.open()) - 1))
    reset_households()

    results += [
        import_step("CSV, validate only", path, rows, "--dry-run"),
        import_step("CSV, validate + commit", path, rows),
        import_step("CSV, re-import unchanged", path, rows),
    ]
    reset_households()
    results.append(import_step("XLSX, validate only", xlsx, rows, "--dry-run"))
    results.append(import_step("XLSX, validate + commit", xlsx, rows))

    psql("DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (kode text, no_kk text, nama text, nik text, alamat text, rt text, rw text)", DB_URL)
    start = time.perf_counter()
    subprocess.run(["psql", DB_URL, "-q", "-c", f"\\copy bench_copy FROM '{path}' CSV HEADER"], check=True)
    copy_seconds = time.perf_counter() - start
    results.append(("PostgreSQL COPY into a bare table (ceiling)", rows, copy_seconds, 0))

    t, mem = sh(PY, "bench/dashboard.py", str(MEMBERS))
    dashboard = (ROOT / "bench-data/dashboard.txt").read_text().split()

    second = WORK / f"households-{ROWS}-second.csv"
    if not second.exists():
        households_file(first_day=1000, name=second.name)
    sys.path.insert(0, str(Path(__file__).parent))
    from load import run_load  # bench/load.py, beside this file

    psql("ANALYZE", DB_URL)  # as autovacuum would have by now: fresh statistics for the planner
    load = run_load(DB_URL, second)

    # The whole Kemendagri tree over Balikpapan's imported city (issue 23: target < 60 s), then
    # again (nothing to change: idempotent).
    regions = [("first load (83,728 new desa/kelurahan beside Balikpapan's 34)", *sh(PY, "manage.py", "load_regions", "--all")),
               ("again, unchanged", *sh(PY, "manage.py", "load_regions", "--all"))]

    print(f"\nKKMP Anggota benchmark: PostgreSQL, {rows:,} households, {MEMBERS:,} members\n")
    print(f"| {'import_households':<44} | {'rows':>8} | {'seconds':>8} | {'rows/s':>8} | {'vs COPY':>7} | {'peak MiB':>8} |")
    print(f"|{'-' * 46}|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 8}:|{'-' * 9}:|")
    for name, n, seconds, peak in results:
        if seconds < 0:  # refused (a step that may fail: its outcome is the result)
            print(f"| {name:<44} | {n:>8,} | {-seconds:>8.2f} | refused | {'':>7} | {peak:>8.0f} |")
            continue
        print(f"| {name:<44} | {n:>8,} | {seconds:>8.2f} | {n / seconds:>8,.0f} | {seconds / copy_seconds:>6.1f}x | {peak:>8.0f} |")
    print("\n| dashboard (34 kelurahan) | median ms | queries |\n|---|---:|---:|")
    print(f"| `for_dashboard()` + table | {dashboard[0]} | {dashboard[1]} |")
    print(f"| page `/` rendered | {dashboard[2]} | {dashboard[3]} |")
    print(load)
    print("\n| `load_regions --all` (38 provinsi, 514 kabupaten/kota, 7,285 kecamatan, 83,762 desa/kelurahan) | seconds | peak MiB |\n|---|---:|---:|")
    for name, seconds, peak in regions:
        print(f"| {name} | {seconds:.1f} | {peak:.0f} |")
    subprocess.run([PY, "bench/members.py"], cwd=ROOT, check=True)  # member search at 1,000,000 members
    subprocess.run([PY, "bench/uploads.py"], cwd=ROOT, check=True)  # hostile and largest uploads (issue 10)
    subprocess.run([PY, "bench/usaha.py"], cwd=ROOT, check=True)  # an LPG outlet with 100,000 sales (issue 22)
    subprocess.run([PY, "bench/pages.py"], cwd=ROOT, check=True)  # bytes per page, gzip, static cached (issue 21)


if __name__ == "__main__":
    main()
