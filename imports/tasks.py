"""Where a batch's check or confirmed import runs: in the request for a small file, or handed to
the task worker (`manage.py db_worker`, django-tasks) for a large one, once the transaction that
stored the batch commits. The work itself is `services.validate_batch`/`services.commit_batch`;
this module depends on `services`, never the other way round.

A kind whose rows are written one by one (payments: each row goes through the ledger's
`record_payment`) goes to the worker from a smaller file (`BaseImport.write_cost`), and so does
its undo (each entry reversed by `reverse_entry`); every other undo runs in the request.
"""

import zipfile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from . import pipeline, services
from .models import ImportBatch
from .table import time_budget


@task()
def validate_import(batch_id):
    with time_budget(settings.KKMP_IMPORT_WORKER_SECONDS):
        services.validate_batch(ImportBatch.objects.get(pk=batch_id))


@task()
def commit_import(batch_id, user_id):
    batch = ImportBatch.objects.get(pk=batch_id)
    with time_budget(settings.KKMP_IMPORT_WORKER_SECONDS):
        services.commit_batch(batch, get_user_model().objects.get(pk=user_id))


@task()
def undo_import(batch_id, user_id):
    batch = ImportBatch.objects.get(pk=batch_id)
    services.undo_batch_reported(batch, get_user_model().objects.get(pk=user_id))


def write_cost(batch):
    importer = pipeline.IMPORTS.get(batch.kind)
    return getattr(importer, "write_cost", 1)


# A workbook's sheets unpack to ~8 times the file in a real export; a sheet that unpacks to more
# than this many times the background threshold goes to the worker whatever the file's size
# (a small file padded with empty cells costs the checks as much as a large one).
UNPACKED_PER_BYTE = 8


def unpacked_size(batch):
    """What a workbook's parts declare they unpack to (its zip directory, read without
    unpacking anything), or the file size for a CSV or anything that is not a zip."""
    try:
        with batch.file.open("rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return batch.file_size
            fh.seek(0)
            with zipfile.ZipFile(fh) as archive:
                return sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return batch.file_size


def runs_in_background(batch):
    threshold = settings.KKMP_IMPORT_BACKGROUND_BYTES
    if batch.file_size * write_cost(batch) > threshold:
        return True
    return unpacked_size(batch) * write_cost(batch) > threshold * UNPACKED_PER_BYTE


def _in_request(work, *args):
    """Work done inside the request: within one time budget for all its reading, well under
    the web server's timeout."""
    with time_budget(settings.KKMP_IMPORT_REQUEST_SECONDS):
        return work(*args)


def start_validation(batch):
    """Check the batch now, or hand it to the task worker when the file is large."""
    if runs_in_background(batch):
        transaction.on_commit(lambda: validate_import.enqueue(batch.pk))
    else:
        _in_request(services.validate_batch, batch)


def start_commit(batch, user):
    """Confirm a checked batch: claim it (READY → COMMITTING in one conditional UPDATE, so two
    confirmations sent at once claim it once) and write it now or in the task worker. False
    when the batch was no longer waiting to be confirmed (another request took it)."""
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.READY).update(
        status=ImportBatch.Status.COMMITTING
    )
    if not claimed:
        return False
    batch.status = ImportBatch.Status.COMMITTING
    if runs_in_background(batch):
        transaction.on_commit(lambda: commit_import.enqueue(batch.pk, user.pk))
    else:
        _in_request(services.commit_batch, batch, user)
    return True


def start_undo(batch, user, request=None):
    """Undo the batch now (raising `UndoRefused` when it cannot be), or hand a large batch of a
    kind written row by row to the task worker; True when it was undone now."""
    if write_cost(batch) > 1 and runs_in_background(batch):
        batch.message = _("The undo is running in the background; this page shows the result when it is done.")
        batch.save(update_fields=["message"])
        transaction.on_commit(lambda: undo_import.enqueue(batch.pk, user.pk))
        return False
    services.undo_batch(batch, user, request=request)
    return True
