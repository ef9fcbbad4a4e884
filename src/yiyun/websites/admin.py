from django.contrib import admin

from yiyun.websites.models import Filing, LegalHold, Website


@admin.register(Website)
class WebsiteAdmin(admin.ModelAdmin):
    list_display = ["domain", "name", "organisation", "status", "retention_days"]
    list_filter = ["status"]
    search_fields = ["domain", "name"]
    # Settings change through the services (audited, retention floor checked).
    readonly_fields = ["ingest_token_prefix", "ingest_token_digest", "next_row_id"]

    def has_delete_permission(self, request, obj=None):
        return False  # 2.4: a website's logs outlive it; retire it instead


@admin.register(Filing)
class FilingAdmin(admin.ModelAdmin):
    list_display = ["website", "kind", "number", "valid_until", "replaced_at"]
    list_filter = ["kind"]


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["website", "starts_on", "ends_on", "reason", "placed_at", "released_at"]
