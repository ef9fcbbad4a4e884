"""The operator's view of circuits, probes and outages: read-only (changes go through
the services, which audit them)."""

from django.contrib import admin

from yiyun.circuits.models import Circuit, Outage, ProbeHour, ProbeResult


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Circuit)
class CircuitAdmin(ReadOnly):
    list_display = [
        "circuit_id",
        "contract",
        "a_end",
        "z_end",
        "bandwidth_mbps",
        "state",
        "last_probe_at",
    ]
    list_filter = ["state"]


@admin.register(Outage)
class OutageAdmin(ReadOnly):
    list_display = [
        "circuit",
        "started_at",
        "detected_at",
        "ended_at",
        "duration_seconds",
        "ticket_id",
    ]


@admin.register(ProbeHour)
class ProbeHourAdmin(ReadOnly):
    list_display = ["circuit", "hour", "probes", "failures", "rtt_avg_us"]


@admin.register(ProbeResult)
class ProbeResultAdmin(ReadOnly):
    list_display = ["circuit", "at", "ok", "rtt_us", "error"]
    list_filter = ["ok"]
