"""Page weight on a weak signal (issue 21): the bytes each page of the officer's and the
reviewer's paths transfers, gzipped (GZipMiddleware), with the static files already cached (a
second visit: only the HTML comes), and what the first visit adds in CSS and JS (gzip, as
WhiteNoise serves them). Aim: under 60 KB a page.

Runs alone (`python bench/pages.py`, a few seconds) on its own SQLite file with the demo data
(`load_demo`), walking the pages with Django's test client as the demo officer and reviewer:
the officer registers an applicant, accepts them, pays the simpanan pokok, reads the receipt and
opens a meeting and the card scan. `make bench` runs it last."""

import gzip
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIM_KB = 60


def main():
    db = Path(tempfile.mkdtemp(prefix="kkmp-pages-")) / "pages.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DEBUG": "on"}
    for command in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kkmp.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    rows = walk()
    static = static_sizes({asset for _name, _raw, _gz, assets in rows for asset in assets})
    print("\n| page (demo data) | HTML bytes | gzip bytes (transferred) | static files it uses |")
    print("|---|---:|---:|---|")
    for name, raw, gz, assets in rows:
        flag = "" if gz <= AIM_KB * 1024 else f" (over {AIM_KB} KB)"
        print(f"| {name} | {raw:,} | {gz:,}{flag} | {', '.join(sorted(assets))} |")
    print("\n| static file (first visit only, then cached) | bytes | gzip bytes |\n|---|---:|---:|")
    for path, (raw, gz) in sorted(static.items()):
        print(f"| {path} | {raw:,} | {gz:,} |")


def _measure(client, rows, name, url, **kwargs):
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip", **kwargs)
    assert response.status_code == 200, (name, url, response.status_code)
    body = response.content
    raw = gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body
    assets = set(re.findall(rb'(?:href|src)="/static/([^"?]+)', raw))
    rows.append((name, len(raw), len(body), {a.decode() for a in assets}))
    return raw.decode()


def walk():
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from kelurahan.models import Kelurahan
    from koperasi.models import Meeting
    from members.models import Member

    User = get_user_model()
    rows = []
    officer = Client()
    officer.force_login(User.objects.get(username="pengurus.sepinggan"))
    kelurahan = Kelurahan.objects.get(nama="Sepinggan")
    _measure(officer, rows, "officer: home", reverse("dashboard:home"))
    _measure(officer, rows, "officer: register a member (form)", reverse("members:member_create"))
    response = officer.post(reverse("members:member_create"), {
        "kelurahan": kelurahan.pk, "nik": "6471 0552 0390 0999", "name": "Bench Pages", "no_kk": "6471 0505 0615 0999",
        "is_head_of_household": "on", "joined_on": timezone.localdate().isoformat(), "status": "calon",
        "domicile_kelurahan": kelurahan.pk,
    })
    member = Member.objects.get(nik="6471055203900999")
    assert response.status_code == 302, response.status_code
    _measure(officer, rows, "officer: the applicant's page", member.get_absolute_url())
    _measure(officer, rows, "officer: accept (form)", reverse("members:member_accept", args=[member.pk]))
    officer.post(reverse("members:member_accept", args=[member.pk]), {"accepted_on": timezone.localdate().isoformat()})
    _measure(officer, rows, "officer: pay the simpanan pokok (form)", reverse("koperasi:payment", args=[member.pk, "pokok"]))
    page = _measure(officer, rows, "officer: member list", reverse("members:member_list"))
    assert "Bench Pages" in page
    from koperasi.models import Entry
    from koperasi.simpanan import record_payment

    entry = Entry.objects.filter(member=member).first() or record_payment(member=member, kind="pokok", paid_on=timezone.localdate())
    _measure(officer, rows, "officer: receipt", reverse("koperasi:receipt", args=[entry.pk]))
    meeting = Meeting.objects.filter(kelurahan=kelurahan).first() or Meeting.objects.create(
        kelurahan=kelurahan, held_on=timezone.localdate(), place="Balai", agenda="RAT")
    _measure(officer, rows, "officer: meeting (attendance, scan)", meeting.get_absolute_url())
    _measure(officer, rows, "officer: scan a member card", reverse("dashboard:home_scan", args=[kelurahan.pk]))

    reviewer = Client()
    reviewer.force_login(User.objects.get(username="dkumkmp"))
    _measure(reviewer, rows, "reviewer: dashboard (34 kelurahan)", reverse("dashboard:home"))
    _measure(reviewer, rows, "reviewer: a kelurahan", reverse("dashboard:kelurahan_detail", args=[kelurahan.pk]))
    return rows


def static_sizes(paths):
    sizes = {}
    for path in paths:
        data = (ROOT / "static" / path).read_bytes()
        sizes[path] = (len(data), len(gzip.compress(data, 9)))
    return sizes


if __name__ == "__main__":
    main()
