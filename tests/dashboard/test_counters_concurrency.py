"""The counters stay exact when officers change members of one kelurahan at the same moment,
in real concurrent PostgreSQL sessions (each change recounts under the kelurahan's row lock)."""

from datetime import date

import pytest
from django.db import connection

from dashboard import counters
from members.models import Member
from members.services import record_leaving
from tests.factories import MemberFactory
from tests.members.test_concurrency import at_once, registration

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and sessions"),
]


def test_registrations_and_leavings_at_once_keep_the_counters_exact(kelurahan_a):
    leaving = [MemberFactory(kelurahan=kelurahan_a, joined_on=date(2025, 9, 1)) for _ in range(3)]
    results = at_once(
        *(registration(kelurahan_a, 100 + i) for i in range(3)),
        *(lambda m=m: record_leaving(member=Member.objects.get(pk=m.pk), status="keluar", left_on=date(2025, 10, 1)) for m in leaving),
    )
    assert all(isinstance(r, Member) for r in results), results
    assert counters.differences() == []
    assert counters.history_differences() == []  # the KK terwakili history too
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (3, 0, 3)


def test_two_changes_that_count_at_the_same_moment_are_both_counted(kelurahan_a):
    """The race, forced: while this session holds the counter row, two officers record a leaving
    each. Both must wait (the second on the kelurahan row, before counting), so the last write
    counts both leavings; without the kelurahan lock each would count only its own."""
    import threading
    import time

    from django.db import transaction

    from dashboard.models import KelurahanCounter

    first, second = (MemberFactory(kelurahan=kelurahan_a, joined_on=date(2025, 9, 1)) for _ in range(2))
    results = []

    def leave(member):
        try:
            results.append(record_leaving(member=Member.objects.get(pk=member.pk), status="keluar", left_on=date(2025, 10, 1)))
        finally:
            connection.close()

    threads = [threading.Thread(target=leave, args=(m,)) for m in (first, second)]
    with transaction.atomic():
        KelurahanCounter.objects.select_for_update().get(kelurahan=kelurahan_a)
        for t in threads:
            t.start()
        with connection.cursor() as cursor:
            for _ in range(1000):  # until both sessions wait on a lock (not a timing assertion)
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0] >= 2:
                    break
                time.sleep(0.01)
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 2
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (0, 0, 0)
    assert counters.differences() == []
