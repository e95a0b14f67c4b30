"""Background work for large imports, run by `manage.py db_worker` (django-tasks)."""

from django.contrib.auth import get_user_model
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
