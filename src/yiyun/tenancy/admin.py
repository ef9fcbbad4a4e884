from django import forms
from django.contrib import admin

from yiyun.core.audit import audit_record
from yiyun.core.errors import DomainError
from yiyun.tenancy.models import ApiToken, Organisation, Person, Site
from yiyun.tenancy.services import person_fits


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]
    filter_horizontal = ["served_by"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "kind", "township"]
    list_filter = ["kind", "organisation"]
    search_fields = ["name", "township"]


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = "__all__"  # noqa: DJ007 — the admin edits every field

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        if organisation is not None and cleaned.get("role"):
            # The same rule as the services: a provider role only in the provider, a
            # customer role (the auditor's too) only in a customer.
            try:
                person_fits(
                    role=cleaned["role"], organisation=organisation, site=cleaned.get("site")
                )
            except DomainError as error:
                raise forms.ValidationError({error.field or None: str(error)}) from error
        return cleaned


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    form = PersonForm
    list_display = ["name", "organisation", "site", "role", "phone", "email", "user"]
    list_filter = ["role", "organisation"]
    search_fields = ["name", "phone", "email"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # 2.5: role changes are audited whichever path makes them.
        changed = {field: form.cleaned_data.get(field) for field in form.changed_data}
        audit_record(
            actor=request.user,
            action="person.role_changed" if "role" in changed else "person.updated",
            obj=obj,
            organisation=obj.organisation,
            data={k: str(v) for k, v in changed.items()},
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "digest", "created_at", "last_used_at"]
