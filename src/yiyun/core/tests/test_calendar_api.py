"""GET /api/calendar/deadline and /api/calendar/years/{year}."""

import pytest

URL = "/api/calendar/deadline"


@pytest.fixture
def client(world, login):
    return login(world.engineer)


def test_clause_2_3_deadline_over_the_api(client):
    response = client.get(URL, {"from": "2026-09-18T16:00:00+08:00", "clock": "workdays", "n": "2"})
    assert response.status_code == 200
    body = response.json()
    assert body["due_at"] == "2026-09-22T00:00:00+08:00"
    assert body["unconfirmed"] is False
    assert body["unconfirmed_years"] == []
    assert body["last_day"] == "2026-09-21"


def test_unconfirmed_years_are_named(client):
    body = client.get(URL, {"from": "2026-12-30T10:00", "clock": "workdays", "n": 3}).json()
    assert body["due_at"] == "2027-01-05T00:00:00+08:00"
    assert (body["unconfirmed"], body["unconfirmed_years"]) == (True, [2027])


def test_clause_11_1_before_over_the_api(client):
    body = client.get(
        URL, {"from": "2026-12-31", "clock": "months", "n": 1, "before": "true"}
    ).json()
    assert body["due_at"] == "2026-12-01T00:00:00+08:00"
    assert body["before"] is True


def test_business_close_time(client):
    params = {"from": "2026-09-18T16:00", "clock": "workdays", "n": 2, "close_time": "17:30"}
    body = client.get(URL, params).json()
    assert (body["due_at"], body["close_time"]) == ("2026-09-21T17:30:00+08:00", "17:30")
    response = client.get(URL, {**params, "close_time": "5pm"})
    assert (response.status_code, response.json()["field"]) == (400, "close_time")


def test_unencoded_plus_in_the_offset_is_understood(client):
    # "+08:00" typed into a URL arrives as " 08:00".
    response = client.get(URL + "?from=2026-09-18T16:00+08:00&clock=workdays&n=2")
    assert response.json()["due_at"] == "2026-09-22T00:00:00+08:00"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": "tomorrow", "clock": "days", "n": 1}, 400, "from"),
        ({"from": "2026-09-18", "clock": "weeks", "n": 1}, 400, "clock"),
        ({"from": "2026-09-18", "clock": "days", "n": "three"}, 400, "n"),
        ({"from": "2026-09-18", "clock": "days", "n": 0}, 400, "n"),
        ({"from": "2199-12-30", "clock": "workdays", "n": 30}, 400, None),
        ({"from": "2026-09-18", "clock": "days"}, 422, None),
        ({"from": "2026-09-18", "clock": "days", "n": 1, "before": "maybe"}, 422, None),
    ],
)
def test_bad_input_is_a_4xx_json_answer(client, params, status, field):
    response = client.get(URL, params)
    assert response.status_code == status
    body = response.json()
    assert body["detail"]
    if field:
        assert body["field"] == field


def test_deadline_needs_a_login(db, client):
    from django.test import Client

    response = Client().get(URL, {"from": "2026-09-18", "clock": "days", "n": 1})
    assert response.status_code == 401


def test_year_schedules(client):
    years = client.get("/api/calendar/years").json()
    assert [row["year"] for row in years] == list(range(2004, 2027))
    (body,) = client.get("/api/calendar/years", {"year": 2026}).json()
    assert body["official"] is True and "chinese-calendar" in body["source"]
    assert {"date": "2026-09-20", "kind": "makeup_workday", "name": "国庆节"} in body["days"]
    assert client.get("/api/calendar/years", {"year": 2027}).json() == []
