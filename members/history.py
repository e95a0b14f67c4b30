"""The change history of a member and their household, as the member's page shows it: who
changed what, when, before → after. Recorded by django-simple-history (`SavedHistory` in
models/household.py); NIK and KK numbers are masked for readers who see masked numbers."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan
from kkmp.masking import mask

from .models import Household

NUMBER_FIELDS = {"nik", "head_nik", "no_kk"}


@dataclass
class Entry:
    when: datetime
    who: object
    subject: str  # "member" or "household"
    created: bool
    changes: list = field(default_factory=list)  # (label, before, after)


def member_history(member, *, show_full, readable_kelurahan, limit=50):
    """The member's and their household's recorded changes, newest first (four queries).

    The household's records are those made while it was in one of `readable_kelurahan` (the
    reader's scope, a queryset of Kelurahan): a member may be linked to a KK registered in
    another kelurahan, whose head, NIK and address are that kelurahan's business."""
    entries = _entries(member.history.select_related("history_user")[:limit], "member", show_full)
    if member.household_id:
        household = (
            Household.history.filter(id=member.household_id, kelurahan__in=readable_kelurahan)
            .select_related("history_user")[:limit]
        )
        entries += _entries(household, "household", show_full)
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _entries(records, subject, show_full):
    records = list(records)[::-1]  # oldest first, to compare each with the one before
    if not records:
        return []
    fields = [f for f in records[0].tracked_fields if f.name != "id"]
    names = _related_names(records, fields)
    entries, previous = [], None
    for record in records:
        entry = Entry(record.history_date, record.history_user, subject, created=previous is None)
        for f in fields:
            after = getattr(record, f.attname)
            before = getattr(previous, f.attname) if previous is not None else None
            if previous is not None and before == after:
                continue
            if previous is None and after in (None, ""):
                continue
            entry.changes.append(
                (capfirst(f.verbose_name), _shown(f, before, show_full, names), _shown(f, after, show_full, names))
            )
        if entry.changes or entry.created:
            entries.append(entry)
        previous = record
    return entries


def _related_names(records, fields):
    """Readable values for the foreign keys that appear: KK numbers and kelurahan names."""
    ids = {"household": set(), "kelurahan": set()}
    for record in records:
        for f in fields:
            if f.name in ids and getattr(record, f.attname):
                ids[f.name].add(getattr(record, f.attname))
    return {
        "household": dict(Household.objects.filter(pk__in=ids["household"]).values_list("pk", "no_kk")),
        "kelurahan": dict(Kelurahan.objects.filter(pk__in=ids["kelurahan"]).values_list("pk", "nama")),
    }


def _shown(f, value, show_full, names):
    if value is None or value == "":
        return "—"
    if f.name == "household":
        number = names["household"].get(value, "")
        return number if show_full else mask(number)
    if f.name == "kelurahan":
        return names["kelurahan"].get(value, value)
    if f.name in NUMBER_FIELDS:
        return value if show_full else mask(value)
    if f.name == "birth_date" and not show_full:
        return "••-••-••••"  # six of the NIK's digits
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return date_format(value, "d-m-Y")
    return str(value)
