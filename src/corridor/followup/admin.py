from django.contrib import admin

from corridor.followup import impact_cache, services
from corridor.followup.models import (
    ExchangeRate,
    FollowUpPlan,
    FollowUpStep,
    Lead,
    Order,
    SendRun,
    SurveyInvitation,
)


class StepInline(admin.TabularInline):
    model = FollowUpStep
    extra = 1


@admin.register(FollowUpPlan)
class PlanAdmin(admin.ModelAdmin):
    """Staff edit plans on Follow-up → Plans (services.plan_save keeps sent surveys); the admin
    is for looking, and never deletes a plan whose surveys and answers are the history."""

    list_display = ["name", "event", "is_active", "reminder_after_days", "link_valid_days"]
    inlines = [StepInline]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and SurveyInvitation.objects.filter(step__plan=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ExchangeRate)
class RateAdmin(admin.ModelAdmin):
    list_display = ["currency", "valid_from", "usd_per_unit", "note"]
    list_filter = ["currency"]

    # Orders keep their value in US dollars: a rate changed here converts them again.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.orders_refresh(currency=obj.currency)

    def delete_model(self, request, obj):
        currency = obj.currency
        super().delete_model(request, obj)
        services.orders_refresh(currency=currency)

    def delete_queryset(self, request, queryset):
        currencies = set(queryset.values_list("currency", flat=True))
        super().delete_queryset(request, queryset)
        for currency in currencies:
            services.orders_refresh(currency=currency)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["id", "supplier", "buyer", "kind", "stage", "in_conflict", "started_on"]
    list_filter = ["kind", "stage", "in_conflict"]
    raw_id_fields = ["supplier", "buyer", "connection", "sourcing_request", "hs_code"]
    readonly_fields = ["stage", "furthest", "drop_reason"]  # changed through the service only

    def save_model(self, request, obj, form, change):
        obj.hs_chapter = obj.hs_code_id[:2] if obj.hs_code_id else ""
        for name, value in services.supplier_place(obj.supplier).items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)
        services.orders_refresh(lead_ids=[obj.pk])  # its orders keep its event and HS chapter
        impact_cache.changed()


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "supplier", "buyer", "kind", "ordered_on", "value", "currency"]
    raw_id_fields = ["lead", "supplier", "buyer", "hs_code"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.orders_refresh(supplier_ids=[obj.supplier_id])
        impact_cache.changed()


@admin.register(SendRun)
class SendRunAdmin(admin.ModelAdmin):
    list_display = ["id", "started_at", "trigger", "status", "sent", "reminded", "failed"]
