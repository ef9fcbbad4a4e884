from django.contrib import admin

from yiyun.obligations.models import Obligation, ObligationEvent, TickState


class EventInline(admin.TabularInline):
    model = ObligationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "actor", "data", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
    """Read-only: obligations change through obligations.services (events and audit)."""

    list_display = ["pk", "contract", "clause", "title", "bound_party", "due_at", "state"]
    list_filter = ["state", "clause", "bound_party"]
    search_fields = ["contract__number", "title"]
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TickState)
class TickStateAdmin(admin.ModelAdmin):
    list_display = ["last_tick_at", "ticks"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
