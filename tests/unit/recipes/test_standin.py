"""The stand-in service's metrics and request logs follow the platform's
conventions, which the alert rules, dashboards and log shipper read."""

import importlib.util
import io
import json
from email.message import Message
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles/images/files/recipes/standin/standin.py"


@pytest.fixture()
def standin():
    spec = importlib.util.spec_from_file_location("standin", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def handler(standin, path, headers=None):
    request = standin.Handler.__new__(standin.Handler)
    request.path = path
    request.headers = Message()
    for name, value in (headers or {}).items():
        request.headers[name] = value
    request.wfile = io.BytesIO()
    request.request_version = "HTTP/1.1"
    request.requestline = "GET %s HTTP/1.1" % path
    request.command = "GET"
    return request


def test_request_durations_form_a_cumulative_histogram(standin, monkeypatch):
    clock = iter([0.0, 0.3, 1.0, 3.0])
    monkeypatch.setattr(standin.time, "monotonic", lambda: next(clock))
    for request_number in range(2):
        request = handler(standin, "/orders")
        request.started = standin.time.monotonic()
        request._reply(200, "ok")  # pylint: disable=protected-access
    text = standin.Handler.metrics()
    assert 'http_request_duration_seconds_bucket{path="/orders",le="0.25"} 0' in text
    assert 'http_request_duration_seconds_bucket{path="/orders",le="0.5"} 1' in text
    assert 'http_request_duration_seconds_bucket{path="/orders",le="2.5"} 2' in text
    assert 'http_request_duration_seconds_bucket{path="/orders",le="+Inf"} 2' in text
    assert 'http_request_duration_seconds_count{path="/orders"} 2' in text
    assert 'http_requests_total{path="/orders",code="200"} 2' in text


def test_request_log_carries_the_trace_id_of_its_traceparent(standin, capsys):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    handler(standin, "/orders", {"traceparent": "00-%s-00f067aa0ba902b7-01" % trace}).log_message("%s", "GET /orders")
    record = json.loads(capsys.readouterr().out)
    assert record["trace_id"] == trace and record["level"] == "info" and record["msg"] == "GET /orders"


def test_request_without_traceparent_gets_a_new_trace_id(standin):
    first = handler(standin, "/orders").trace_id()
    assert len(first) == 32 and first != handler(standin, "/orders").trace_id()
