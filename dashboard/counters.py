"""How the dashboard counts members: the stored counters, the live recount they must equal, and
KK terwakili on any past date from join and leave dates.

- `refresh(ids)` recomputes the member counters of those kelurahan and their KK terwakili
  history (`RepresentedDay`, one row per day on which it changed), cheap (one kelurahan's
  members, through the member table's kelurahan index), and must run in the transaction that
  changed their members: it answers `members.signals.members_changed` (dashboard/receivers.py),
  which members/services.py, the member admin and the member import send.
- `refresh_household_counts(ids)` copies the latest `HouseholdCount` of those kelurahan onto
  their counter row, in the transaction that wrote household counts: it answers
  `kelurahan.signals.household_counts_changed` (`HouseholdCount.save()` / `delete()`, the
  admin's bulk delete); the household count import and its undo call it directly.
- `live()`, `live_household_counts()` and `live_history()` compute the same from the source
  tables; `manage.py recount` compares (`differences`, `household_count_differences`,
  `history_differences`) and `--fix` corrects.
- `history()` and `gained()` read the history rows: KK terwakili on a date is the sum of the
  changes up to it, so a past date is right as long as the rows are.

A member counts for the cooperative they joined (`Member.kelurahan`), whatever kelurahan their
KK is registered in; KK terwakili are the distinct KK of the active members (status `aktif`).
"""

from collections import defaultdict
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from kelurahan.models import HouseholdCount, Kelurahan

from .models import KelurahanCounter, RepresentedDay

ACTIVE = "aktif"
CALON = "calon"  # an applicant: counted nowhere until accepted


def live(kelurahan=None):
    """{kelurahan id: (kk_terwakili, anggota_kepala_keluarga, anggota_aktif)} counted now from
    the member table, for `kelurahan` (a queryset or ids; all when None). Kelurahan without
    members are included with zeros."""
    queryset = Kelurahan.objects.all()
    if kelurahan is not None:
        queryset = queryset.filter(pk__in=kelurahan)
    active = Q(members__status=ACTIVE)
    rows = queryset.order_by().annotate(
        kk=Count("members__household", filter=active & Q(members__household__isnull=False), distinct=True),
        heads=Count("members", filter=active & Q(members__is_head_of_household=True)),
        aktif=Count("members", filter=active),
    ).values_list("pk", "kk", "heads", "aktif")
    return {pk: (kk, heads, aktif) for pk, kk, heads, aktif in rows}


def stored(kelurahan=None):
    """{kelurahan id: figures} as the counters hold them (zeros where no row exists yet)."""
    queryset = Kelurahan.objects.all() if kelurahan is None else Kelurahan.objects.filter(pk__in=kelurahan)
    result = {pk: (0, 0, 0) for pk in queryset.values_list("pk", flat=True)}
    counters = KelurahanCounter.objects.all()
    if kelurahan is not None:
        counters = counters.filter(kelurahan__in=kelurahan)
    for row in counters.values_list("kelurahan_id", *KelurahanCounter.FIGURES):
        result[row[0]] = tuple(row[1:])
    return result


def _lock(kelurahan_ids):
    """Lock the kelurahan rows (in id order, so two writers never deadlock): a concurrent
    change to the same kelurahan waits, then recounts with ours included. Returns the ids."""
    ids = sorted({pk for pk in kelurahan_ids if pk is not None})
    if ids:
        list(Kelurahan.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    return ids


def refresh(kelurahan_ids):
    """Recompute the member counters, KK terwakili history and capital of `kelurahan_ids` from
    their members, in the caller's transaction (under the kelurahan rows' lock): a member's
    status and joining date decide what simpanan wajib they owe."""
    with transaction.atomic():
        ids = _lock(kelurahan_ids)
        if ids:
            write(live(ids))
            write_history(ids)
            write_capital(live_capital(ids))


def rebuild():
    """Recompute every kelurahan's counters, current household count and history from the
    source tables, in bulk (a few aggregate queries, upserts, one INSERT … SELECT): for data
    written around the services, as bench/dashboard.py's COPY. Lock first if others write."""
    write(live())
    write_household_counts(live_household_counts())
    write_history()
    write_capital(live_capital())


def _chunks(ids, size=5000):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _store(values, fields, others):
    """Insert or update counter rows: `values` ({kelurahan id: tuple of `fields`}); a row not
    there yet gets its other fields from `others(ids)` ({id: (member figures, household count)})."""
    existing = set()
    for chunk in _chunks(values):
        existing |= set(KelurahanCounter.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    missing = others([pk for pk in values if pk not in existing]) if len(existing) < len(values) else {}
    rows = []
    for pk, own in values.items():
        row = KelurahanCounter(kelurahan_id=pk)
        for name, value in zip(KelurahanCounter.FIGURES + KelurahanCounter.HOUSEHOLD_COUNT, missing.get(pk, ())):
            setattr(row, name, value)
        for name, value in zip(fields, own):
            setattr(row, name, value)
        rows.append(row)
    KelurahanCounter.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["kelurahan"], update_fields=[*fields, "updated_at"], batch_size=2000,
    )


def write(figures):
    """Store `figures` ({kelurahan id: (kk, heads, active)}) as counters (insert or update)."""
    _store(figures, KelurahanCounter.FIGURES, lambda ids: {pk: (0, 0, 0, *c) for pk, c in live_household_counts(ids).items()})


def differences(kelurahan=None):
    """[(kelurahan id, stored, live)] where the counters differ from a live recount."""
    now, kept = live(kelurahan), stored(kelurahan)
    return [(pk, kept.get(pk, (0, 0, 0)), figures) for pk, figures in sorted(now.items()) if kept.get(pk, (0, 0, 0)) != figures]


# --- The members' capital (simpanan) ----------------------------------------------------------

NO_CAPITAL = (0, 0, 0, {})


def live_capital(kelurahan=None):
    """{kelurahan id: (pokok, wajib, sukarela, {first unpaid wajib month: active members})}
    computed from the balances and the members (two queries), for `kelurahan` (ids or a
    queryset; all when None), NO_CAPITAL for those without members."""
    from koperasi.queries import simpanan_sums, wajib_histogram

    queryset = Kelurahan.objects.all() if kelurahan is None else Kelurahan.objects.filter(pk__in=kelurahan)
    result = {pk: (0, 0, 0, {}) for pk in queryset.values_list("pk", flat=True)}
    for pk, sums in simpanan_sums(kelurahan).items():
        result[pk] = (*sums, {})
    for pk, histogram in wajib_histogram(kelurahan).items():
        result[pk] = (*result.get(pk, NO_CAPITAL)[:3], histogram)
    return result


def stored_capital(kelurahan=None):
    queryset = Kelurahan.objects.all() if kelurahan is None else Kelurahan.objects.filter(pk__in=kelurahan)
    rows = queryset.values_list("pk", *(f"counter__{f}" for f in KelurahanCounter.CAPITAL))
    return {pk: (pokok or 0, wajib or 0, sukarela or 0, histogram or {}) for pk, pokok, wajib, sukarela, histogram in rows}


def refresh_capital(kelurahan_ids):
    """Recompute the capital counters of `kelurahan_ids` after ledger entries, in the caller's
    transaction (under the kelurahan rows' lock, as `refresh`)."""
    with transaction.atomic():
        ids = _lock(kelurahan_ids)
        if ids:
            write_capital(live_capital(ids))


def write_capital(figures):
    """Store `figures` ({kelurahan id: (pokok, wajib, sukarela, histogram)}) on the counter rows."""
    def others(ids):
        members, counts = live(ids), live_household_counts(ids)
        return {pk: (*members[pk], *counts[pk]) for pk in ids}

    _store(figures, KelurahanCounter.CAPITAL, others)


def capital_differences(kelurahan=None):
    """[(kelurahan id, stored, live)] where the capital counters differ from the ledger."""
    now, kept = live_capital(kelurahan), stored_capital(kelurahan)
    return [(pk, kept.get(pk, NO_CAPITAL), figures) for pk, figures in sorted(now.items()) if kept.get(pk, NO_CAPITAL) != figures]


# --- The current household count ----------------------------------------------------------------

NO_COUNT = (None, None, "")


def live_household_counts(kelurahan=None):
    """{kelurahan id: (count, as_of, source)} of the latest `HouseholdCount` of each kelurahan
    of `kelurahan` (ids or queryset; all when None), NO_COUNT for those without one."""
    queryset = Kelurahan.objects.all() if kelurahan is None else Kelurahan.objects.filter(pk__in=kelurahan)
    result = {pk: NO_COUNT for pk in queryset.values_list("pk", flat=True)}
    counts = HouseholdCount.objects.order_by("kelurahan_id", "as_of", "pk")
    if kelurahan is not None:
        counts = counts.filter(kelurahan__in=kelurahan)
    for pk, count, as_of, source in counts.values_list("kelurahan_id", "count", "as_of", "source").iterator(chunk_size=10_000):
        result[pk] = (count, as_of, source)  # the latest comes last
    return result


def stored_household_counts(kelurahan=None):
    """{kelurahan id: (count, as_of, source)} as the counter rows hold them."""
    queryset = Kelurahan.objects.all() if kelurahan is None else Kelurahan.objects.filter(pk__in=kelurahan)
    rows = queryset.values_list("pk", *(f"counter__{f}" for f in KelurahanCounter.HOUSEHOLD_COUNT))
    return {pk: NO_COUNT if count is None and not source else (count, as_of, source or "") for pk, count, as_of, source in rows}


def refresh_household_counts(kelurahan_ids):
    """Copy the latest household count of `kelurahan_ids` onto their counter rows, in the
    caller's transaction (under the kelurahan rows' lock, as `refresh`)."""
    with transaction.atomic():
        ids = _lock(kelurahan_ids)
        if ids:
            write_household_counts(live_household_counts(ids))


def write_household_counts(counts):
    """Store `counts` ({kelurahan id: (count, as_of, source)}) on the counter rows."""
    _store(counts, KelurahanCounter.HOUSEHOLD_COUNT, lambda ids: {pk: (*f, *NO_COUNT) for pk, f in live(ids).items()})


def household_count_differences(kelurahan=None):
    """[(kelurahan id, stored, live)] where a counter row's household count is not the latest."""
    now, kept = live_household_counts(kelurahan), stored_household_counts(kelurahan)
    return [(pk, kept.get(pk, NO_COUNT), count) for pk, count in sorted(now.items()) if kept.get(pk, NO_COUNT) != count]


# --- History from join and leave dates ---------------------------------------------------------

def _members():
    """The Member model, without importing the members app (it imports this one)."""
    return Kelurahan._meta.get_field("members").related_model


def _status_changes():
    return _members()._meta.get_field("status_changes").related_model


def _memberships(kelurahan):
    """Members of `kelurahan` (queryset or ids) who are or were members, with a KK: active, or
    left with a date, except an applicant (calon) who withdrew before being accepted (their
    history has a calon entry and no aktif one); applicants and others are not."""
    if not isinstance(kelurahan, (list, tuple, set)):
        kelurahan = kelurahan.values("pk")
    changes = _status_changes().objects.filter(member=OuterRef("pk"))
    was_member = ~Exists(changes.filter(status=CALON)) | Exists(changes.filter(status=ACTIVE))
    return _members().objects.filter(
        Q(status=ACTIVE) | (Q(left_on__isnull=False) & was_member), kelurahan__in=kelurahan, household__isnull=False
    ).order_by()


def _represented(members, dates, by):
    """{kelurahan id (or `by` key): [KK terwakili on each of `dates`]} in one query: on day d a
    KK is represented when a member of it had joined on or before d and not left by d (the
    leaving day no longer counts); distinct KK are counted per kelurahan, then summed per key."""
    on = {
        f"d{i}": Count("household_id", filter=Q(joined_on__lte=day) & (Q(left_on__isnull=True) | Q(left_on__gt=day)), distinct=True)
        for i, day in enumerate(dates)
    }
    group = "kelurahan_id" if by == "pk" else f"kelurahan__{by}"
    fields = ["kelurahan_id"] if by == "pk" else ["kelurahan_id", group]
    result = defaultdict(lambda: [0] * len(dates))
    for row in members.values(*fields).annotate(**on):
        counts = result[row[group]]
        for i in range(len(dates)):
            counts[i] += row[f"d{i}"]
    return result


def live_history(kelurahan, dates, by="pk"):
    """{kelurahan id: [KK terwakili on each date]} for `kelurahan` (queryset or ids), counted
    from the members' join and leave dates; with `by` (e.g. `kecamatan__kabupaten_kota`)
    summed per that key instead. What the history rows must give (`history`)."""
    return _represented(_memberships(kelurahan), list(dates), by)


# --- The stored history: one row per kelurahan and day on which KK terwakili changed ----------

def _history_select(kelurahan_ids=None):
    """SQL (and params) selecting (kelurahan_id, day, kk_terwakili, change) computed from the
    members, for `kelurahan_ids` (all when None); portable (PostgreSQL and SQLite).

    The members `_memberships` reads (active, or left with a date; with a KK) each add +1 to
    their KK on the day they joined and -1 on the day they left (the leaving day no longer
    counts); a KK is represented at the end of a day when its running sum is above 0. A member
    who left on or before joining never counts (as in `_represented`), so is left out. The
    KK's 0/1 changes are summed per kelurahan and day; days with no net change are dropped."""
    member = connection.ops.quote_name(_members()._meta.db_table)
    changes = connection.ops.quote_name(_status_changes()._meta.db_table)
    was_member = (
        f"(NOT EXISTS (SELECT 1 FROM {changes} s WHERE s.member_id = {member}.id AND s.status = %s)"
        f" OR EXISTS (SELECT 1 FROM {changes} s WHERE s.member_id = {member}.id AND s.status = %s))"
    )
    where = (
        f"(status = %s OR (left_on IS NOT NULL AND {was_member})) AND household_id IS NOT NULL"
        " AND (left_on IS NULL OR left_on > joined_on)"
    )
    params = [ACTIVE, CALON, ACTIVE]
    if kelurahan_ids is not None:
        ids = list(kelurahan_ids)
        where += f" AND kelurahan_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    sql = f"""
        WITH events AS (
            SELECT kelurahan_id AS k, household_id AS h, joined_on AS d, 1 AS e FROM {member} WHERE {where}
            UNION ALL
            SELECT kelurahan_id, household_id, left_on, -1 FROM {member} WHERE {where} AND left_on IS NOT NULL
        ),
        per_day AS (SELECT k, h, d, SUM(e) AS e FROM events GROUP BY k, h, d),
        running AS (
            SELECT k, h, d, CASE WHEN SUM(e) OVER (PARTITION BY k, h ORDER BY d) > 0 THEN 1 ELSE 0 END AS r FROM per_day
        ),
        changes AS (
            SELECT k, d, r - COALESCE(LAG(r) OVER (PARTITION BY k, h ORDER BY d), 0) AS c FROM running
        ),
        net AS (SELECT k, d, SUM(c) AS c FROM changes GROUP BY k, d HAVING SUM(c) <> 0)
        SELECT k, d, SUM(c) OVER (PARTITION BY k ORDER BY d) AS v, c FROM net
    """
    return sql, params + params


def write_history(kelurahan_ids=None):
    """Rewrite the history rows of `kelurahan_ids` (all when None) from their members: one
    DELETE and one INSERT … SELECT, in the caller's transaction."""
    table = connection.ops.quote_name(RepresentedDay._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in ([None] if kelurahan_ids is None else _chunks(kelurahan_ids, 2000)):
            if chunk is None:
                cursor.execute(f"DELETE FROM {table}")
            else:
                cursor.execute(f"DELETE FROM {table} WHERE kelurahan_id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            select, params = _history_select(chunk)
            cursor.execute(f"INSERT INTO {table} (kelurahan_id, day, kk_terwakili, change) {select}", params)


def history_differences(kelurahan_ids=None):
    """Ids of the kelurahan whose history rows differ from those computed from the members now
    (a row missing, extra or with another value): one query."""
    table = connection.ops.quote_name(RepresentedDay._meta.db_table)
    select, params = _history_select(kelurahan_ids)
    stored = f"SELECT kelurahan_id, day, kk_terwakili, change FROM {table}"
    stored_params = []
    if kelurahan_ids is not None:
        ids = list(kelurahan_ids)
        stored += f" WHERE kelurahan_id IN ({', '.join(['%s'] * len(ids))})"
        stored_params = ids
    sql = f"""
        WITH computed AS ({select}), kept AS ({stored})
        SELECT k FROM (SELECT * FROM computed EXCEPT SELECT * FROM kept) a
        UNION
        SELECT kelurahan_id FROM (SELECT * FROM kept EXCEPT SELECT * FROM computed) b
        ORDER BY 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params + stored_params)
        return [row[0] for row in cursor.fetchall()]


def _days(kelurahan):
    """History rows of `kelurahan` (queryset or ids; an unfiltered queryset: every row, without
    a semi-join to the 84,000 kelurahan)."""
    days = RepresentedDay.objects.order_by()
    if isinstance(kelurahan, QuerySet) and kelurahan.model is Kelurahan and not kelurahan.query.where:
        return days
    return days.filter(kelurahan__in=kelurahan)


def history(kelurahan, dates, by="pk"):
    """{kelurahan id: [KK terwakili on each date]} for `kelurahan` (queryset or ids), from the
    history rows (the sum of the changes up to each date); with `by` (e.g.
    `kecamatan__kabupaten_kota`) summed per that key instead. One query."""
    dates = list(dates)
    group = "kelurahan_id" if by == "pk" else f"kelurahan__{by}"
    on = {f"d{i}": Sum("change", filter=Q(day__lte=day)) for i, day in enumerate(dates)}
    result = defaultdict(lambda: [0] * len(dates))
    if not dates:
        return result
    for row in _days(kelurahan).filter(day__lte=max(dates)).values(group).annotate(**on):
        result[row[group]] = [row[f"d{i}"] or 0 for i in range(len(dates))]
    return result


def gained(kelurahan, today, days=7, by="pk"):
    """{kelurahan id (or `by` key): KK terwakili on `today` minus `days` days before}, nonzero
    only: the sum of the history's changes in that window (index on the day), one query."""
    since = today - timedelta(days=days)
    group = "kelurahan_id" if by == "pk" else f"kelurahan__{by}"
    rows = _days(kelurahan).filter(day__gt=since, day__lte=today).values(group).annotate(gain=Sum("change"))
    return {row[group]: row["gain"] for row in rows if row["gain"]}


def live_gained(kelurahan, today, days=7, by="pk"):
    """`gained` counted from the members' join and leave dates: what the history must give.

    Only KK with a member who joined or left in that window can have changed, so only their
    members are read (the join and leave date indexes find them): one query.
    """
    since = today - timedelta(days=days)
    recent = _members().objects.filter(Q(joined_on__gt=since) | Q(left_on__gt=since), household__isnull=False)
    members = _memberships(kelurahan).filter(household__in=recent.order_by().values("household_id"))
    counts = _represented(members, [since, today], by)
    return {key: now - before for key, (before, now) in counts.items() if now != before}
