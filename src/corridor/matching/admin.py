"""Admin of matching: value-chain relations (editable by staff), examples, notices, jobs."""

from django.contrib import admin

from corridor.matching.models import DigestOptOut, HsExample, HsRelation, IndexJob, MatchNotice


@admin.register(HsRelation)
class HsRelationAdmin(admin.ModelAdmin):
    list_display = ("input_code", "output_code", "note")
    search_fields = ("input_code", "output_code", "note")


@admin.register(HsExample)
class HsExampleAdmin(admin.ModelAdmin):
    list_display = ("code", "text", "confirmed_by", "created_at")
    search_fields = ("code", "text")
    raw_id_fields = ("confirmed_by",)


@admin.register(MatchNotice)
class MatchNoticeAdmin(admin.ModelAdmin):
    list_display = ("request", "product", "recipient", "sent_at")
    raw_id_fields = ("request", "product", "recipient")
    list_select_related = ("request", "product", "recipient")


@admin.register(DigestOptOut)
class DigestOptOutAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at")
    raw_id_fields = ("user",)


@admin.register(IndexJob)
class IndexJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "done", "total", "finished_at")
    readonly_fields = ("status", "done", "total", "error", "finished_at")
