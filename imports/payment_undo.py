"""Undoing a payments import (`PaymentImport.prepare_undo` and `finish_undo` in `payments.py`).
The ledger is append-only, so undo reverses every entry the import made (`reverse_entry`, reason
"import <id> undone"), makes the applicants it activated applicants again, and is refused,
changing nothing, while a later entry depends on them (a withdrawal the deposits paid for, a
later simpanan pokok or wajib, a change of status, an office or a meeting attended since).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kelurahan.models import Kelurahan
from koperasi.models import Account, Attendance, Entry, Officer
from koperasi.simpanan import batch as simpanan_batch
from koperasi.simpanan import reverse_entry
from members.models import Member, MemberStatusChange
from members.services import make_applicant_again
from members.signals import members_changed

from .base import UndoRefused
from .payment_checks import _chunks


def _names(members, limit=5):
    """"Ani (64.71.05.1002-00001), Budi (…) and 3 more" for a refusal naming members."""
    members = list(members)
    shown = ", ".join(f"{m.name} ({m.member_number})" for m in members[:limit])
    if len(members) > limit:
        shown += " " + _("and %(n)d more") % {"n": len(members) - limit}
    return shown


def entries_to_reverse(batch):
    """(the entries to reverse, the kelurahan ids) of a payments batch being undone: the
    cooperatives and members locked first, then `UndoRefused` (nothing changed) while a later
    entry or change depends on what the import recorded."""
    entries = list(Entry.objects.filter(import_batch_id=batch.pk, type=Entry.Type.PAYMENT).order_by("pk"))
    kelurahan_ids = sorted({e.kelurahan_id for e in entries})
    list(Kelurahan.objects.select_for_update().filter(pk__in=kelurahan_ids).order_by("pk").values_list("pk"))
    member_ids = sorted({e.member_id for e in entries})
    members = {}
    for chunk in _chunks(member_ids):
        members.update((m.pk, m) for m in Member.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
    entry_ids = [e.pk for e in entries]
    reversed_ids = set()
    for chunk in _chunks(entry_ids):
        reversed_ids |= set(Entry.objects.filter(reverses_id__in=chunk).values_list("reverses_id", flat=True))
    todo = [e for e in entries if e.pk not in reversed_ids]  # one corrected by hand is undone already

    # A deposit of simpanan sukarela that a later withdrawal spent.
    sukarela = {}
    for e in todo:
        if e.kind == Entry.Kind.SUKARELA:
            sukarela[e.member_id] = sukarela.get(e.member_id, 0) + e.amount
    overdrawn = []
    for chunk in _chunks(sukarela):
        for member_id, balance in Account.objects.filter(member_id__in=chunk).values_list("member_id", "sukarela"):
            if balance - sukarela[member_id] < 0:
                overdrawn.append(members[member_id])
    if overdrawn:
        raise UndoRefused(_(
            "Simpanan sukarela was withdrawn after this import: reversing the deposits it recorded would make the "
            "balance of %(members)s negative. Correct those withdrawals first; nothing was undone."
        ) % {"members": _names(overdrawn)})

    pokok_members = sorted({e.member_id for e in todo if e.kind == Entry.Kind.POKOK})
    activated = {member_id for member_id, _joined, _change in batch.activated_members}
    ours = set(entry_ids)
    # A simpanan pokok or wajib recorded since for the same members, net of its corrections.
    # The import held its cooperatives' rows locked while it wrote, so what its members'
    # ledgers gained after its last entry was recorded after the import.
    last = max(entry_ids, default=0)
    dependent = {}
    # (An activated member counts even when the imported pokok was corrected by hand: a
    # pokok paid again since keeps them active.)
    for kind, ids in ((Entry.Kind.POKOK, sorted(set(pokok_members) | activated)), (Entry.Kind.WAJIB, sorted(activated))):
        later = {}
        for chunk in _chunks(ids):
            rows = Entry.objects.filter(member_id__in=chunk, kind=kind, pk__gt=last).values_list("member_id", "amount", "reverses_id")
            for member_id, amount, reverses_id in rows:
                if reverses_id not in ours:  # a correction of an imported entry is not a later payment
                    later[member_id] = later.get(member_id, 0) + amount
        dependent[kind] = [members[m] for m in ids if later.get(m)]
    if dependent[Entry.Kind.POKOK]:
        raise UndoRefused(_(
            "Simpanan pokok was recorded for %(members)s after this import: undoing it would leave their simpanan pokok "
            "part-paid. Correct those payments first; nothing was undone."
        ) % {"members": _names(dependent[Entry.Kind.POKOK])})
    if dependent[Entry.Kind.WAJIB]:
        raise UndoRefused(_(
            "Simpanan wajib was recorded for %(members)s after this import made them active members: undoing it would "
            "make them applicants again. Correct those payments first; nothing was undone."
        ) % {"members": _names(dependent[Entry.Kind.WAJIB])})

    # A change of status (accepted, resigned…) since, for members whose simpanan pokok it recorded.
    changed = set()
    for chunk in _chunks(sorted(set(pokok_members) | activated)):
        changed |= set(MemberStatusChange.objects.filter(member_id__in=chunk, recorded_at__gt=batch.committed_at)
                       .values_list("member_id", flat=True))
    if changed:
        raise UndoRefused(_(
            "The status of %(members)s changed after this import (accepted, resigned…): the simpanan pokok it recorded "
            "can no longer be undone. Correct the payments one by one instead; nothing was undone."
        ) % {"members": _names(members[m] for m in sorted(changed))})
    serving = set()
    for chunk in _chunks(sorted(activated)):
        serving |= set(Officer.objects.filter(member_id__in=chunk).values_list("member_id", flat=True))
        serving |= set(Attendance.objects.filter(member_id__in=chunk, recorded_at__gt=batch.committed_at)
                       .values_list("member_id", flat=True))
    if serving:
        raise UndoRefused(_(
            "%(members)s became active members through this import and have since served as pengurus or pengawas or "
            "attended a members' meeting: undo is no longer possible."
        ) % {"members": _names(members[m] for m in sorted(serving))})
    return todo, kelurahan_ids



def reverse_payments(batch, *, todo, kelurahan_ids, by):
    """Reverse every entry in `todo` (in the pipeline's transaction: all or none), then make the
    applicants the import activated applicants again."""
    reason = _("import %(id)s undone") % {"id": batch.pk}
    try:
        with simpanan_batch():
            for entry in todo:
                reverse_entry(entry=entry, reason=reason, by=by)
    except ValidationError as exc:
        raise UndoRefused(" ".join(exc.messages) + " " + _("Nothing was undone.")) from None
    for member_id, joined_before, change_id in batch.activated_members:
        member = Member.objects.get(pk=member_id)
        accepted = MemberStatusChange.objects.filter(pk=change_id).values_list("on", flat=True).first() or member.joined_on
        # Dated as the acceptance, an applicant from that day on (`with_status_on`).
        make_applicant_again(member=member, joined_on=date.fromisoformat(joined_before), on=accepted, reason=reason,
                             by=by, notify=False)
    if batch.activated_members:
        members_changed.send(sender=Member, kelurahan_ids=kelurahan_ids)
