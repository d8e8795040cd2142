"""Monitoring on the real engine: every target discovered and up, a stopped
service's critical alert reaching the webhook and resolving, the inhibition and
a mute interval at work, reloads instead of restarts, bad rules refused."""

import importlib.util
import json
import os
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

PLATFORM = "montest"


def api(port, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                     headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else None


def targets(platform_vars):
    return api(platform_vars["prometheus_port"], "/api/v1/targets")["data"]["activeTargets"]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def test_every_host_offer_is_scraped_and_up(platform_vars):
    expected = {("platform", job) for job in
                ["node", "containers", "postgres", "redis", "blackbox", "prometheus", "alertmanager", "orders"]}
    expected |= {("probes", service) for service in ["orders", "billing", "postgres", "redis"]}

    def all_up():
        found = {(t["scrapePool"], t["labels"]["job"] if t["scrapePool"] == "platform" else t["labels"]["service"]): t
                 for t in targets(platform_vars)}
        return found if set(found) == expected and all(t["health"] == "up" for t in found.values()) else None

    found = wait_until(all_up, 60, "every expected target up")
    # the stand-in that declares only a probe is not scraped; each target says where it runs
    assert ("platform", "billing") not in found
    assert all(t["labels"]["host"] == "localhost" and t["labels"]["platform"] == PLATFORM for t in found.values())


def test_series_of_every_exporter_are_there(platform_vars):
    port = platform_vars["prometheus_port"]
    for query in ["pg_up", "redis_up", "node_cpu_seconds_total", "container_memory_working_set_bytes",
                  'probe_success{service="billing"}', 'http_requests_total{service="orders"}']:
        result = wait_until(lambda q=query: api(port, "/api/v1/query?query=" + urllib.request.quote(q))["data"]["result"],
                            30, query)
        assert result, query
    memory = api(port, "/api/v1/query?query=" + urllib.request.quote(
        'container_memory_working_set_bytes{name="montest_orders"}'))["data"]["result"]
    assert memory and float(memory[0]["value"][1]) > 0
    assert memory[0]["metric"]["container_label_org_tersane_service"] == "orders"


def test_exporters_reach_postgres_and_redis_over_tls_with_their_certificate(platform_vars):
    """platform_tls is on: pg_up and redis_up are 1 only if the exporters' client
    certificate was accepted and the servers' certificates verified."""
    port = platform_vars["prometheus_port"]
    for query in ["pg_up", "redis_up"]:
        result = wait_until(lambda q=query: [r for r in api(port, "/api/v1/query?query=" + q)["data"]["result"]
                                             if r["value"][1] == "1"], 30, query + " == 1")
        assert result, query


def test_rules_are_loaded_and_healthy(platform_vars):
    groups = api(platform_vars["prometheus_port"], "/api/v1/rules")["data"]["groups"]
    assert {g["name"] for g in groups} >= {"tersane-critical", "tersane-warning", "tersane-info", "tersane-self"}
    broken = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r.get("health") == "err"]
    assert broken == []


def test_stopped_service_fires_critical_alert_then_resolves(platform_vars, engine, webhook):
    orders = engine.containers.get("%s_orders" % PLATFORM)
    orders.stop(timeout=2)
    try:
        firing = webhook.wait_for(
            lambda a: a["status"] == "firing" and a["labels"].get("service") == "orders"
            and a["labels"]["alertname"] in ("TargetDown", "ServiceHealthCheckFailing"), 90, "of orders firing")
        assert firing[0]["labels"]["severity"] == "critical"
        assert firing[0]["labels"]["host"] == "localhost"
    finally:
        orders.start()
    webhook.wait_for(lambda a: a["status"] == "resolved" and a["labels"].get("service") == "orders"
                     and a["labels"]["alertname"] == firing[0]["labels"]["alertname"], 120, "of orders resolved")


def post_alerts(platform_vars, *alerts):
    now = datetime.now(timezone.utc)
    api(platform_vars["alertmanager_port"], "/api/v2/alerts", [
        {"labels": labels, "startsAt": now.isoformat(), "endsAt": (now + timedelta(minutes=5)).isoformat()}
        for labels in alerts])


def test_critical_alert_inhibits_warnings_of_the_same_service(platform_vars, webhook):
    critical = {"alertname": "InhibitCritical", "severity": "critical", "service": "inhibited", "host": "localhost"}
    warning = {"alertname": "InhibitWarning", "severity": "warning", "service": "inhibited", "host": "localhost"}
    other = {"alertname": "InhibitWarning", "severity": "warning", "service": "bystander", "host": "localhost"}
    post_alerts(platform_vars, critical, warning, other)
    webhook.wait_for(lambda a: a["labels"]["alertname"] == "InhibitCritical", 30, "of the critical alert")
    webhook.wait_for(lambda a: a["labels"]["alertname"] == "InhibitWarning"
                     and a["labels"]["service"] == "bystander", 30, "of the other service's warning")
    status = api(platform_vars["alertmanager_port"], "/api/v2/alerts?filter=" + urllib.request.quote('alertname="InhibitWarning"'))
    by_service = {a["labels"]["service"]: a["status"] for a in status}
    assert by_service["inhibited"]["state"] == "suppressed" and by_service["inhibited"]["inhibitedBy"]
    assert by_service["bystander"]["state"] == "active"
    assert webhook.received(lambda a: a["labels"]["alertname"] == "InhibitWarning"
                            and a["labels"]["service"] == "inhibited") == []


def test_maintenance_window_mutes_its_tiers(platform_vars, webhook):
    """The scenario mutes info all the time; a critical sent with it still arrives."""
    muted = {"alertname": "MutedInfo", "severity": "info", "service": "window", "host": "localhost"}
    loud = {"alertname": "LoudCritical", "severity": "critical", "service": "window", "host": "localhost"}
    post_alerts(platform_vars, muted, loud)
    webhook.wait_for(lambda a: a["labels"]["alertname"] == "LoudCritical", 30, "of the critical alert")
    time.sleep(5)  # several info group intervals (2 s)
    active = api(platform_vars["alertmanager_port"], "/api/v2/alerts?filter=" + urllib.request.quote('alertname="MutedInfo"'))
    assert len(active) == 1  # Alertmanager has it ...
    assert webhook.received(lambda a: a["labels"]["alertname"] == "MutedInfo") == []  # ... and says nothing


def test_threshold_change_reloads_without_restart(platform_vars, engine, playbook):
    prometheus = engine.containers.get("%s_prometheus" % PLATFORM)
    started = prometheus.attrs["State"]["StartedAt"]
    try:
        result = playbook("site.yml", "--tags", "prometheus", extra_vars={"prometheus_alert_latency_seconds": 7})
        assert result.returncode == 0, result.stdout[-3000:]
        assert "Reload the configuration" in result.stdout
        rules = api(platform_vars["prometheus_port"], "/api/v1/rules")["data"]["groups"]
        latency = [r for g in rules for r in g["rules"] if r["name"] == "HighMeanLatency"][0]
        assert "> 7" in latency["query"]
        prometheus.reload()
        assert prometheus.attrs["State"]["StartedAt"] == started
    finally:
        assert playbook("site.yml", "--tags", "prometheus").returncode == 0


def test_broken_rule_is_refused_before_anything_changes(platform_vars, playbook):
    live = "/etc/tersane/%s/prometheus/rules" % PLATFORM
    before = open(live + "/platform.rules.yml").read()
    bad = {"prometheus_extra_rule_groups": [{"name": "broken", "rules": [{"alert": "Broken", "expr": "sum(rate(up[5m]) by"}]}]}
    result = playbook("site.yml", "--tags", "prometheus", "-e", json.dumps(bad))
    assert result.returncode != 0
    assert "checked by promtool" in result.stdout and "extra.rules.yml" in result.stdout
    assert not os.path.exists(live + "/extra.rules.yml")
    assert open(live + "/platform.rules.yml").read() == before


def test_every_dashboard_query_runs_against_prometheus(platform_vars, engine):
    """Every PromQL query of the Grafana dashboards runs on this Prometheus, with
    $service set to orders and the other variables to All; the Overview's key
    panels show the scenario's services."""
    path = Path(__file__).resolve().parents[3] / "tests" / "unit" / "roles" / "dashboards.py"
    spec = importlib.util.spec_from_file_location("tersane_dashboard_helpers", path)
    dashboards = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dashboards)
    port = platform_vars["prometheus_port"]

    def query(expr):
        try:
            return api(port, "/api/v1/query?query=" + urllib.request.quote(expr))
        except urllib.error.HTTPError as error:  # 400 and 422 carry Prometheus' error in the body
            body = error.read()
            return json.loads(body) if body.startswith(b"{") else {"status": "error", "error": str(error)}

    orders = engine.containers.get("%s_orders" % PLATFORM)
    for request_number in range(5):  # noqa: B007 (five requests)
        request = orders.exec_run(["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/dashboard-check"])
        assert request.exit_code == 0, request.output

    loaded = dashboards.load_dashboards()
    failures = []
    for name, dashboard in loaded.items():
        for title, expr in dashboards.promql_expressions(dashboard):
            answer = query(dashboards.substitute_variables(expr, {"service": "orders"}))
            if answer.get("status") != "success":
                failures.append("%s, panel %r: %s" % (name, title, answer.get("error")))
    assert failures == []

    overview = {}
    for title, expr in dashboards.promql_expressions(loaded["overview.json"]):
        overview.setdefault(title, dashboards.substitute_variables(expr))

    def series(title, label):
        return {r["metric"].get(label): float(r["value"][1]) for r in query(overview[title])["data"]["result"]}

    wait_until(lambda: series("Scrape targets", "job").get("orders") == 1, 30, "orders up in Overview")
    wait_until(lambda: {"orders", "billing"} <= {k for k, v in series("Health probes", "service").items() if v == 1},
               30, "the probes of orders and billing passing in Overview")
    wait_until(lambda: series("Request rate", "service").get("orders", 0) > 0, 30, "a request rate of orders")
    wait_until(lambda: 0 < series("p95 latency", "service").get("orders", 0) < 10, 30, "a p95 latency of orders")
    by_path = dashboards.substitute_variables(dict(dashboards.promql_expressions(loaded["service.json"]))[
        "Request rate by path and code"], {"service": "orders"})
    wait_until(lambda: [r for r in query(by_path)["data"]["result"]
                        if r["metric"].get("path") == "/dashboard-check"], 30, "the requests just made, by path")
