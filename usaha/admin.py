"""The admin: the HET per kota (admins record it with its source), units, products, the SHU
rule; the ledger read-only (entries are written by `usaha.services` only)."""

from django.contrib import admin

from .models import BusinessUnit, Het, Product, ShuRule, ShuYear, StockEntry


@admin.register(Het)
class HetAdmin(admin.ModelAdmin):
    list_display = ["kabupaten_kota", "price", "valid_from", "source"]
    list_filter = ["kabupaten_kota"]


class ProductInline(admin.TabularInline):
    model = Product
    extra = 0
    readonly_fields = ["stock", "empties", "unit_cost"]


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kelurahan", "kind", "supplier", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["kelurahan"]
    inlines = [ProductInline]


@admin.register(StockEntry)
class StockEntryAdmin(admin.ModelAdmin):
    list_display = ["receipt_number", "unit", "product", "type", "on", "quantity", "amount"]
    list_filter = ["type"]
    list_select_related = ["unit", "product"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ShuRule)
class ShuRuleAdmin(admin.ModelAdmin):
    list_display = ["kelurahan", *ShuRule.SHARES]


@admin.register(ShuYear)
class ShuYearAdmin(admin.ModelAdmin):
    list_display = ["kelurahan", "year", "margin", "other_costs", "decided_at", "paid_at"]
    readonly_fields = ["allocation", "margin", "decided_at", "paid_at"]
