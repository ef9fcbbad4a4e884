from django.contrib import admin

from yiyun.contracts.models import (
    Contract,
    LineItem,
    OpenParameter,
    PaymentScheduleItem,
    Penalty,
    PriceComponent,
    Right,
    WrittenNotice,
)


class _ReadOnly(admin.ModelAdmin):
    """The register changes through its services (audited), never by hand in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _Inline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LineItemInline(_Inline):
    model = LineItem


class PriceComponentInline(_Inline):
    model = PriceComponent


class PaymentScheduleInline(_Inline):
    model = PaymentScheduleItem


class OpenParameterInline(_Inline):
    model = OpenParameter


@admin.register(Contract)
class ContractAdmin(_ReadOnly):
    list_display = ["number", "title", "customer", "provider", "start", "end", "status"]
    list_filter = ["status"]
    search_fields = ["number", "title", "customer__name", "provider__name"]
    inlines = [LineItemInline, PriceComponentInline, PaymentScheduleInline, OpenParameterInline]


@admin.register(WrittenNotice)
class WrittenNoticeAdmin(_ReadOnly):
    list_display = ["contract", "kind", "from_party", "delivered_at", "timely", "effective_at"]
    list_filter = ["kind"]


@admin.register(Penalty)
class PenaltyAdmin(_ReadOnly):
    list_display = ["contract", "clause", "rule", "base_key", "amount", "status", "recorded_at"]
    list_filter = ["rule", "status"]


@admin.register(Right)
class RightAdmin(_ReadOnly):
    list_display = ["contract", "clause", "code", "holder", "granted_at"]


# -- acceptance (1.3) and billing: issue 10 -------------------------------------------------

from yiyun.contracts.models import (  # noqa: E402
    AcceptanceCriterion,
    AcceptanceRecord,
    AcceptanceSignature,
    Statement,
)


class AcceptanceCriterionInline(_Inline):
    model = AcceptanceCriterion


class AcceptanceSignatureInline(_Inline):
    model = AcceptanceSignature


@admin.register(AcceptanceRecord)
class AcceptanceRecordAdmin(_ReadOnly):
    list_display = ["contract", "round", "held_at", "stage", "result", "pdf_sha256"]
    list_filter = ["stage", "result"]
    exclude = ["pdf"]
    inlines = [AcceptanceCriterionInline, AcceptanceSignatureInline]


@admin.register(Statement)
class StatementAdmin(_ReadOnly):
    list_display = ["number", "contract", "period_start", "period_end", "total", "issued_at"]
