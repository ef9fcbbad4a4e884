from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiyun.core import clock
from yiyun.core.choices import CalendarOrigin
from yiyun.core.models import AuditEntry, CalendarDay, CalendarYear
from yiyun.core.services import calendar_year_saved, calendar_year_snapshot
from yiyun.core.workcalendar import FIRST_YEAR, LAST_YEAR, ScheduledDay, schedule_problems


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


class CalendarDayFormSet(forms.BaseInlineFormSet):
    """Checks the year's days together, by the same rules as a file import."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        days = [
            ScheduledDay(
                date=form.cleaned_data["date"],
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data.get("name", ""),
            )
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("date")
        ]
        year = self.instance.year
        if year and FIRST_YEAR <= year <= LAST_YEAR:
            problems = schedule_problems(year=year, days=days)
            if problems:
                raise forms.ValidationError(problems)


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    formset = CalendarDayFormSet
    fields = ["date", "kind", "name"]
    extra = 0
    ordering = ["date"]


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "source", "official"]

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise forms.ValidationError(
                _("年份必须在 %(first)s 至 %(last)s 之间"),
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        return year


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """A year's schedule: entered or corrected here, or by `yiyun calendar import`.

    Saving runs the same audit, revision and recomputation hooks as a file import.
    Years are not deleted: a wrong one is corrected (a deleted year would silently fall
    back to weekends).
    """

    form = CalendarYearForm
    inlines = [CalendarDayInline]
    list_display = ["year", "official", "origin", "source", "imported_at", "imported_by"]
    list_filter = ["official", "origin"]
    search_fields = ["source"]
    readonly_fields = ["origin", "imported_at", "imported_by", "revision"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # A stored year keeps its number: its days and the hooks' years depend on it.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "year"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        # What the year was, for the audit entry; read before the admin overwrites it.
        previous = CalendarYear.objects.filter(pk=obj.pk).first() if obj.pk else None
        request._calendar_previous = calendar_year_snapshot(row=previous)
        obj.origin = CalendarOrigin.ADMIN
        obj.imported_at = clock.now()
        obj.imported_by = request.user.get_username()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        calendar_year_saved(row=form.instance, by=request.user, previous=request._calendar_previous)
