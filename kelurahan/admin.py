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

from .grants import (
    editable_groups,
    grantable_groups,
    grantable_kelurahan,
    grantable_permissions,
    manageable_users,
)
from .models import HouseholdCount, KabupatenKota, Kecamatan, Kelurahan, Provinsi
from .resources import HouseholdCountResource, KelurahanResource
from .signals import household_counts_changed


@admin.register(Provinsi)
class ProvinsiAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama"]
    search_fields = ["kode", "nama"]


@admin.register(KabupatenKota)
class KabupatenKotaAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "provinsi"]
    list_select_related = ["provinsi"]
    search_fields = ["kode", "nama"]
    autocomplete_fields = ["provinsi"]


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "kabupaten_kota"]
    list_select_related = ["kabupaten_kota"]
    search_fields = ["kode", "nama"]
    autocomplete_fields = ["kabupaten_kota"]


@admin.register(Kelurahan)
class KelurahanAdmin(AuditedExportMixin, admin.ModelAdmin):
    resource_classes = [KelurahanResource]
    list_display = ["kode", "nama", "kecamatan", "kode_bps", "alternative_names"]
    list_select_related = ["kecamatan"]
    list_filter = ["kecamatan__kabupaten_kota", "kecamatan"]
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


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin, except that a staff member who is not a superuser sees only the
    accounts holding nothing beyond their own powers, and can give only the groups,
    permissions and kelurahan they hold themselves (never superuser status)."""

    form = AccountChangeForm
    fieldsets = UserAdmin.fieldsets + ((_("Kelurahan"), {"fields": ("kelurahan",)}),)

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
