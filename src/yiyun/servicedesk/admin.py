from django.contrib import admin

from yiyun.servicedesk.models import (
    Attachment,
    Complaint,
    ContactChange,
    DutyShift,
    Measure,
    SlaReport,
    Ticket,
    TicketEvent,
    ViolationNotice,
)


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ["at", "kind", "actor_label", "internal", "text"]
    readonly_fields = fields
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "kind", "status", "organisation", "reported_at", "assignee"]
    list_filter = ["kind", "status", "channel"]
    search_fields = ["title", "description"]
    raw_id_fields = ["contract", "organisation", "site", "reporter", "assignee", "obligation"]
    readonly_fields = ["reported_at", "entered_at", "entered_by", "entered_by_label"]
    inlines = [TicketEventInline]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "size", "internal", "uploaded_at"]
    readonly_fields = ["sha256", "size", "content_type", "uploaded_at", "uploaded_by_label"]
    raw_id_fields = ["organisation", "ticket", "contact_change", "complaint", "violation"]


@admin.register(ContactChange)
class ContactChangeAdmin(admin.ModelAdmin):
    list_display = ["id", "organisation", "action", "name", "status", "received_at"]
    list_filter = ["status", "action"]
    raw_id_fields = ["contract", "organisation", "person", "site", "obligation"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["id", "organisation", "complainant", "status", "notified_at"]
    list_filter = ["status"]
    raw_id_fields = ["contract", "organisation", "obligation"]


@admin.register(ViolationNotice)
class ViolationNoticeAdmin(admin.ModelAdmin):
    list_display = ["id", "organisation", "clause_breached", "status", "delivered_at"]
    list_filter = ["status"]
    raw_id_fields = ["contract", "organisation", "obligation"]


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["id", "organisation", "kind", "taken_at", "legal_ground"]
    readonly_fields = ["legal_ground", "allowed_since", "recorded_at", "recorded_by_label"]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "starts_at", "ends_at"]
    list_filter = ["role"]
    raw_id_fields = ["person"]


@admin.register(SlaReport)
class SlaReportAdmin(admin.ModelAdmin):
    list_display = ["contract", "month", "language", "generated_at", "sha256"]
    readonly_fields = [f.name for f in SlaReport._meta.fields]
