"""The operator's view of the cloud records: read-only, because every change goes
through a service (entitlement checks, the driver, the audit log)."""

from django.contrib import admin

from yiyun.cloud.models import (
    BusinessSystem,
    ChangeRequest,
    EntitlementAdjustment,
    Host,
    OveruseFinding,
    PriceCatalogue,
    PriceEntry,
    Server,
    UsageSample,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Server)
class ServerAdmin(ReadOnly):
    list_display = [
        "name",
        "contract",
        "business_system",
        "site",
        "vcpu",
        "memory_gib",
        "state",
        "host",
    ]
    list_filter = ["state", "host"]
    search_fields = ["name", "domain_uuid"]


@admin.register(Host)
class HostAdmin(ReadOnly):
    list_display = ["name", "provider", "driver", "uri", "storage_pool", "enabled"]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnly):
    list_display = ["pk", "contract", "kind", "title", "state", "requested_at", "consent_at"]
    list_filter = ["kind", "state"]


@admin.register(OveruseFinding)
class OveruseFindingAdmin(ReadOnly):
    list_display = ["pk", "contract", "metric", "started_at", "detected_at", "state"]
    list_filter = ["metric", "state"]


for model in (BusinessSystem, EntitlementAdjustment, PriceCatalogue, PriceEntry, UsageSample):
    admin.site.register(model, ReadOnly)
