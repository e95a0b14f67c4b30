"""The simpanan ledger: every payment, withdrawal and correction of a member's savings, one row
each, never changed or deleted (a mistake is corrected by a reversing entry with a reason); and
each member's balances, derived from the ledger in the transaction that writes it
(`koperasi.simpanan`), so pages and the dashboard read them instead of summing."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kelurahan.models import Kelurahan
from members.models import Member


def month_index(day):
    """Months since year 0 (2027-01 → 24324): months compared and counted as integers, the
    same in Python and in SQL on every database."""
    return day.year * 12 + day.month - 1


def month_of(index):
    """The first day of the month `index` (`month_index`)."""
    from datetime import date

    return date(index // 12, index % 12 + 1, 1)


class EntryQuerySet(models.QuerySet):
    def for_user(self, user):
        """Entries of the cooperatives `user` may read (`Kelurahan.objects.for_user`)."""
        return self.filter(kelurahan__in=Kelurahan.objects.for_user(user))


class Entry(models.Model):
    """One line of a member's simpanan ledger, with its receipt (kuitansi) number.

    `amount` is signed rupiah: a payment (setoran) is positive, a withdrawal of simpanan
    sukarela (penarikan) negative, and a correction (koreksi) is the exact opposite of the
    entry it reverses. Simpanan wajib entries also count the `months` they pay for."""

    class Kind(models.TextChoices):
        POKOK = "pokok", _("simpanan pokok")
        WAJIB = "wajib", _("simpanan wajib")
        SUKARELA = "sukarela", _("simpanan sukarela")

    class Type(models.TextChoices):
        PAYMENT = "setoran", _("payment")
        WITHDRAWAL = "penarikan", _("withdrawal")
        CORRECTION = "koreksi", _("correction")

    class Method(models.TextChoices):
        TUNAI = "tunai", _("cash (tunai)")
        TRANSFER = "transfer", _("bank transfer")
        QRIS = "qris", _("QRIS")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="simpanan", verbose_name=_("member"))
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="simpanan", verbose_name=_("cooperative (kelurahan)")
    )
    kind = models.CharField(_("savings"), max_length=10, choices=Kind.choices)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.PAYMENT)
    amount = models.BigIntegerField(_("amount (Rp)"))
    months = models.SmallIntegerField(_("months of simpanan wajib"), default=0)
    paid_on = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.TUNAI)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Transfer or QRIS reference number, if any.")
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by", verbose_name=_("reverses")
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    receipt_seq = models.PositiveIntegerField(_("receipt sequence"), editable=False)
    receipt_number = models.CharField(_("receipt number"), max_length=40, editable=False)
    import_batch_id = models.BigIntegerField(_("import batch"), null=True, blank=True, editable=False)
    # The one-time key of the form that recorded the entry (a hidden field, new each time the
    # form is shown): the same form sent twice finds its entry instead of writing a second one.
    # Entries written without a form (imports, corrections by an import's undo) have none.
    form_key = models.UUIDField(_("form key"), null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["member", "paid_on", "pk"]
        verbose_name = _("simpanan entry")
        verbose_name_plural = _("simpanan entries")
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "receipt_seq"], name="koperasi_entry_receipt_unique"),
            models.UniqueConstraint(fields=["form_key"], condition=Q(form_key__isnull=False),
                                    name="koperasi_entry_form_key_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="koperasi_entry_amount_not_zero"),
            models.CheckConstraint(
                condition=(Q(type="setoran", amount__gt=0, reverses__isnull=True)
                           | Q(type="penarikan", kind="sukarela", amount__lt=0, reverses__isnull=True)
                           | Q(type="koreksi", reverses__isnull=False)),
                name="koperasi_entry_sign_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(kind="wajib") & ~Q(months=0) | ~Q(kind="wajib") & Q(months=0),
                name="koperasi_entry_months_only_for_wajib",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "kind"], name="koperasi_entry_member_kind"),
            models.Index(fields=["kelurahan", "paid_on"], name="koperasi_entry_kel_paid_on"),
            models.Index(fields=["import_batch_id"], condition=Q(import_batch_id__isnull=False), name="koperasi_entry_batch"),
        ]

    def __str__(self):
        return f"{self.receipt_number} {self.get_kind_display()} Rp {self.amount:,}".replace(",", ".")

    def get_absolute_url(self):
        return reverse("koperasi:receipt", args=[self.pk])

    def save(self, *args, **kwargs):
        """Entries are written once (`koperasi.simpanan`): a saved one is never changed."""
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("A simpanan entry cannot be changed: record a correction instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A simpanan entry cannot be deleted: record a correction instead."))

    @property
    def months_paid(self):
        """The months of simpanan wajib the entry is about (a correction's are negative)."""
        return abs(self.months)

    @property
    def is_correction(self):
        return self.type == self.Type.CORRECTION

    @classmethod
    def format_receipt(cls, kelurahan, seq):
        return f"KW-{kelurahan.kode}-{seq:06d}"


class Account(models.Model):
    """A member's balances: the sums of their ledger entries, rewritten from the ledger under
    the member's row lock whenever an entry is added (`koperasi.simpanan.refresh_account`)."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, primary_key=True, related_name="account", verbose_name=_("member"))
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.CASCADE, related_name="+", verbose_name=_("cooperative (kelurahan)"))
    pokok = models.BigIntegerField(_("simpanan pokok paid (Rp)"), default=0)
    wajib = models.BigIntegerField(_("simpanan wajib paid (Rp)"), default=0)
    wajib_months = models.IntegerField(_("months of simpanan wajib paid"), default=0)
    sukarela = models.BigIntegerField(_("simpanan sukarela balance (Rp)"), default=0)
    pokok_paid_on = models.DateField(_("simpanan pokok fully paid on"), null=True, blank=True)

    FIGURES = ("pokok", "wajib", "wajib_months", "sukarela")

    class Meta:
        verbose_name = _("simpanan balance")
        verbose_name_plural = _("simpanan balances")
        constraints = [
            models.CheckConstraint(condition=Q(pokok__gte=0, wajib__gte=0, wajib_months__gte=0, sukarela__gte=0),
                                   name="koperasi_account_never_negative"),
        ]
        indexes = [models.Index(fields=["kelurahan"], include=["pokok", "wajib", "wajib_months"], name="koperasi_account_kel")]

    def __str__(self):
        return f"{self.member_id}: {self.pokok}/{self.wajib}/{self.sukarela}"

    @property
    def total(self):
        return self.pokok + self.wajib + self.sukarela

