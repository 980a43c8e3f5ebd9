"""Admin of accounts: users with their memberships, tokens, invitations, claims, consent."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from corridor.accounts.models import (
    AccountDeletion,
    ApiToken,
    ClaimRequest,
    ConsentRecord,
    Invitation,
    Membership,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class CorridorUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*UserAdmin.fieldsets, ("Corridor", {"fields": ("full_name", "language", "phone")}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "accepted_at"]
    exclude = ["token_hash"]


@admin.register(ClaimRequest)
class ClaimRequestAdmin(admin.ModelAdmin):
    list_display = ["organisation", "user", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["organisation", "user", "decided_by"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["organisation", "published", "by", "note", "created_at"]
    raw_id_fields = ["organisation", "by"]


@admin.register(AccountDeletion)
class AccountDeletionAdmin(admin.ModelAdmin):
    list_display = ["user_id_deleted", "deleted_at", "orphaned_organisations"]
    readonly_fields = ["user_id_deleted", "deleted_at", "orphaned_organisations"]
