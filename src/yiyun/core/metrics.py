"""Prometheus metrics at /metrics: requests served, plus gauges each app reports.

An app lists on its AppConfig `metrics = ["dotted.callable"]`; each callable returns
[(name, help, value)] or [(name, help, value, {label: value})], read at scrape time so
the figures come from the database, the same for every server process.
"""

import hmac
import ipaddress
import os
from collections import defaultdict

from django.http import HttpResponse, HttpResponseForbidden
from django.utils.module_loading import import_string
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from yiyun.core.apps_registry import yiyun_apps

REQUESTS = Counter(
    "yiyun_http_requests", "HTTP requests served by this process", ["method", "status"]
)


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        REQUESTS.labels(request.method, str(response.status_code)).inc()
        return response


def _allowed(request) -> bool:
    # Scrapers on the host itself, or anyone holding METRICS_TOKEN.
    token = os.environ.get("METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header, f"Bearer {token}"):
        return True
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _app_gauges(registry: CollectorRegistry) -> None:
    samples = defaultdict(list)
    helps = {}
    for config in yiyun_apps():
        for path in getattr(config, "metrics", []):
            for name, help_text, value, *labels in import_string(path)():
                helps[name] = help_text
                samples[name].append((labels[0] if labels else {}, value))
    for name, rows in samples.items():
        label_names = sorted({key for labels, _value in rows for key in labels})
        gauge = Gauge(name, helps[name], label_names, registry=registry)
        for labels, value in rows:
            (gauge.labels(**labels) if label_names else gauge).set(value)


def metrics_view(request):
    if not _allowed(request):
        return HttpResponseForbidden("metrics are served to the host itself or with METRICS_TOKEN")
    registry = CollectorRegistry()
    _app_gauges(registry)
    body = generate_latest(registry) + generate_latest()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
