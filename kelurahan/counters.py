"""How the dashboard counts members: the stored counters, the live recount they must equal, and
KK terwakili on any past date from join and leave dates.

- `refresh(ids)` recomputes the counters of those kelurahan (cheap: one kelurahan's members,
  through the member table's kelurahan index) and must run in the transaction that changed
  their members: members/services.py and the member admin call it.
- `live()` counts from the member table; `manage.py recount` compares the two.
- `history()` and `gained()` read join/leave dates, so a past date is always right.

A member counts for the cooperative they joined (`Member.kelurahan`), whatever kelurahan their
KK is registered in; KK terwakili are the distinct KK of the active members (status `aktif`).
"""

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q

from .models import Kelurahan, KelurahanCounter

ACTIVE = "aktif"


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


def refresh(kelurahan_ids):
    """Recompute the counters of `kelurahan_ids` from their members, in the caller's transaction.

    The kelurahan rows are locked first (in id order, so two writers never deadlock): a
    concurrent change to the same kelurahan waits, then recounts with ours included.
    """
    ids = sorted({pk for pk in kelurahan_ids if pk is not None})
    if not ids:
        return
    with transaction.atomic():
        list(Kelurahan.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        write(live(ids))


def write(figures):
    """Store `figures` ({kelurahan id: (kk, heads, active)}) as counters (insert or update)."""
    KelurahanCounter.objects.bulk_create(
        [
            KelurahanCounter(kelurahan_id=pk, kk_terwakili=kk, anggota_kepala_keluarga=heads, anggota_aktif=aktif)
            for pk, (kk, heads, aktif) in figures.items()
        ],
        update_conflicts=True,
        unique_fields=["kelurahan"],
        update_fields=[*KelurahanCounter.FIGURES, "updated_at"],
        batch_size=2000,
    )


def differences(kelurahan=None):
    """[(kelurahan id, stored, live)] where the counters differ from a live recount."""
    now, kept = live(kelurahan), stored(kelurahan)
    return [(pk, kept.get(pk, (0, 0, 0)), figures) for pk, figures in sorted(now.items()) if kept.get(pk, (0, 0, 0)) != figures]


# --- History from join and leave dates ---------------------------------------------------------

def _members():
    """The Member model, without importing the members app (it imports this one)."""
    return Kelurahan._meta.get_field("members").related_model


def _memberships(kelurahan):
    """Members of `kelurahan` (queryset or ids) who are or were members (active, or left with
    a date; applicants and others without a membership are not), with a KK."""
    if not isinstance(kelurahan, (list, tuple, set)):
        kelurahan = kelurahan.values("pk")
    return _members().objects.filter(
        Q(status=ACTIVE) | Q(left_on__isnull=False), kelurahan__in=kelurahan, household__isnull=False
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


def history(kelurahan, dates, by="pk"):
    """{kelurahan id: [KK terwakili on each date]} for `kelurahan` (queryset or ids); with `by`
    (e.g. `kecamatan__kabupaten_kota`) summed per that key instead."""
    return _represented(_memberships(kelurahan), list(dates), by)


def gained(kelurahan, today, days=7, by="pk"):
    """{kelurahan id: KK terwakili on `today` minus `days` days before}, from join/leave dates.

    Only KK with a member who joined or left in that window can have changed, so only their
    members are read (the join and leave date indexes find them): one query.
    """
    since = today - timedelta(days=days)
    recent = _members().objects.filter(Q(joined_on__gt=since) | Q(left_on__gt=since), household__isnull=False)
    members = _memberships(kelurahan).filter(household__in=recent.order_by().values("household_id"))
    counts = _represented(members, [since, today], by)
    return {key: now - before for key, (before, now) in counts.items() if now != before}
