"""Logs, traces and dashboards on the real engine: Loki, Alloy, Tempo and
Grafana next to Prometheus, Alertmanager and a stand-in service
(inventory: tests/integration/observability), converged with site.yml the
air-gapped way (build mode, the official images loaded beforehand).

Grafana, Loki, Alloy and Tempo have no Debian package and no registry is
reachable from our CI machines: the module skips, naming the missing images,
unless they were loaded into the engine (docker load). Their configuration is
tested structurally in test_observability_config.py either way."""

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import docker
import pytest
import yaml

from example_platform import PROJECT, health_by_service

INVENTORY = Path(__file__).resolve().parent / "observability"
SETTINGS = yaml.safe_load((INVENTORY / "group_vars" / "all" / "platform.yml").read_text())
DEFAULTS = {role: yaml.safe_load((PROJECT / "roles" / role / "defaults" / "main.yml").read_text())
            for role in ("grafana", "loki", "alloy", "tracing")}
IMAGES = [DEFAULTS["grafana"]["grafana_image"], DEFAULTS["loki"]["loki_image"], DEFAULTS["alloy"]["alloy_image"],
          DEFAULTS["tracing"]["tracing_tempo_image"]]
LEVELS = {"INFO", "WARNING", "ERROR", "CRITICAL"}


def missing_images():
    try:
        engine = docker.from_env()
    except docker.errors.DockerException as exc:
        return ["(no Docker engine: %s)" % exc]
    missing = []
    for image in IMAGES:
        try:
            engine.images.get(image)
        except docker.errors.ImageNotFound:
            missing.append(image)
    return missing


pytestmark = pytest.mark.skipif(
    bool(missing_images()),
    reason="official images not on this engine (no Debian package, no reachable registry; load them with "
           "docker load to run this test): %s" % ", ".join(missing_images()))


def run(name, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY / "hosts.yml"),
               str(PROJECT / "playbooks" / name), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, check=False)


@pytest.fixture(scope="module")
def platform():
    result = run("site.yml")
    try:
        assert result.returncode == 0, result.stdout[-4000:]
        yield docker.from_env()
    finally:
        run("teardown.yml", "-e", "purge=true")


def get(port, path, auth=None, data=None, headers=None):
    request = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), data=data, headers=dict(headers or {}))
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def eventually(probe, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %ss" % (what, timeout))
        time.sleep(2)


ADMIN = ("admin", SETTINGS["grafana_admin_password"])


def test_every_container_is_healthy(platform):
    status = health_by_service(platform, "obstest", timeout=120)
    for service in ("grafana", "loki", "alloy", "orders", "prometheus", "alertmanager"):
        assert status.get(service) == "healthy", status


def test_grafana_keeps_anonymous_users_and_the_default_password_out(platform):
    assert get(SETTINGS["grafana_port"], "/api/search")[0] == 401
    assert get(SETTINGS["grafana_port"], "/api/user", auth=("admin", "admin"))[0] == 401
    assert get(SETTINGS["grafana_port"], "/api/user", auth=ADMIN)[0] == 200


def test_every_datasource_answers_and_every_dashboard_is_there(platform):
    for uid in ("prometheus", "loki", "tracing", "alertmanager"):
        status, body = get(SETTINGS["grafana_port"], "/api/datasources/uid/%s" % uid, auth=ADMIN)
        assert status == 200, (uid, body)
    for uid in ("prometheus", "loki"):
        status, body = get(SETTINGS["grafana_port"], "/api/datasources/uid/%s/health" % uid, auth=ADMIN)
        assert status == 200 and json.loads(body)["status"] == "OK", (uid, body)
    for path in (PROJECT / "roles/grafana/files/dashboards").glob("*.json"):
        uid = json.loads(path.read_text())["uid"]
        assert get(SETTINGS["grafana_port"], "/api/dashboards/uid/%s" % uid, auth=ADMIN)[0] == 200, uid


def loki_lines(query, since=600):
    now = time.time_ns()
    params = urllib.parse.urlencode({"query": query, "start": now - since * 10**9, "end": now, "limit": 500})
    status, body = get(SETTINGS["loki_port"], "/loki/api/v1/query_range?" + params)
    assert status == 200, body
    return json.loads(body)["data"]["result"]


def test_container_logs_reach_loki_labelled_and_levelled(platform):
    trace = os.urandom(16).hex()
    platform.containers.get("obstest_orders").exec_run(
        ["curl", "-fsS", "-H", "traceparent: 00-%s-00f067aa0ba902b7-01" % trace, "http://127.0.0.1:8080/orders"])
    streams = eventually(lambda: loki_lines('{service="orders"}'), what="orders' logs in Loki")
    for stream in streams:
        labels = stream["stream"]
        assert labels["container"] == "obstest_orders" and labels["host"] == "localhost"
        assert labels["level"] in LEVELS
    traced = eventually(lambda: loki_lines('{service="orders"} | trace_id="%s"' % trace),
                        what="the request's line found by its trace_id")
    assert any("/orders" in line for stream in traced for timestamp, line in stream["values"])


def test_a_span_sent_over_otlp_is_found_by_its_trace_id(platform):
    trace, span = os.urandom(16).hex(), os.urandom(8).hex()
    now = time.time_ns()
    payload = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "orders"}}]},
        "scopeSpans": [{"spans": [{"traceId": trace, "spanId": span, "name": "GET /orders", "kind": 2,
                                   "startTimeUnixNano": str(now - 5_000_000), "endTimeUnixNano": str(now)}]}]}]}
    status, body = get(SETTINGS["tracing_otlp_http_port"], "/v1/traces", data=json.dumps(payload).encode(),
                       headers={"Content-Type": "application/json"})
    assert status == 200, body
    found = eventually(lambda: get(SETTINGS["tracing_query_port"], "/api/traces/%s" % trace)[0] == 200,
                       what="the trace in Tempo")
    assert found


def test_a_second_run_changes_nothing(platform):
    result = run("site.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    recap = [line for line in result.stdout.splitlines() if line.startswith("localhost ")]
    assert recap and "changed=0" in recap[-1], recap
