from django.contrib import admin

from corridor.notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "to_email", "subject", "email_status")
    list_filter = ("email_status", "kind")
    search_fields = ("subject", "to_email", "recipient__username", "key")
    raw_id_fields = ("recipient",)
    readonly_fields = ("created_at", "emailed_at", "claimed_at", "email_attempts", "claim")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email", "updated_at")
    raw_id_fields = ("user",)
