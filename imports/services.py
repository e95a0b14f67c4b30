"""Running import batches: upload, check, confirm, undo (`tasks.py` decides whether a check or a
confirmed import runs in the request or in the task worker, and calls these either way).

Status and counts live on the `ImportBatch`; progress while a batch runs lives in the
"imports" cache, which the web server and the worker share.
"""

import hashlib
import io
import logging
import os
import socket
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent, record

from . import pipeline
from .base import UndoRefused
from .files import data_rows, read_table
from .models import ImportBatch
from .table import ImportFileError, Source
from .values import text

log = logging.getLogger(__name__)
STAGES = {
    "read": _("reading the file"),
    "check": _("checking rows"),
    "compare": _("comparing with the database"),
    "write": _("writing"),
}


def progress_key(batch_id):
    return f"import-progress-{batch_id}"


def progress_reporter(batch_id):
    cache = caches["imports"]

    worker = _this_process()

    def report(stage, done, total):
        state = {"stage": stage, "done": done, "total": max(total or 0, done), "at": time.time(), "worker": worker}
        cache.set(progress_key(batch_id), state, 3600)

    return report


def _started(pid):
    """When process `pid` started (clock ticks since boot), or None when there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _this_process():
    """Who is working on a batch: host, pid and the pid's start (a pid is reused, a start
    time with it is not)."""
    return [socket.gethostname(), os.getpid(), _started(os.getpid())]


def _worker_gone(state):
    """True when the process that reported last is known to be dead: it ran on this host and
    its pid is gone or is another process now (a web worker killed by its timeout, a task
    worker killed or restarted)."""
    worker = state.get("worker")
    if not worker or worker[0] != socket.gethostname() or worker[2] is None:
        return False
    return _started(worker[1]) != worker[2]


def fail_if_stalled(batch):
    """A batch whose worker is known to be dead (it ran on this host and its process is gone),
    or that has been checking or saving with no sign of life for
    `KKMP_IMPORT_STALL_MINUTES`, lost its worker (killed, restarted, connection dropped): its
    transaction was rolled back, so nothing was imported. Say so, and free the page."""
    if batch.status not in (ImportBatch.Status.VALIDATING, ImportBatch.Status.COMMITTING):
        return batch
    limit = timedelta(minutes=settings.KKMP_IMPORT_STALL_MINUTES)
    state = caches["imports"].get(progress_key(batch.pk)) or {}
    last = max(batch.updated_at.timestamp(), state.get("at", 0))
    if _worker_gone(state) or time.time() - last > limit.total_seconds():
        log.error("import batch %s stalled in %s; marked failed", batch.pk, batch.status)
        finish(batch, ImportBatch.Status.FAILED, _("The work on this file stopped (the worker was stopped or lost its database connection). Nothing was imported; upload the file again."))
    return batch


def get_progress(batch):
    """{"stage", "label", "done", "total", "percent"} of a running batch, or None."""
    state = caches["imports"].get(progress_key(batch.pk))
    if not state or not batch.is_running:
        return None
    total = state["total"] or 0
    percent = int(100 * state["done"] / total) if total else 0
    return {**state, "label": STAGES.get(state["stage"], state["stage"]), "percent": min(percent, 100)}


@transaction.atomic
def create_batch(*, kind, uploaded, user, kelurahan=None):
    """Store an uploaded file as a new batch, waiting to be checked (streamed to storage: a
    large upload is never held whole in memory)."""
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    batch = ImportBatch(
        kind=kind,
        file_name=uploaded.name[:255],
        file_size=uploaded.size,
        sha256=digest.hexdigest(),
        kelurahan_kode=kelurahan.kode if kelurahan else "",
        created_by=user,
    )
    batch.file.save(uploaded.name, uploaded, save=False)
    batch.save()
    return batch


def _read(batch):
    """The batch's file as a `Source`: a path on local storage (read as a stream), else its
    bytes."""
    try:
        return Source(path=batch.file.path)
    except (NotImplementedError, AttributeError):  # storage without local paths
        with batch.file.open("rb") as fh:
            return Source(data=fh.read())


def validate_batch(batch, progress=None):
    """Check every row and compare with the database; store counts, preview and error file."""
    progress = progress or progress_reporter(batch.pk)
    batch.status = ImportBatch.Status.VALIDATING
    batch.save(update_fields=["status"])
    progress("read", 0, 0)  # who is working on it, from the start
    try:
        data = _read(batch)
        importer, parsed, plan = pipeline.analyse(batch, data, progress)
    except ImportFileError as exc:
        finish(batch, ImportBatch.Status.INVALID, str(exc))
        return batch
    except Exception:
        log.exception("import batch %s: check failed", batch.pk)
        finish(batch, ImportBatch.Status.FAILED, _("The file could not be checked because of an internal error; nothing was imported."))
        return batch
    pipeline.summarise(batch, importer, parsed, plan)
    pipeline.drop_staging()
    if parsed.problems:
        batch.error_file.save(f"kesalahan-impor-{batch.pk}.xlsx", ContentFile(error_report(batch, data, parsed.problems)), save=False)
        finish(batch, ImportBatch.Status.INVALID, _("%(n)d row(s) have errors; nothing will be imported. Correct the file and upload it again.") % {"n": batch.rows_invalid})
    else:
        finish(batch, ImportBatch.Status.READY, "")
    return batch


def commit_batch(batch, user, progress=None):
    """Write the batch in one transaction (it is checked again against today's database).

    Returns the pipeline's parse result, or None when the file could not be imported at all
    (the batch then says why: invalid, or failed and rolled back)."""
    progress = progress or progress_reporter(batch.pk)
    data = _read(batch)
    try:
        parsed = pipeline.commit(batch, data, user, progress)
    except pipeline.NotConfirmable as exc:
        # Another request or task already wrote (or is writing) this batch: leave it as it is.
        log.warning("import batch %s: commit refused, status is %s", exc.args[0], exc.args[1])
        batch.refresh_from_db()
        return None
    except ImportFileError as exc:
        finish(batch, ImportBatch.Status.INVALID, str(exc))
        return None
    except Exception:
        log.exception("import batch %s: commit failed", batch.pk)
        # The transaction was rolled back. If the connection itself was lost (server restart,
        # connection cut), drop it so that the next query opens a fresh one.
        if not connection.in_atomic_block and not connection.is_usable():
            connection.close()
        batch.refresh_from_db()
        finish(batch, ImportBatch.Status.FAILED, _("The import failed and was rolled back; nothing was imported. Try again, and tell the administrator if it happens again."))
        return None
    if parsed.problems:
        batch.error_file.save(f"kesalahan-impor-{batch.pk}.xlsx", ContentFile(error_report(batch, data, parsed.problems)), save=False)
        finish(batch, ImportBatch.Status.INVALID, _("The database changed since the check and %(n)d row(s) are now invalid; nothing was imported.") % {"n": batch.rows_invalid})
    else:
        log.info("import batch %s committed: %s new, %s changed", batch.pk, batch.rows_new, batch.rows_updated)
        record(
            AuditEvent.Action.IMPORT_COMMITTED, user=user, obj=batch, file_name=batch.file_name,
            sha256=batch.sha256, new=batch.rows_new, changed=batch.rows_updated, unchanged=batch.rows_unchanged,
        )
    return parsed


def undo_batch(batch, user, request=None):
    pipeline.undo(batch, user)
    log.info("import batch %s undone by %s", batch.pk, user.pk)
    record(AuditEvent.Action.IMPORT_UNDONE, request=request, user=user, obj=batch, file_name=batch.file_name, sha256=batch.sha256)


def undo_batch_reported(batch, user):
    """Undo in the task worker: the outcome is told on the batch's page (its message)."""
    waiting = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.COMMITTED)
    try:
        undo_batch(batch, user)
    except UndoRefused as exc:
        waiting.update(message=str(exc))
    except Exception:
        log.exception("import batch %s: undo failed", batch.pk)
        if not connection.in_atomic_block and not connection.is_usable():
            connection.close()
        waiting.update(message=_("The undo failed and was rolled back; nothing was undone. Try again, and tell the administrator if it happens again."))
    else:
        ImportBatch.objects.filter(pk=batch.pk).update(message="")


def finish(batch, status, message):
    batch.status = status
    batch.message = message
    if status in (ImportBatch.Status.READY, ImportBatch.Status.INVALID) and not batch.validated_at:
        batch.validated_at = timezone.now()
    batch.save()
    caches["imports"].delete(progress_key(batch.pk))


def error_report(batch, data, problems):
    """An XLSX with every invalid row as it was in the file, plus what is wrong with it."""
    from openpyxl import Workbook

    from kkmp.downloads import neutralise

    by_row = {}
    for problem in problems:
        by_row.setdefault((problem.sheet, problem.row), []).append(problem)
    named = any(problem.sheet for problem in problems)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Errors"))
    importer = pipeline.IMPORTS.get(batch.kind)
    max_rows = importer().max_file_rows if importer else None
    try:
        first = read_table(data, batch.file_name, max_rows)
        headers = [text(h) for h in first.headers]
    except ImportFileError:
        first, headers = None, []
    sheet.append([_("row"), _("what is wrong"), *([_("sheet")] if named else []), *[neutralise(h) for h in headers]])
    for problem in by_row.pop(("", 0), []):
        sheet.append([0, problem.message])
    try:
        for table in first.sheets() if first is not None else ():
            name = table.sheet_name if named else ""
            for number, cells in data_rows(table, max_rows):
                found = by_row.get((name, number))
                if found:
                    reasons = "; ".join(f"{p.column}: {p.message}" for p in found)
                    sheet.append([number, reasons, *([neutralise(name)] if named else []), *[neutralise(text(c)) for c in cells]])
    except ImportFileError:  # the rows written so far are the report
        pass
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
