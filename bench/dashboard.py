"""Dashboard timing on the bench database (called by bench/run.py): adds N members to the
imported households, then times the dashboard query and the rendered page (median of 15)."""

import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kkmp.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kelurahan.models import HouseholdCount, Kelurahan, dashboard_table  # noqa: E402
from members.models import Household, Member  # noqa: E402


def timed(fn, runs=15):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        fn()
    return statistics.median(times), len(queries)


def main(n_members):
    for kel in Kelurahan.objects.all():
        HouseholdCount.objects.get_or_create(kelurahan=kel, as_of=date(2025, 6, 30), defaults={"count": 6000})
    households = list(Household.objects.order_by("pk")[:n_members])
    seqs = {}
    members = []
    for h in households:
        seqs[h.kelurahan_id] = seqs.get(h.kelurahan_id, 0) + 1
        members.append(
            Member(
                nik=h.head_nik, name=h.head_name, kelurahan_id=h.kelurahan_id, household=h,
                is_head_of_household=True, joined_on=date(2025, 9, 1),
                member_seq=seqs[h.kelurahan_id], member_number=f"B-{h.pk}",
            )
        )
    Member.objects.bulk_create(members, batch_size=2000, ignore_conflicts=True)

    query_ms, query_n = timed(lambda: dashboard_table(Kelurahan.objects.for_dashboard()))
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)
    page_ms, page_n = timed(lambda: client.get("/", HTTP_HOST="127.0.0.1"))
    out = Path(__file__).resolve().parents[1] / "bench-data/dashboard.txt"
    out.write_text(f"{query_ms:.1f} {query_n} {page_ms:.1f} {page_n}")


if __name__ == "__main__":
    main(int(sys.argv[1]))
