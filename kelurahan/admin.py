"""Regions, household counts, accounts and groups in the admin. Accounts and groups follow
`kelurahan.grants` (a staff account grants only what it holds); household counts are imported
through the `imports` pages (the *Impor* button)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.admin_exports import AuditedExportMixin, ImportLinkAdmin
from audit.models import AuditEvent, record

from .grants import (
    editable_groups,
    grantable_groups,
    grantable_kelurahan,
    grantable_permissions,
    manageable_users,
)
from .models import HouseholdCount, KabupatenKota, Kecamatan, Kelurahan, Provinsi, RegionGrant
from .resources import HouseholdCountResource, KelurahanResource
from .signals import household_counts_changed


@admin.register(Provinsi)
class ProvinsiAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["kode", "nama"]


@admin.register(KabupatenKota)
class KabupatenKotaAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "provinsi", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["provinsi"]
    search_fields = ["kode", "nama"]
    autocomplete_fields = ["provinsi"]


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "kabupaten_kota", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["kabupaten_kota"]
    search_fields = ["kode", "nama"]
    autocomplete_fields = ["kabupaten_kota"]


@admin.register(Kelurahan)
class KelurahanAdmin(AuditedExportMixin, admin.ModelAdmin):
    resource_classes = [KelurahanResource]
    list_display = ["kode", "nama", "kecamatan", "kode_bps", "alternative_names", "is_desa", "is_active"]
    list_select_related = ["kecamatan"]
    list_filter = ["is_active", "is_desa", "kecamatan__kabupaten_kota__provinsi"]
    search_fields = ["kode", "kode_bps", "nama", "alternative_names"]
    autocomplete_fields = ["kecamatan"]
    filter_horizontal = ["officers"]

    def get_readonly_fields(self, request, obj=None):
        # Officers are assigned on the account page, where a staff member can only give the
        # kelurahan they hold (kelurahan/grants.py); here only a superuser may change them.
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("officers")
        return fields


@admin.register(HouseholdCount)
class HouseholdCountAdmin(ImportLinkAdmin):
    resource_classes = [HouseholdCountResource]
    import_kind = "household_counts"
    list_display = ["kelurahan", "count", "as_of", "source", "created_at"]
    list_select_related = ["kelurahan"]
    list_filter = ["as_of", "kelurahan__kecamatan"]
    search_fields = ["kelurahan__nama", "kelurahan__kode", "source"]
    autocomplete_fields = ["kelurahan"]
    date_hierarchy = "as_of"
    readonly_fields = ["created_at"]

    def delete_queryset(self, request, queryset):
        """The bulk delete keeps each kelurahan's current count (`HouseholdCount.delete` does
        for one row)."""
        with transaction.atomic():
            kelurahan_ids = set(queryset.values_list("kelurahan_id", flat=True))
            super().delete_queryset(request, queryset)
            household_counts_changed.send(sender=HouseholdCount, kelurahan_ids=kelurahan_ids)


# --- Accounts: staff grant only what they hold (kelurahan/grants.py) ------------------------

class AccountChangeForm(UserChangeForm):
    kelurahan = forms.ModelMultipleChoiceField(
        Kelurahan.objects.none(),
        required=False,
        widget=FilteredSelectMultiple(_("kelurahan"), is_stacked=False),
        label=_("kelurahan (as officer)"),
        help_text=_("The kelurahan whose members this account keeps (role Pengurus KKMP)."),
    )
    editor = None  # set per request by AccountAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].queryset = grantable_kelurahan(self.editor)
        if self.instance.pk:
            self.initial.setdefault("kelurahan", list(self.instance.kelurahan_assignments.all()))


class RegionGrantInline(admin.TabularInline):
    """A reviewer's regions (`RegionGrant`): one province, kabupaten/kota or kecamatan per
    row, or a row with none for the whole country. Superusers only: a region is a power over
    personal data that `kelurahan.grants` cannot bound."""

    model = RegionGrant
    extra = 0
    autocomplete_fields = ["provinsi", "kabupaten_kota", "kecamatan"]
    verbose_name = _("reviewer's region (role Peninjau DKUMKMP)")
    verbose_name_plural = _("reviewer's regions (role Peninjau DKUMKMP): a row without a region is the whole country")

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin, except that a staff member who is not a superuser sees only the
    accounts holding nothing beyond their own powers, and can give only the groups,
    permissions and kelurahan they hold themselves (never superuser status)."""

    form = AccountChangeForm
    fieldsets = UserAdmin.fieldsets + ((_("Kelurahan"), {"fields": ("kelurahan",)}),)
    inlines = [RegionGrantInline]

    def get_inlines(self, request, obj):
        # only superusers give regions (RegionGrantInline); others never see the rows
        return self.inlines if obj is not None and request.user.is_superuser else []

    def save_formset(self, request, form, formset, change):
        """Region grants are written, then audited: what the account holds now."""
        if formset.model is not RegionGrant:
            return super().save_formset(request, form, formset, change)
        before = sorted(str(g) for g in RegionGrant.objects.filter(user=form.instance))
        super().save_formset(request, form, formset, change)
        after = sorted(str(g) for g in RegionGrant.objects.filter(user=form.instance))
        if before != after:
            record(AuditEvent.Action.REGION_GRANTED, request=request, obj=form.instance, before=before, after=after)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=manageable_users(request.user))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "is_staff"]  # staff status opens the admin: admins give it
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = grantable_groups(request.user)
        elif db_field.name == "user_permissions":
            kwargs["queryset"] = grantable_permissions(request.user).select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form
        return type(form.__name__, (form,), {"editor": request.user})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "kelurahan" in form.cleaned_data:
            form.instance.kelurahan_assignments.set(form.cleaned_data["kelurahan"])


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """Groups carry the roles; a staff member who is not a superuser changes only groups
    `editable_groups` allows (never the shared role groups), and adds only permissions they hold."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=editable_groups(request.user))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permissions":
            kwargs["queryset"] = grantable_permissions(request.user).select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)
