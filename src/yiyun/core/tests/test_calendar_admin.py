"""An administrator enters or corrects a year in the Django admin: checked, audited, hooked."""

from datetime import date

import pytest

from yiyun.core.models import AuditEntry, CalendarYear
from yiyun.core.tests.calendar_fixtures import (  # noqa: F401 — a fixture
    RECORD,
    SOURCE_2027,
    calendar_hooks_fixture,
)

ADD_URL = "/admin/core/calendaryear/add/"


@pytest.fixture
def admin_client(db, client, django_user_model):
    user = django_user_model.objects.create_superuser("cal-admin", "cal@example.invalid", "x")
    client.force_login(user)
    return client


def form(days, **fields):
    data = {
        "year": "2027",
        "source": SOURCE_2027,
        "official": "on",
        "days-TOTAL_FORMS": str(len(days)),
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, (day, kind, name) in enumerate(days):
        data.update({f"days-{i}-date": day, f"days-{i}-kind": kind, f"days-{i}-name": name})
    return data


def test_admin_adds_a_year_audited_and_hooked(admin_client, calendar_hooks):
    calls = calendar_hooks(RECORD)
    response = admin_client.post(
        ADD_URL,
        form(
            [
                ("2027-01-01", "holiday", "元旦"),
                ("2027-02-13", "makeup_workday", "春节"),
            ]
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = CalendarYear.objects.get(year=2027)
    assert (row.origin, row.imported_by) == ("admin", "cal-admin")
    assert list(row.days.values_list("date", flat=True)) == [date(2027, 1, 1), date(2027, 2, 13)]
    entry = AuditEntry.objects.get(action__startswith="calendar.")
    assert (entry.action, entry.actor) == ("calendar.year_imported", "cal-admin")
    assert calls == [frozenset({2027})]


def test_admin_refuses_a_weekday_makeup_day_and_a_date_of_another_year(admin_client):
    response = admin_client.post(
        ADD_URL,
        form(
            [
                ("2026-12-31", "holiday", "元旦"),
                ("2027-02-15", "makeup_workday", ""),
            ]
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "2026-12-31（元旦） 不在 2027 年内" in page
    assert "调休上班日 2027-02-15 是星期一，不是周末" in page
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_admin_correction_is_audited_with_the_difference(admin_client):
    admin_client.post(ADD_URL, form([("2027-01-01", "holiday", "元旦")]))
    row = CalendarYear.objects.get(year=2027)
    day = row.days.get()
    response = admin_client.post(
        f"/admin/core/calendaryear/{row.pk}/change/",
        {
            **form([], **{"days-TOTAL_FORMS": "2", "days-INITIAL_FORMS": "1"}),
            "days-0-id": str(day.pk),
            "days-0-calendar_year": str(row.pk),
            "days-0-date": "2027-01-01",
            "days-0-kind": "holiday",
            "days-0-name": "元旦",
            "days-1-calendar_year": str(row.pk),
            "days-1-date": "2027-01-04",
            "days-1-kind": "holiday",
            "days-1-name": "元旦",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.filter(action__startswith="calendar.").order_by("-seq").first()
    assert entry.action == "calendar.year_corrected"
    assert entry.data["added"] == ["2027-01-04 holiday"]


def test_years_cannot_be_deleted_in_the_admin(admin_client):
    row = CalendarYear.objects.get(year=2026)
    response = admin_client.post(f"/admin/core/calendaryear/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert CalendarYear.objects.filter(year=2026).exists()
