"""The import pages, for admins (superusers) only (`imports/access.py`): thin views over
`imports.services` (running batches) and `imports.tasks` (starting them in the worker or in the
request), with the preview, progress and error file of each batch."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import AuditEvent, record
from kkmp.downloads import spreadsheet

from . import pipeline, services, tasks
from .access import admins_only
from .base import UndoRefused
from .forms import UploadForm
from .models import ImportBatch

can_import = admins_only  # imports/access.py: admins (superusers) only, every view


@login_required
@can_import
def import_list(request):
    """Every import batch, newest first."""
    batches = ImportBatch.objects.select_related("created_by")
    page = Paginator(batches, 25).get_page(request.GET.get("page"))
    return render(request, "imports/import_list.html", {"page": page})


@login_required
@can_import
def import_create(request):
    """Upload a file; it is checked (not imported) and the preview page follows."""
    form = UploadForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("jenis")})
    if request.method == "POST" and form.is_valid():
        batch = services.create_batch(
            kind=form.cleaned_data["kind"],
            uploaded=form.cleaned_data["file"],
            user=request.user,
            kelurahan=form.cleaned_data["kelurahan"],
        )
        tasks.start_validation(batch)
        return redirect(batch)
    return render(request, "imports/import_create.html", {"form": form, "kinds": ImportBatch.Kind.choices})


@login_required
@can_import
def import_detail(request, pk):
    """Progress while a batch runs; then its counts, the preview and the errors."""
    batch = get_object_or_404(ImportBatch.objects.select_related("created_by", "committed_by", "undone_by"), pk=pk)
    services.fail_if_stalled(batch)
    return render(
        request,
        "imports/import_detail.html",
        {
            "batch": batch,
            "progress": services.get_progress(batch),
            "can_undo": request.user.has_perm("imports.undo_importbatch") and batch.status == ImportBatch.Status.COMMITTED,
            "fields": [_field_label(batch, f) for f in batch.preview.get("fields", [])],
        },
    )


def _field_label(batch, name):
    model = pipeline.IMPORTS[batch.kind].model
    field = model._meta.get_field(name.removesuffix("_id"))
    return field.verbose_name


@login_required
@can_import
def import_progress(request, pk):
    """The progress bar alone, as JSON, for scripts and monitoring."""
    from django.http import JsonResponse

    batch = get_object_or_404(ImportBatch, pk=pk)
    return JsonResponse({"status": batch.status, "progress": services.get_progress(batch)})


@require_POST
@login_required
@can_import
def import_commit(request, pk):
    batch = get_object_or_404(ImportBatch, pk=pk)
    if batch.status != ImportBatch.Status.READY:
        messages.error(request, _("This batch cannot be imported in its current state."))
        return redirect(batch)
    if not tasks.start_commit(batch, request.user):
        messages.error(request, _("This batch cannot be imported in its current state."))
        return redirect(batch)
    batch.refresh_from_db()
    if batch.status == ImportBatch.Status.COMMITTED:
        messages.success(
            request,
            _("Imported: %(new)d new, %(changed)d changed, %(unchanged)d unchanged.")
            % {"new": batch.rows_new, "changed": batch.rows_updated, "unchanged": batch.rows_unchanged},
        )
    return redirect(batch)


@require_POST
@login_required
@can_import
def import_undo(request, pk):
    batch = get_object_or_404(ImportBatch, pk=pk)
    try:
        done = tasks.start_undo(batch, request.user, request=request)
    except UndoRefused as exc:
        messages.error(request, str(exc))
    else:
        if not done:
            messages.info(request, _("The undo is running in the background; this page shows the result when it is done."))
        elif batch.kind == ImportBatch.Kind.PAYMENTS:
            messages.success(request, _("The import was undone: every payment it recorded is reversed by a correction entry."))
        else:
            messages.success(request, _("The import was undone; the previous values are restored."))
    return redirect(batch)


@login_required
@can_import
def import_errors(request, pk):
    batch = get_object_or_404(ImportBatch, pk=pk)
    if not batch.error_file:
        raise Http404
    record(AuditEvent.Action.EXPORT, request=request, obj=batch, what="import error file")
    return FileResponse(batch.error_file.open("rb"), as_attachment=True, filename=f"kesalahan-impor-{batch.pk}.xlsx")


@login_required
@can_import
def import_template(request, kind, fmt):
    """An empty file with the expected columns and one example row."""
    importer = pipeline.IMPORTS.get(kind)
    if importer is None or fmt not in ("xlsx", "csv"):
        raise Http404
    if fmt == "csv":
        import csv

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(importer.template_headers)
        writer.writerows(importer.template_rows)
        content = out.getvalue()
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(importer.template_headers)
        for row in importer.template_rows:
            sheet.append(row)
        for column in importer.text_columns:  # 16-digit numbers must stay text in Excel
            for cell in sheet[column]:
                cell.number_format = "@"
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
    return spreadsheet(content, fmt, "templat", kind)
