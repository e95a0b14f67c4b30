"""Load on the app under gunicorn (loopback only, bounded in time): officers browsing and
searching their members, reviewers on the dashboard, while one 200,000-row import is written.
Prints requests per second, latency percentiles and errors per kind of page.

Each simulated person waits a random think time (mean `BENCH_THINK_SECONDS`, default 1 s)
between clicks, as people do; `BENCH_THINK_SECONDS=0` turns it into a stress test where latency
only measures the queue (8 clients, no pause). The import runs at a lower CPU priority (`nice`),
as the README recommends for the task worker."""

import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("BENCH_PORT", 8799))
BASE = f"http://127.0.0.1:{PORT}"
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", 30))
OFFICERS, REVIEWERS = 6, 2
PASSWORD = "bench-load-sandi-123"
THINK = float(os.environ.get("BENCH_THINK_SECONDS", 1.0))


def think(stop):
    if THINK > 0:
        stop.wait(random.uniform(0.5 * THINK, 1.5 * THINK))


def manage(db_url, *args, **kwargs):
    env = {**os.environ, "DATABASE_URL": db_url, "DEBUG": "on"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs)


def prepare_users(db_url):
    """An officer of the kelurahan with the most members, and a reviewer."""
    manage(db_url, "shell", "-c", f"""
from django.contrib.auth.models import User
from django.db.models import Count
from kelurahan.models import Kelurahan, RegionGrant
from members.services import ensure_roles, OFFICER_GROUP, REVIEWER_GROUP
groups = ensure_roles()
kel = Kelurahan.objects.annotate(n=Count("members")).order_by("-n").first()
for name, group in (("load.pengurus", OFFICER_GROUP), ("load.peninjau", REVIEWER_GROUP)):
    user, _ = User.objects.get_or_create(username=name)
    user.set_password("{PASSWORD}"); user.save(); user.groups.add(groups[group])
kel.officers.add(User.objects.get(username="load.pengurus"))
RegionGrant.objects.get_or_create(user=User.objects.get(username="load.peninjau"))  # national
""", stdout=subprocess.DEVNULL)


class Browser:
    def __init__(self, username):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = self.get("/masuk/")[1]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(BASE + "/masuk/", data=data, headers={"Referer": BASE + "/masuk/"})
        self.opener.open(request, timeout=30).read()

    def get(self, path):
        with self.opener.open(BASE + path, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")


def officer(stop, record):
    browser = Browser("load.pengurus")
    queries = ["", "?q=Kepala+1", "?q=6471", "?page=2", "?status=aktif", "?q=Bench"]
    i = 0
    while not stop.is_set():
        path = "/anggota/" + queries[i % len(queries)]
        page = timed(record, "officer: member list and search", browser, path)
        i += 1
        think(stop)
        match = re.search(r'href="(/anggota/\d+/)"', page or "")
        if i % 3 == 0 and match:
            timed(record, "officer: member page", browser, match.group(1))
            think(stop)


def reviewer(stop, record):
    browser = Browser("load.peninjau")
    while not stop.is_set():
        timed(record, "reviewer: dashboard", browser, "/")
        think(stop)


def timed(record, kind, browser, path):
    start = time.perf_counter()
    page = None
    try:
        status, page = browser.get(path)
        ok = status == 200
    except Exception:
        ok = False
    record(kind, (time.perf_counter() - start) * 1000, ok)
    return page


def run_load(db_url, import_file):
    prepare_users(db_url)
    env = {
        **os.environ, "DATABASE_URL": db_url, "DEBUG": "off", "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "off", "SECURE_COOKIES": "off",
        "SECURE_HSTS_SECONDS": "0", "LOG_LEVEL": "WARNING", "AXES_FAILURE_LIMIT": "1000",
    }
    subprocess.run(  # with the production settings, so the manifest storage has its manifest
        [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "kkmp.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "3"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    samples, lock = {}, threading.Lock()

    def record(kind, ms, ok):
        with lock:
            samples.setdefault(kind, []).append((ms, ok))

    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(BASE + "/masuk/", timeout=2).read()
                break
            except Exception:
                time.sleep(0.2)
        stop = threading.Event()
        threads = [threading.Thread(target=officer, args=(stop, record)) for _ in range(OFFICERS)]
        threads += [threading.Thread(target=reviewer, args=(stop, record)) for _ in range(REVIEWERS)]
        for t in threads:
            t.start()
        importer = subprocess.Popen(
            ["nice", "-n", "10", sys.executable, "manage.py", "import_households", str(import_file), "--as", "bench"],
            cwd=ROOT, env={**env, "DEBUG": "on"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        started = time.perf_counter()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        import_status = importer.wait(timeout=600)
        import_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    lines = [
        f"\nUnder load: gunicorn (3 workers) on loopback, {OFFICERS} officers and {REVIEWERS} reviewers for "
        f"{SECONDS} s, think time {THINK:g} s, while a {import_file.name} import ran (niced; exit "
        f"{import_status}, {import_seconds:.0f} s)\n",
        "| pages | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    measured = sorted(samples.items())
    everything = [sample for _kind, values in measured for sample in values]
    for kind, values in measured + [("all pages", everything)]:
        times = sorted(ms for ms, _ok in values) or [0.0]
        errors = sum(1 for _ms, ok in values if not ok)
        q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
        lines.append(f"| {kind} | {len(times)} | {len(times) / SECONDS:.1f} | {q[49]:.0f} | {q[94]:.0f} | {q[98]:.0f} | {errors} |")
    return "\n".join(lines)
