"""Admin views of events, for staff who need to look at the raw records."""

from django.contrib import admin

from corridor.events.models import Event, Meeting, MeetingRequest, Registration, ScheduleRun


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "time_zone", "registration_deadline", "schedule_version"]
    list_filter = ["status", "mode"]
    search_fields = ["name"]
    filter_horizontal = ["organisers"]
    readonly_fields = ["schedule_version", "schedule_published_at", "scheduling_started_at"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["organisation", "event", "status", "created_at"]
    list_filter = ["status", "event"]
    search_fields = ["organisation__name"]
    raw_id_fields = ["organisation", "registered_by", "decided_by"]
    exclude = ["calendar_token", "unavailable_slots", "offer_hs_codes", "wanted_hs_codes"]


@admin.register(MeetingRequest)
class MeetingRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "event", "from_registration", "to_registration", "status", "expires_at"]
    list_filter = ["status", "event"]
    raw_id_fields = ["from_registration", "to_registration", "created_by", "responded_by"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Read-only: meetings change through the services (version, seats, notifications)."""

    list_display = ["pk", "event", "slot", "table", "status", "locked", "sequence"]
    list_filter = ["status", "event"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ScheduleRun)
class ScheduleRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "event", "kind", "status", "progress", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = ["result", "changes"]
    exclude = ["assignments"]
