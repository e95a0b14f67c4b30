"""Members and households in the admin, for admins (superusers) only (`kkmp.admin_site`), with
audited exports; a member saved here refreshes the dashboard like any other change."""

from django.contrib import admin

from audit.admin_exports import AuditedExportMixin, ImportLinkAdmin
from kkmp.admin_site import AdminsOnlyMixin

from .models import Household, Member, MemberStatusChange
from .resources import HouseholdResource, MemberResource
from .signals import members_changed


@admin.register(Household)
class HouseholdAdmin(AdminsOnlyMixin, ImportLinkAdmin):
    resource_classes = [HouseholdResource]
    import_kind = "households"
    list_display = ["no_kk", "head_name", "kelurahan", "rt", "rw"]
    list_select_related = ["kelurahan"]
    list_filter = ["kelurahan__kecamatan"]
    search_fields = ["=no_kk", "=head_nik", "head_name"]
    autocomplete_fields = ["kelurahan"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False


class StatusChangeInline(admin.TabularInline):
    """The status history, read-only: statuses change through the officers' pages (services)."""

    model = MemberStatusChange
    fields = ["on", "status", "reason", "recorded_by", "recorded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(AdminsOnlyMixin, AuditedExportMixin, admin.ModelAdmin):
    """Members are registered by officers on the site; the admin can correct and export them.
    Deleting is not offered: the register keeps everyone who was ever a member."""

    resource_classes = [MemberResource]
    list_display = ["member_number", "name", "kelurahan", "status", "joined_on", "left_on"]
    list_select_related = ["kelurahan"]
    list_filter = ["status", "kelurahan__kecamatan"]
    search_fields = ["=nik", "name", "member_number"]
    autocomplete_fields = ["household"]
    # Status, joining and leaving dates change with their history (accept, record leaving);
    # the cooperative too (moving is leaving one and joining another, with a new number).
    readonly_fields = ["member_number", "kelurahan", "status", "joined_on", "left_on", "created_at", "updated_at"]
    inlines = [StatusChangeInline]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """A correction here (status, kelurahan, KK) keeps the dashboard's counters exact."""
        was_in = Member.objects.filter(pk=obj.pk).values_list("kelurahan_id", flat=True).first()
        super().save_model(request, obj, form, change)
        members_changed.send(sender=Member, kelurahan_ids=[was_in, obj.kelurahan_id])

    def has_add_permission(self, request):
        return False  # registration assigns member numbers: use the officers' form
