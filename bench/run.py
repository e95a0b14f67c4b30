"""`make bench`: import and dashboard figures on PostgreSQL, printed as a table.

Uses its own database (`kkmp_bench` on the server of BENCH_DATABASE_URL, default the local
PostgreSQL), recreated on every run. Each measured step runs in a child process so that its
peak memory (max RSS) is its own. Sizes: BENCH_ROWS households (default 10,000) and
BENCH_MEMBERS members (default 3,000); fixed seed.
"""

import csv
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_URL = SERVER.rsplit("/", 1)[0] + "/kkmp_bench"
ROWS = int(os.environ.get("BENCH_ROWS", 10_000))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", 3_000))
WORK = ROOT / "bench-data"
PY = sys.executable


def sh(*args, env_extra=None):
    """Run a command with the bench database; return (seconds, peak MiB of the child)."""
    env = {**os.environ, "DATABASE_URL": DB_URL, "DEBUG": "on", **(env_extra or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return seconds, peak


def psql(sql, url=SERVER):
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def households_file():
    rng = random.Random(2025)
    codes = [r["kode_kemendagri"] for r in csv.DictReader(open(ROOT / "kelurahan/data/balikpapan_wilayah.csv"))]
    path = WORK / f"households-{ROWS}.csv"
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"])
        for i in range(ROWS):
            kode = rng.choice(codes)
            region = kode.replace(".", "")[:6]
            # (date, serial) from i: unique numbers, valid dates, no Excel damage
            day_index, serial = divmod(i, 9999)
            recorded = date(2010, 1, 1) + timedelta(days=day_index)
            born = date(1960, 1, 1) + timedelta(days=day_index * 7)
            no_kk = f"{region}{recorded:%d%m%y}{serial + 1:04d}"
            nik = f"{region}{born:%d%m%y}{serial + 1:04d}"
            out.writerow([kode, no_kk, f"Kepala {i}", nik, f"Jl. Bench {i}", rng.randint(1, 50), ""])
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


def main():
    WORK.mkdir(exist_ok=True)
    psql("DROP DATABASE IF EXISTS kkmp_bench")
    psql("CREATE DATABASE kkmp_bench")
    sh(PY, "manage.py", "migrate", "--noinput")
    sh(PY, "manage.py", "load_regions")
    path = households_file()
    rows = unique_by_kk(path)

    results = []
    t, mem = sh(PY, "manage.py", "import_households", str(path), "--dry-run")
    results.append(("households CSV, validate only", rows, t, mem))
    t, mem = sh(PY, "manage.py", "import_households", str(path))
    results.append(("households CSV, validate + commit", rows, t, mem))
    t, mem = sh(PY, "manage.py", "import_households", str(path))
    results.append(("households CSV, re-import unchanged", rows, t, mem))

    psql("DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (kode text, no_kk text, nama text, nik text, alamat text, rt text, rw text)", DB_URL)
    start = time.perf_counter()
    subprocess.run(["psql", DB_URL, "-q", "-c", f"\\copy bench_copy FROM '{path}' CSV HEADER"], check=True)
    copy_seconds = time.perf_counter() - start
    results.append(("PostgreSQL COPY of the same file (ceiling)", rows, copy_seconds, 0))

    t, mem = sh(PY, "bench/dashboard.py", str(MEMBERS))
    dashboard = (ROOT / "bench-data/dashboard.txt").read_text().split()

    print(f"\nKKMP Anggota benchmark — PostgreSQL, {rows:,} households, {MEMBERS:,} members\n")
    print(f"| {'step':<44} | {'rows':>8} | {'seconds':>8} | {'rows/s':>8} | {'vs COPY':>7} | {'peak MiB':>8} |")
    print(f"|{'-' * 46}|{'-' * 10}:|{'-' * 9}:|{'-' * 9}:|{'-' * 8}:|{'-' * 9}:|")
    for name, n, seconds, peak in results:
        print(f"| {name:<44} | {n:>8,} | {seconds:>8.2f} | {n / seconds:>8,.0f} | {seconds / copy_seconds:>6.0f}x | {peak:>8.0f} |")
    print(f"\n| dashboard (34 kelurahan) | median ms | queries |\n|---|---:|---:|")
    print(f"| `for_dashboard()` + table | {dashboard[0]} | {dashboard[1]} |")
    print(f"| page `/` rendered | {dashboard[2]} | {dashboard[3]} |")


if __name__ == "__main__":
    main()
