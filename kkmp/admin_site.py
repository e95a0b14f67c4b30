"""The admin site of KKMP Anggota, with one rule for every model registered on it.

Personal data in the admin is for admins (superusers) only: officers and reviewers work on the
site's pages, which apply the kelurahan scope and the masking. The rule fails closed: a staff
account that is not a superuser may use, with its permissions, only the models named in
`STAFF_MODELS` (accounts and groups, under `kelurahan.grants`' rules, and the regions,
household counts, campaigns and reports, which hold no personal data). Every other model
registered here, ours or a library's (members, households, imports, the audit trail, sign-in
attempts, 2FA devices, tasks), gets `AdminsOnlyMixin` at registration: its list, pages,
history, actions, export, import and autocomplete answer superusers only, whatever permissions
a staff account holds. A model added later is admin-only until someone adds it to the list.
"""

from django.contrib import admin

from kkmp.access import is_admin

STAFF_MODELS = frozenset({
    "auth.user", "auth.group",
    "kelurahan.provinsi", "kelurahan.kabupatenkota", "kelurahan.kecamatan", "kelurahan.kelurahan",
    "kelurahan.householdcount", "dashboard.campaign", "dashboard.report",
})


class AdminsOnlyMixin:
    """A model admin for superusers only (see the module's docstring)."""

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_admin(request.user) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_delete_permission(request, obj)

    # django-import-export checks the model permission only: the same rule as viewing.
    def has_export_permission(self, request):
        parent = getattr(super(), "has_export_permission", None)
        return is_admin(request.user) and (parent is None or parent(request))

    def has_import_permission(self, request):
        parent = getattr(super(), "has_import_permission", None)
        return is_admin(request.user) and (parent is None or parent(request))


class KKMPAdminSite(admin.AdminSite):
    site_header = "KKMP Anggota"
    site_title = "KKMP Anggota"

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        for model in models:
            cls = admin_class or admin.ModelAdmin
            if model._meta.label_lower not in STAFF_MODELS and not issubclass(cls, AdminsOnlyMixin):
                cls = type(cls.__name__, (AdminsOnlyMixin, cls), {"__module__": cls.__module__})
            super().register(model, cls, **options)


# --- Shared by the apps' model admins (the audited export: audit/admin_exports.py) ---------

class ReadOnlyAdminMixin:
    """Records that the admin may list and search but never add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
