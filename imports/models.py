"""Import batches: every spreadsheet import is recorded (who, when, file, checksum, counts),
previewed before it writes, committed in one transaction, and can be undone as a whole."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        HOUSEHOLDS = "households", _("households (KK)")
        HOUSEHOLD_COUNTS = "household_counts", _("household counts per kelurahan")
        MEMBERS = "members", _("members (a cooperative's register)")
        PAYMENTS = "payments", _("simpanan payments (setoran)")

    class Layout(models.TextChoices):
        HOUSEHOLD_LIST = "household_list", _("Household list (one row per KK)")
        SIAK_PEOPLE = "siak_people", _("Population export (one row per person, SIAK/Disdukcapil)")
        OPENSID_PEOPLE = "opensid_people", _("OpenSID resident export (one row per person)")
        HOUSEHOLD_COUNTS = "household_counts", _("Household counts (one row per kelurahan and date)")
        MEMBER_LIST = "member_list", _("Register of members (one row per member)")
        PAYMENT_LIST = "payment_list", _("Simpanan payments (one row per payment)")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be checked")
        VALIDATING = "validating", _("checking")
        READY = "ready", _("checked, waiting for confirmation")
        INVALID = "invalid", _("has errors, nothing imported")
        COMMITTING = "committing", _("saving")
        COMMITTED = "committed", _("imported")
        FAILED = "failed", _("failed, nothing imported")
        UNDONE = "undone", _("undone")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    kelurahan_kode = models.CharField(
        _("kelurahan for rows without one"), max_length=13, blank=True,
        help_text=_("Kemendagri code, for files that name no kelurahan (e.g. an OpenSID export)."),
    )
    layout = models.CharField(_("layout recognised"), max_length=20, choices=Layout.choices, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_new = models.PositiveIntegerField(_("new"), default=0)
    rows_updated = models.PositiveIntegerField(_("changed"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid"), default=0)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    # Undo deletes exactly these rows. Ids come from a sequence and are never reused, so the
    # rows one INSERT created are a few [first, last] runs (one, unless another session
    # inserted at the same moment): a city's 200,000 new rows are recorded in a few bytes.
    created_ids = models.JSONField(
        _("ids of the rows created"), default=list, blank=True,
        help_text=_("[first, last] id ranges of the rows this import created."),
    )
    created_households = models.JSONField(
        _("households created"), default=list, blank=True,
        help_text=_("[first, last] id ranges of the households a member import created for unknown KK numbers."),
    )
    # A payments import writes ledger entries (`koperasi.Entry.import_batch_id` names the
    # batch; undo reverses them, never deletes). The applicants its simpanan pokok made active
    # are kept here, so that undo makes them applicants again as they were.
    activated_members = models.JSONField(
        _("members activated"), default=list, blank=True,
        help_text=_("[member id, joining date before, status change id] of each applicant a payments import made active."),
    )
    message = models.TextField(_("message"), blank=True)
    error_file = models.FileField(_("error file"), upload_to="imports/errors/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_batches",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last change"), auto_now=True)
    validated_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("confirmed by"),
    )
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("undone by"),
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        permissions = [("undo_importbatch", _("Can undo an import batch"))]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()}: {self.file_name}"

    def get_absolute_url(self):
        return reverse("imports:import_detail", args=[self.pk])

    @property
    def is_running(self):
        return self.status in {self.Status.PENDING, self.Status.VALIDATING, self.Status.COMMITTING}


class ImportRowChange(models.Model):
    """One row an import changed: the object's id, its values before, which undo restores
    exactly, and the values after. (Rows an import creates are `ImportBatch.created_ids`; batches imported before
    that field existed have a row here with `before` None for each.)
    """

    # No database-level foreign key: a city import records 200,000 of these rows, and checking
    # each against the batch at commit costs seconds. Batches are never deleted.
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes", db_constraint=False)
    object_id = models.BigIntegerField()
    before = models.JSONField(null=True)
    # The values the import wrote (None for rows recorded before this was kept): with the
    # batch's `committed_by`/`committed_at`, who changed what, when, old → new.
    after = models.JSONField(null=True)

    class Meta:
        # Undo asks "did a later batch touch these objects?": object_id first.
        indexes = [models.Index(fields=["object_id", "batch"], name="imports_change_object_batch")]
