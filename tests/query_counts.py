"""Every page's query count, pinned at two sizes (docs/development.md).

A page is read once with a small data set, `grow()` adds more of every row the page lists
(members, payments, meetings, kelurahan...), and the page is read again: both reads must run
exactly `expected` queries. A page that queries once per row (an N+1) cannot: the failure
lists both reads' queries, numbered, to compare with the comment that names each one.

    small, large = pin_queries(officer_client, url, 12, grow=lambda: add_members(kelurahan_a, 10))
"""

import itertools
import re
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from koperasi import simpanan
from members.models import Member
from members.services import register_member
from tests.factories import make_nik, make_no_kk


def on(*, sqlite, postgresql):
    """A count that differs between the databases (savepoints, locks, PostgreSQL-only paths):
    both are pinned, the test's comment says why."""
    return {"sqlite": sqlite, "postgresql": postgresql}[connection.vendor]


def _read(client, url, data):
    """The page's response and the SQL of every query it ran (downloads are built in the view,
    not streamed: their queries are in here too)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {})
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response, [query["sql"] for query in captured.captured_queries]


def _listing(title, queries):
    """The queries, numbered, their column lists left out (`SELECT … FROM "members_member" WHERE …`)."""
    shown = (re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", sql, count=1)[:400] for sql in queries)
    return "\n".join([f"{title} ({len(queries)} queries):", *(f"  {i}: {sql}" for i, sql in enumerate(shown, 1))])


def pin_queries(client, url, expected, *, grow, data=None):
    """Assert that GET `url` (with `data`) runs `expected` queries, before and after `grow()`;
    return the two responses (small, large) for the caller's own checks. `url` may be a
    function, asked before each read, when `grow()` makes a new object of the kind the page
    shows (a larger import batch).

    A first, unmeasured read lets the session record the visit (saved at most once a minute,
    kkmp/middleware.py) and warms the process caches (content types), as any visit after the
    first one finds them."""
    where = url if callable(url) else lambda: url
    client.get(where(), data or {})
    small, small_queries = _read(client, where(), data)
    grow()
    large, large_queries = _read(client, where(), data)
    assert (len(small_queries), len(large_queries)) == (expected, expected), (
        f"expected {expected} queries at both sizes\n{_listing('small', small_queries)}\n{_listing('large', large_queries)}"
    )
    return small, large


# --- Data the pages list --------------------------------------------------------------------

JOINED = date(2025, 1, 15)
# NIK and KK serials (four digits), unique within a test whatever creates members first.
_serials = itertools.cycle(range(1001, 10_000))


def add_members(kelurahan, count, *, by=None, joined_on=JOINED, rt_count=3):
    """`count` members of `kelurahan`'s cooperative, registered as the officers register them,
    each in their own household (every other one its head), spread over `rt_count` RTs: two in
    three active with their simpanan pokok and three months of simpanan wajib paid on joining
    (recorded by `by`), one in three an applicant who has paid nothing. Returns them."""
    members = []
    for i in range(count):
        serial = next(_serials)
        applicant = i % 3 == 2
        member = register_member(
            kelurahan=kelurahan, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=joined_on,
            no_kk=make_no_kk(serial), is_head_of_household=i % 2 == 0, domicile_rt=f"{i % rt_count + 1:03d}",
            status=Member.Status.CALON if applicant else Member.Status.AKTIF, by=by,
        )
        if not applicant:
            simpanan.record_payment(member=member, kind="pokok", paid_on=joined_on, by=by)
            simpanan.record_payment(member=member, kind="wajib", months=3, paid_on=joined_on, by=by)
        members.append(member)
    return members


# The signed-in clients of tests/conftest.py, by role, for tests parametrized over the three.
CLIENTS = {"officer": "officer_client", "reviewer": "reviewer_client", "admin": "admin_client_"}


def client_as(request, role):
    return request.getfixturevalue(CLIENTS[role])
