from django.contrib import admin

from corridor.followup.models import ExchangeRate, FollowUpPlan, FollowUpStep, Lead, Order, SendRun


class StepInline(admin.TabularInline):
    model = FollowUpStep
    extra = 1


@admin.register(FollowUpPlan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "reminder_after_days", "link_valid_days"]
    inlines = [StepInline]


@admin.register(ExchangeRate)
class RateAdmin(admin.ModelAdmin):
    list_display = ["currency", "valid_from", "usd_per_unit", "note"]
    list_filter = ["currency"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["id", "supplier", "buyer", "kind", "stage", "in_conflict", "started_on"]
    list_filter = ["kind", "stage", "in_conflict"]
    raw_id_fields = ["supplier", "buyer", "connection", "sourcing_request", "hs_code"]
    readonly_fields = ["stage", "furthest", "drop_reason"]  # changed through the service only


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "supplier", "buyer", "kind", "ordered_on", "value", "currency"]
    raw_id_fields = ["lead", "supplier", "buyer", "hs_code"]


@admin.register(SendRun)
class SendRunAdmin(admin.ModelAdmin):
    list_display = ["id", "started_at", "trigger", "status", "sent", "reminded", "failed"]
