"""The ALT_LAS example platform (inventories/examples/altlas) converged on the
real engine in build mode: PostgreSQL, three stand-in services (segmentation,
AI orchestrator, archive) behind the nginx API gateway, and the platform's
monitoring plan (seed 004): the exporters, Prometheus scraping and probing what
the catalog declares, its alert thresholds in the loaded rules, and Alertmanager
with its two maintenance windows in Istanbul time. Torn down afterwards,
volumes included."""

import json
import re
import ssl
import urllib.parse
from pathlib import Path

import docker
import pytest
import yaml

from example_platform import PROJECT, converged, fetch, health_by_service, playbook, wait_until

EXAMPLE = "altlas"
PLATFORM = "altlas"
GROUP_VARS = PROJECT / "inventories" / "examples" / EXAMPLE / "group_vars" / "all"
GATEWAY = "https://127.0.0.1:47443"
CERT = "/etc/tersane/altlas/secrets/proxy/server.crt"
# The gateway's routes and the service behind each.
ROUTES = {"segmentation": "segmentation", "orchestrator": "ai-orchestrator", "archive": "archive"}
SERVICES = tuple(ROUTES.values())
EXPORTERS = ("node-exporter", "container-exporter", "postgres-exporter", "blackbox-exporter")

# ALT_LAS's alert plan (seed 004, section 2): each rule, its tier and the threshold
# its expression must compare against. high = critical, medium = warning, low = info.
PLAN = {
    "TargetDown": ("critical", None),                      # a service crashes
    "ServiceHealthCheckFailing": ("critical", None),       # ... or stops answering its health check
    "HighHttpErrorRate": ("critical", 0.05),               # > 5 % of API requests fail
    "HighMeanLatency": ("critical", 1),                    # mean response time > 1 s
    "DatabaseUnreachable": ("critical", None),             # database connection lost
    "DiskAlmostFull": ("critical", 0.9),                   # disk > 90 %
    "HostHighCpu": ("warning", 0.8),                       # CPU > 80 %
    "HostHighMemory": ("warning", 0.8),                    # memory > 80 %
    "ContainerHighMemory": ("warning", 0.8),
    "DatabaseTooManyConnections": ("warning", 100),        # > 100 connections
    "DatabaseSlowQueries": ("warning", 1),                 # queries > 1 s
    "NetworkTrafficAboveNormal": ("info", 1.5),            # network 50 % above normal
    "DiskIoAboveNormal": ("info", 1.5),                    # disk I/O 50 % above normal
}


def test_check_mode_on_a_fresh_host_plans_without_changing_anything():
    """Before the platform exists (no containers, no configuration): check mode runs
    through every role, monitoring included, and creates nothing."""
    engine = docker.from_env()
    assert not engine.containers.list(all=True, filters={"label": "org.tersane.platform=altlas"})
    files_before = sorted(str(path) for path in Path("/etc/tersane/altlas").rglob("*"))
    result = playbook(EXAMPLE, "site.yml", "--check")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "changed=0" not in result.stdout
    assert not engine.containers.list(all=True, filters={"label": "org.tersane.platform=altlas"})
    assert sorted(str(path) for path in Path("/etc/tersane/altlas").rglob("*")) == files_before


@pytest.fixture(scope="module")
def settings():
    merged = {}
    for name in ("platform.yml", "monitoring.yml"):
        with open(GROUP_VARS / name) as handle:
            merged.update(yaml.safe_load(handle))
    return merged


@pytest.fixture(scope="module")
def platform():
    yield from converged(EXAMPLE)


def api(port, path, **query):
    url = "http://127.0.0.1:%d%s" % (port, path)
    if query:
        url += "?" + urllib.parse.urlencode(query)
    return json.loads(fetch(url)[1])


def test_every_container_is_healthy(platform):
    status = health_by_service(platform, PLATFORM)
    expected = ("postgres", *SERVICES, "proxy", *EXPORTERS, "prometheus", "alertmanager")
    assert status == dict.fromkeys(expected, "healthy")


def test_each_service_is_reached_through_the_gateway_only(platform):
    context = ssl.create_default_context(cafile=CERT)
    for route, service in ROUTES.items():
        status, body = fetch("%s/%s/" % (GATEWAY, route), context)
        assert status == 200 and json.loads(body) == {"service": service}, route
        status, body = fetch("%s/%s/health" % (GATEWAY, route), context)
        assert status == 200 and json.loads(body)["status"] == "ok", route
        # the gateway is the way in: the service publishes no port of its own
        container = platform.containers.get("%s_%s" % (PLATFORM, service))
        assert not any(container.attrs["NetworkSettings"]["Ports"].values()), service


def test_prometheus_scrapes_and_probes_what_the_inventory_declares(platform, settings):
    """The services' targets come from their catalog entries (metrics:, probe:),
    the exporters' from what each host runs: nobody typed one."""
    catalog = settings["platform_services"]
    jobs = ("node", "containers", "postgres", "blackbox", "prometheus", "alertmanager")
    expected = {("platform", job) for job in jobs}
    expected |= {("platform", entry["name"]) for entry in catalog if "metrics" in entry}
    expected |= {("probes", entry["name"]) for entry in catalog if "probe" in entry}
    expected |= {("probes", "postgres"), ("probes", "proxy")}  # the data service's port, the gateway's certificate
    assert {("platform", s) for s in SERVICES} | {("probes", s) for s in SERVICES} <= expected
    port = settings["prometheus_port"]

    def all_up():
        found = {}
        for target in api(port, "/api/v1/targets")["data"]["activeTargets"]:
            pool = target["scrapePool"]
            found[(pool, target["labels"]["job"] if pool == "platform" else target["labels"]["service"])] = target
        return found if set(found) == expected and all(t["health"] == "up" for t in found.values()) else None

    found = wait_until(all_up, 120, "every expected target up")
    assert all(t["labels"]["host"] == "localhost" and t["labels"]["platform"] == PLATFORM for t in found.values())
    # scraped is not enough for a probe: the blackbox exporter must have found the service healthy
    probes = wait_until(lambda: {r["metric"]["service"]: r["value"][1] for r in
                                 api(port, "/api/v1/query", query="probe_success")["data"]["result"]},
                        60, "probe results")
    assert probes == dict.fromkeys([service for pool, service in expected if pool == "probes"], "1")
    # the plan's API metrics arrive per service
    requests = wait_until(lambda: {r["metric"]["service"] for r in api(
        port, "/api/v1/query", query="sum by (service) (http_requests_total)")["data"]["result"]},
        60, "request counts of the services")
    assert requests == set(SERVICES)


def test_the_plans_metrics_are_collected(platform, settings):
    """Seed 004, section 1.1: CPU, memory, network and disk I/O of every service
    (and of the database), request count, latency and error codes of the API
    services, PostgreSQL's connections and query time."""
    port = settings["prometheus_port"]
    per_container = ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                     "container_network_receive_bytes_total", "container_fs_reads_bytes_total"]
    queries = ['%s{container_label_org_tersane_service="%s"}' % (metric, service)
               for metric in per_container for service in (*SERVICES, "postgres")]
    queries += ['http_requests_total{service="%s"}' % service for service in SERVICES]
    queries += ['http_request_duration_seconds_count{service="%s"}' % service for service in SERVICES]
    queries += ["pg_up", "pg_stat_activity_count", "pg_stat_activity_max_tx_duration",
                "node_filesystem_avail_bytes", "node_disk_io_time_seconds_total"]
    for query in queries:
        wait_until(lambda q=query: api(port, "/api/v1/query", query=q)["data"]["result"], 60, query)


def thresholds(query):
    return {float(number) for number in re.findall(r">\s*(\d+(?:\.\d+)?)", query)}


def test_loaded_rules_carry_the_plans_thresholds(platform, settings):
    groups = api(settings["prometheus_port"], "/api/v1/rules")["data"]["groups"]
    rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
    assert [name for name, rule in rules.items() if rule["health"] != "ok"] == []
    for name, (severity, threshold) in PLAN.items():
        rule = rules[name]
        assert rule["labels"]["severity"] == severity, name
        if threshold is not None:
            assert float(threshold) in thresholds(rule["query"]), (name, rule["query"])
    assert "pg_up == 0" in rules["DatabaseUnreachable"]["query"]
    assert rules["TargetDown"]["duration"] == 60  # "down" means down for a minute


def test_alertmanager_mutes_every_tier_in_the_maintenance_windows_of_istanbul(platform, settings):
    config = yaml.safe_load(api(settings["alertmanager_port"], "/api/v2/status")["config"]["original"])
    windows = {window["name"]: window["time_intervals"] for window in config["time_intervals"]}
    assert windows == {
        # every Sunday 02:00-04:00
        "weekly-maintenance": [{"weekdays": ["sunday"], "times": [{"start_time": "02:00", "end_time": "04:00"}],
                                "location": "Europe/Istanbul"}],
        # the first Sunday of the month 02:00-06:00
        "monthly-maintenance": [{"weekdays": ["sunday"], "days_of_month": ["1:7"],
                                 "times": [{"start_time": "02:00", "end_time": "06:00"}],
                                 "location": "Europe/Istanbul"}],
    }
    tiers = {route["matchers"][0]: route for route in config["route"]["routes"]}
    for severity in ("critical", "warning", "info"):
        route = tiers['severity="%s"' % severity]
        assert route["receiver"] == "altlas-webhook"
        assert route["mute_time_intervals"] == ["weekly-maintenance", "monthly-maintenance"]
    receivers = {receiver["name"]: receiver for receiver in config["receivers"]}
    assert set(receivers) == {"null", "altlas-webhook"}
    assert receivers["altlas-webhook"]["webhook_configs"][0]["url"] == settings["altlas_alert_webhook_url"]


def test_second_converge_changes_nothing(platform):
    result = playbook(EXAMPLE, "site.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "changed=0" in result.stdout
