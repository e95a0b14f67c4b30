"""Where a batch's check or confirmed import runs: in the request for a small file, or handed to
the task worker (`manage.py db_worker`, django-tasks) for a large one, once the transaction that
stored the batch commits. The work itself is `services.validate_batch`/`services.commit_batch`;
this module depends on `services`, never the other way round.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_tasks import task

from . import services
from .models import ImportBatch


@task()
def validate_import(batch_id):
    services.validate_batch(ImportBatch.objects.get(pk=batch_id))


@task()
def commit_import(batch_id, user_id):
    batch = ImportBatch.objects.get(pk=batch_id)
    services.commit_batch(batch, get_user_model().objects.get(pk=user_id))


def runs_in_background(batch):
    return batch.file_size > settings.KKMP_IMPORT_BACKGROUND_BYTES


def start_validation(batch):
    """Check the batch now, or hand it to the task worker when the file is large."""
    if runs_in_background(batch):
        transaction.on_commit(lambda: validate_import.enqueue(batch.pk))
    else:
        services.validate_batch(batch)


def start_commit(batch, user):
    batch.status = ImportBatch.Status.COMMITTING
    batch.save(update_fields=["status"])
    if runs_in_background(batch):
        transaction.on_commit(lambda: commit_import.enqueue(batch.pk, user.pk))
    else:
        services.commit_batch(batch, user)
