"""Set-based database work the importers share: `rows_matching` (the rows whose column is in a
list of values: one temporary table and a join on PostgreSQL, chunked `IN` queries
elsewhere), the PostgreSQL COPY path (`_copy` streaming rows in COPY's text format, plain
plans for one-off queries, foreign keys checked once per distinct value instead of once per
row) and the id ranges a batch records for what it created (`id_ranges`, `_in_ranges`).
`CHUNK` is the rows per database round trip everywhere.
"""

import itertools

from django.db import IntegrityError, connection
from django.db.models import Q

CHUNK = 10_000  # rows per database round trip


def id_ranges(ids):
    """[[first, last], ...] runs of consecutive ids: what `ImportBatch.created_ids` stores."""
    ranges = []
    for pk in sorted(ids):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def _foreign_keys_checked_once(cursor, model, columns):
    """The foreign keys among `columns` that this import may check once per distinct value
    instead of once per row (see `_lock_referenced_rows`); [] when it may not.

    PostgreSQL checks a foreign key with a trigger per inserted row (~1-1.5 s for a city's
    200,000 households, at commit). The caller may insert with row triggers off
    (`session_replication_role = replica`) only when the table has no trigger of its own (which
    replica mode would silence too) and the role may set the parameter: a superuser, or on
    PostgreSQL 15+ a role granted `SET ON PARAMETER session_replication_role`.
    """
    keys = [f for f in model._meta.concrete_fields if f.is_relation and f.db_constraint and f.column in columns]
    if not keys:
        return []
    cursor.execute(
        "SELECT current_setting('is_superuser') = 'on', "
        "EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal)",
        [model._meta.db_table],
    )
    superuser, own_triggers = cursor.fetchone()
    if own_triggers:
        return []
    if not superuser:
        if connection.pg_version < 150000:
            return []
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        if not cursor.fetchone()[0]:
            return []
    return keys


def _lock_referenced_rows(cursor, keys, source):
    """After an insert without row triggers: lock every row the inserted rows reference
    `FOR KEY SHARE`, as the foreign-key trigger does (so none can be deleted before we commit),
    and raise IntegrityError, rolling the import back, if any is missing. Done after the
    insert so that the locks (which wait for, and hold off, an officer choosing a member
    number in that kelurahan) last only until the commit, as the trigger's do."""
    for field in keys:
        parent = connection.ops.quote_name(field.related_model._meta.db_table)
        target = connection.ops.quote_name(field.target_field.column)
        cursor.execute(
            f"WITH wanted AS MATERIALIZED (SELECT DISTINCT {field.column} AS value FROM {source} WHERE {field.column} IS NOT NULL) "
            f"SELECT (SELECT count(*) FROM wanted), (SELECT count(*) FROM (SELECT p.{target} FROM "
            f"{parent} p WHERE p.{target} IN (SELECT value FROM wanted) FOR KEY SHARE OF p) locked)"
        )
        wanted, found = cursor.fetchone()
        if found != wanted:
            raise IntegrityError(f"{field.model._meta.label}.{field.name}: {wanted - found} referenced row(s) do not exist")


def rows_matching(model, columns, column, values):
    """`SELECT columns FROM model WHERE column IN values`, yielded in lists of rows.

    On PostgreSQL the values are COPYed into a temporary table and joined: one hash join for a
    whole city file instead of hundreds of `IN (...)` lists the ORM prepares value by value.
    Elsewhere, chunked `__in` queries.
    """
    values = list(values)
    if connection.vendor != "postgresql":
        for start in range(0, len(values), CHUNK):
            yield list(model.objects.filter(**{f"{column}__in": values[start:start + CHUNK]}).values_list(*columns))
        return
    table = connection.ops.quote_name(model._meta.db_table)
    selected = ", ".join(f"t.{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_keys")
        cursor.execute(f"CREATE TEMP TABLE import_keys AS SELECT {column} AS value FROM {table} WITH NO DATA")
        _copy(cursor, "import_keys", ["value"], ((v,) for v in values))
        cursor.execute("ANALYZE import_keys")
        cursor.execute(f"SELECT {selected} FROM {table} t JOIN import_keys k ON t.{column} = k.value")
        while rows := cursor.fetchmany(CHUNK):
            yield rows
        cursor.execute("DROP TABLE import_keys")


def _plain_plans(cursor):
    """For the rest of the transaction: no JIT compilation (the planner's estimates for a
    freshly loaded table make it compile every join, ~0.3 s each, for queries that run once),
    and enough memory for a city's hash joins without spilling to disk."""
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL work_mem = '64MB'")


def _key_parts(key):
    return key if isinstance(key, tuple) else (key,)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row):
    """One line of COPY's text format: tab-separated, with backslash, tab, newline and CR
    escaped (nothing else is special). None and the empty string are both written as an empty
    string, never NULL. Dates and datetimes are written by str(), which PostgreSQL reads."""
    values = ["" if v is None else str(v) for v in row]
    line = "\t".join(values)
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != len(values) - 1:
        line = "\t".join(v.translate(_COPY_ESCAPES) for v in values)
    return line + "\n"


class _CopyStream:
    """A file-like object COPY reads from, made from `rows` a few thousand at a time, so a city
    file is never in memory twice."""

    def __init__(self, rows):
        self.lines = map(_copy_line, rows)

    def read(self, size=-1):
        return "".join(itertools.islice(self.lines, 2000))


def _copy(cursor, table, columns, rows):
    """COPY rows (tuples of str, int, date or datetime) into a table."""
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", _CopyStream(rows))


def _in_ranges(field, ranges, per_query=500):
    """Q objects matching `field` within the [first, last] id ranges, a few hundred ranges
    each (one range in the usual case)."""
    for start in range(0, len(ranges), per_query):
        q = Q()
        for first, last in ranges[start:start + per_query]:
            q |= Q(**{f"{field}__range": (first, last)})
        yield q
