"""Campaigns (the targets the dashboard measures against) and issued reports, in the admin."""

from django.contrib import admin

from kkmp.admin_site import ReadOnlyAdminMixin

from .models import Campaign, Report


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Target campaigns: the dashboard shows the one running today, or `?kampanye=<id>`."""

    list_display = ["name", "percent", "starts_on", "deadline", "wilayah_kode"]
    search_fields = ["name", "wilayah_kode"]
    autocomplete_fields = ["kelurahan"]
    date_hierarchy = "starts_on"


@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Issued reports are frozen: listed here, never changed."""

    list_display = ["as_of", "region_name", "campaign_name", "created_by", "created_at"]
    list_select_related = ["created_by"]
    exclude = ["xlsx"]
    readonly_fields = ["region_kode", "region_name", "campaign_name", "as_of", "created_by", "created_at", "data"]
