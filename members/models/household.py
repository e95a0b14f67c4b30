"""Households (Kartu Keluarga), and what the member model shares with them: the change history
of every save (`SavedHistory`) and the RT/RW rule (`validate_rt_rw`, `RT_RW_HELP`).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kelurahan.models import Kelurahan
from members.identity import mask, validate_nik, validate_no_kk
from members.values import normalise_rt_rw

RT_RW_HELP = _("Up to three digits; 7 and 007 are the same RT.")


class SavedHistory(HistoricalRecords):
    """django-simple-history, recording every save of one object (forms, services, admin):
    who, when, the values after. Bulk writes send no signals, so imports and their undo stay
    set-based and are recorded by their import batch instead. Deletions are not recorded
    here: members are never deleted, and a household is deleted only by undoing the import that
    created it (the batch records that), so the per-object delete signal is not connected and
    a bulk delete keeps Django's fast path."""

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        # The history models live in `members.models` (as when every model was in one file),
        # whichever module of the package defines the model: `members.models.HistoricalMember`.
        self.module = f"{cls._meta.app_label}.models"

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            models.signals.post_delete.disconnect(self.post_delete, sender=sender)
            models.signals.pre_delete.disconnect(self.pre_delete, sender=sender)


def validate_rt_rw(value):
    if value and not (value.isascii() and value.isdigit() and len(value) == 3 and value != "000"):
        raise ValidationError(
            _("RT/RW must be a number from 1 to 999 (given: %(value)s)."),
            code="invalid_rt_rw",
            params={"value": value},
        )


class HouseholdQuerySet(models.QuerySet):
    def for_user(self, user):
        """Households in the kelurahan `user` may read (see `KelurahanQuerySet.for_user`)."""
        return self.filter(kelurahan__in=Kelurahan.objects.for_user(user))


class Household(models.Model):
    """A Kartu Keluarga: one household, identified by its 16-digit KK number."""

    no_kk = models.CharField(
        _("KK number"), max_length=16, unique=True, validators=[validate_no_kk]
    )
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="households", verbose_name=_("kelurahan")
    )
    head_name = models.CharField(_("name of the head of household"), max_length=150, blank=True)
    head_nik = models.CharField(
        _("NIK of the head of household"),
        max_length=16,
        blank=True,
        validators=[validate_nik],
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True, validators=[validate_rt_rw], help_text=RT_RW_HELP)
    rw = models.CharField(
        _("RW"),
        max_length=3,
        blank=True,
        validators=[validate_rt_rw],
        help_text=_("Optional: Balikpapan has no RW."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()
    history = SavedHistory(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["no_kk"]
        # Equality lookups only (imports check a head is not head of another KK): a plain
        # btree, without the LIKE index Django adds for db_index=True on a CharField.
        indexes = [models.Index(fields=["head_nik"], name="members_household_head_nik")]
        verbose_name = _("household (KK)")
        verbose_name_plural = _("households (KK)")

    def __str__(self):
        """Masked: this text goes wherever an object is named (the admin's log and recent
        actions, delete confirmations), also before readers who may not see the number."""
        return f"KK {mask(self.no_kk)}"

    def clean(self):
        self.rt = normalise_rt_rw(self.rt)
        self.rw = normalise_rt_rw(self.rw)

