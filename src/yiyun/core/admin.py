from django.contrib import admin

from yiyun.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by core.audit.audit_record alone."""

    list_display = ["seq", "at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["actor", "action", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
