from django.test import Client

from yiyun.core.apps_registry import yiyun_apps


def test_metrics_for_the_host_itself(db):
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert 'yiyun_http_requests_total{method="GET",status="200"}' in body


def test_metrics_refused_from_elsewhere_without_token(db, monkeypatch):
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 403
    monkeypatch.setenv("METRICS_TOKEN", "s3cret")
    client = Client(REMOTE_ADDR="10.1.2.3", headers={"Authorization": "Bearer s3cret"})
    assert client.get("/metrics").status_code == 200


def test_app_gauges_are_collected(db, monkeypatch):
    config = yiyun_apps()[0]
    monkeypatch.setattr(
        config, "metrics", ["yiyun.core.tests.test_metrics.sample_gauges"], raising=False
    )
    body = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").content.decode()
    assert 'yiyun_test_things{kind="a"} 3.0' in body


def sample_gauges():
    return [("yiyun_test_things", "things", 3, {"kind": "a"})]
