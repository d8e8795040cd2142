"""Scrape and probe targets derived from what each host offers."""

import re

import pytest

from ansible_collections.tersane.platform.plugins.module_utils.monitoring_targets import (
    TargetError, catalog_endpoints, normalise_endpoint, normalise_probe, probe_group, probe_groups, published_address, routable, scrape_groups)


def node(address=None, network="tersane"):
    return {"job": "node", "container": "tersane_node_exporter", "port": 9100, "network": network,
            "address": address}


def test_same_host_and_network_is_reached_by_container_name():
    groups = scrape_groups({"mon-1": [node()]}, "mon-1", "tersane", "tersane")
    assert groups == [{"targets": ["tersane_node_exporter:9100"],
                       "labels": {"job": "node", "host": "mon-1", "platform": "tersane",
                                  "__metrics_path__": "/metrics"}}]


def test_another_host_is_reached_by_its_published_address():
    groups = scrape_groups({"app-1": [node("10.0.0.11:9100")], "mon-1": [node()]}, "mon-1", "tersane", "p")
    assert [group["targets"] for group in groups] == [["10.0.0.11:9100"], ["tersane_node_exporter:9100"]]
    assert [group["labels"]["host"] for group in groups] == ["app-1", "mon-1"]


def test_another_host_without_published_address_names_host_and_job():
    with pytest.raises(TargetError, match=r"node on app-1 serves on container port 9100 .* mon-1"):
        scrape_groups({"app-1": [node()]}, "mon-1", "tersane", "p")


def test_same_host_on_another_network_needs_an_address():
    with pytest.raises(TargetError, match="publishes no address"):
        scrape_groups({"mon-1": [node(network="other")]}, "mon-1", "tersane", "p")
    groups = scrape_groups({"mon-1": [node("127.0.0.1:9100", network="other")]}, "mon-1", "tersane", "p")
    assert groups[0]["targets"] == ["127.0.0.1:9100"]


def test_path_and_extra_labels_are_kept():
    endpoint = dict(node(), path="/custom", labels={"service": "orders"})
    labels = scrape_groups({"h": [endpoint]}, "h", "tersane", "p")[0]["labels"]
    assert labels["__metrics_path__"] == "/custom" and labels["service"] == "orders"


@pytest.mark.parametrize("change, message", [
    ({"job": "bad job"}, "job must be"),
    ({"container": ""}, "container is required"),
    ({"port": 0}, "port must be a port number"),
    ({"port": True}, "port must be a port number"),
    ({"path": "metrics"}, "path must start with /"),
    ({"address": "10.0.0.1"}, "address must be host:port"),
    ({"labels": {"job": "x"}}, "labels may not set job"),
    ({"labels": {"__address__": "x"}}, "labels may not set __address__"),
])
def test_malformed_endpoints_are_refused(change, message):
    with pytest.raises(TargetError, match=message):
        normalise_endpoint(dict(node(), **change), "h")


def test_a_job_declared_twice_on_one_host_is_refused():
    with pytest.raises(TargetError, match="job node is declared twice on h"):
        scrape_groups({"h": [node(), node()]}, "h", "tersane", "p")


def test_probes_become_urls_or_addresses_with_their_module():
    probes = [
        {"service": "orders", "container": "p_orders", "port": 8080, "network": "tersane"},
        {"service": "postgres", "container": "p_postgres", "port": 5432, "module": "tcp_connect", "network": "tersane"},
        {"service": "proxy", "container": "p_proxy", "port": 8443, "module": "tls_expiry", "path": "/nginx-health",
         "network": "tersane"},
    ]
    groups = probe_groups({"h": probes}, "h", "tersane", "p")
    assert [(group["targets"][0], group["labels"]["module"]) for group in groups] == [
        ("http://p_orders:8080/health", "http_2xx"),
        ("p_postgres:5432", "tcp_connect"),
        ("https://p_proxy:8443/nginx-health", "tls_expiry"),
    ]
    assert groups[0]["labels"] == {"service": "orders", "host": "h", "platform": "p", "module": "http_2xx"}


def test_unknown_probe_module_is_refused():
    with pytest.raises(TargetError, match="module must be one of"):
        probe_groups({"h": [{"service": "x", "container": "c", "port": 1, "module": "icmp"}]}, "h", "n", "p")


SERVICES = [
    {"name": "orders", "container_name": "p_orders", "group": "apps",
     "metrics": {"port": 8080, "path": "/metrics"}, "probe": {"port": 8080, "path": "/health", "module": "http_2xx"},
     "ports": [{"address": "0.0.0.0", "host": 18080, "container": 8080, "protocol": "tcp"}]},
    {"name": "billing", "container_name": "p_billing", "group": "apps", "metrics": None, "probe": None, "ports": []},
    {"name": "reports", "container_name": "p_reports", "group": "batch",
     "metrics": {"port": 9000, "path": "/m"}, "probe": None, "ports": []},
]


def test_catalog_endpoints_only_for_the_hosts_groups():
    endpoints, probes = catalog_endpoints(SERVICES, ["apps", "platform"], "tersane", "10.0.0.5")
    assert [endpoint["job"] for endpoint in endpoints] == ["orders"]
    assert endpoints[0]["address"] == "10.0.0.5:18080"
    assert endpoints[0]["labels"] == {"service": "orders"}
    assert [(probe["service"], probe["address"]) for probe in probes] == [("orders", "10.0.0.5:18080")]
    endpoints, probes = catalog_endpoints(SERVICES, ["batch"], "tersane")
    assert [(endpoint["job"], endpoint["path"], endpoint["address"]) for endpoint in endpoints] == [("reports", "/m", None)]
    assert probes == []


@pytest.mark.parametrize("address, host_address, expected", [
    ("127.0.0.1", "10.0.0.5", None),
    ("0.0.0.0", "10.0.0.5", "10.0.0.5:80"),
    ("0.0.0.0", "", None),
    ("0.0.0.0", "127.0.0.1", None),
    ("10.0.0.9", "10.0.0.5", "10.0.0.9:80"),
])
def test_routable_addresses(address, host_address, expected):
    assert routable(address, 80, host_address) == expected


def test_published_address_ignores_other_ports_and_udp():
    service = {"ports": [{"address": "10.0.0.1", "host": 53, "container": 8080, "protocol": "udp"},
                         {"address": "10.0.0.1", "host": 9999, "container": 9000, "protocol": "tcp"}]}
    assert published_address(service, 8080) is None
    assert published_address(service, 9000) == "10.0.0.1:9999"


def test_exporter_endpoints_name_jobs_containers_and_services():
    from ansible_collections.tersane.platform.plugins.module_utils.monitoring_targets import exporter_endpoints
    exporters = [{"name": "node", "container_port": 9100, "host_port": 19100},
                 {"name": "container", "container_port": 9338, "host_port": 9338},
                 {"name": "postgres", "container_port": 9187, "host_port": 9187}]
    local = exporter_endpoints(exporters, "p_", "net")
    assert [(e["job"], e["container"], e["port"], e["address"], e["labels"]) for e in local] == [
        ("node", "p_node_exporter", 9100, None, {}),
        ("containers", "p_container_exporter", 9338, None, {}),
        ("postgres", "p_postgres_exporter", 9187, None, {"service": "postgres"})]
    published = exporter_endpoints(exporters[:1], "p_", "net", "10.0.0.7")
    assert published[0]["address"] == "10.0.0.7:19100"
    assert exporter_endpoints(exporters[:1], "p_", "net", "127.0.0.1")[0]["address"] is None


def test_a_host_that_made_no_offer_keeps_its_current_targets():
    from ansible_collections.tersane.platform.plugins.module_utils.monitoring_targets import keep_unheard
    fresh = [{"targets": ["db:9100"], "labels": {"job": "node", "host": "db"}}]
    current = [{"targets": ["10.0.0.3:9100"], "labels": {"job": "node", "host": "app"}},
               {"targets": ["old:9100"], "labels": {"job": "node", "host": "db"}},
               {"targets": ["10.0.0.3:8080"], "labels": {"job": "orders", "service": "orders", "host": "app"}}]
    merged = keep_unheard(fresh, current, ["app"])
    assert [group["targets"] for group in merged] == [["10.0.0.3:9100"], ["db:9100"], ["10.0.0.3:8080"]]
    # a host heard from is described by its offer alone; nothing unheard: the groups as given
    assert keep_unheard(fresh, current, []) == fresh
    assert keep_unheard(fresh, [{"labels": None}, "junk"], ["app"]) == fresh


SWARM_API = {"name": "api", "container_name": "p_api", "group": "swarm", "orchestrator": "swarm", "replicas": 3,
             "metrics": {"port": 8080, "path": "/metrics"},
             "probe": {"port": 8080, "path": "/health", "module": "http_2xx"},
             "ports": [{"address": "0.0.0.0", "host": 8080, "container": 8080, "protocol": "tcp"}]}


def test_catalog_endpoints_leave_swarm_services_to_the_swarm_jobs():
    """A node of the group does not offer a Swarm service: its replicas move."""
    endpoints, probes = catalog_endpoints([SWARM_API], ["swarm", "apps"], "tersane", "10.0.0.5")
    assert endpoints == [] and probes == []


def test_swarm_monitoring_scrapes_every_replica_through_swarm_dns():
    from ansible_collections.tersane.platform.plugins.module_utils.monitoring_targets import swarm_monitoring
    watched = swarm_monitoring(SERVICES + [SWARM_API], "p")
    assert watched["scrape_configs"] == [{
        "job_name": "swarm_api", "metrics_path": "/metrics",
        "dns_sd_configs": [{"names": ["tasks.p_api", "tasks.p_api-canary"], "type": "A", "port": 8080,
                            "refresh_interval": "15s"}],
        "relabel_configs": [{"target_label": "host", "replacement": "swarm"},
                            {"target_label": "job", "replacement": "api"},
                            {"target_label": "platform", "replacement": "p"},
                            {"target_label": "service", "replacement": "api"},
                            {"source_labels": ["__meta_dns_name"], "regex": r"tasks\.p_api\.?",
                             "target_label": "track", "replacement": "stable"},
                            {"source_labels": ["__meta_dns_name"], "regex": r"tasks\.p_api\-canary\.?",
                             "target_label": "track", "replacement": "canary"}]}]
    assert watched["probes"] == [{"targets": ["http://p_api:8080/health"], "labels": {
        "service": "api", "host": "swarm", "platform": "p", "module": "http_2xx"}}]
    assert watched["services"] == ["api"]


@pytest.mark.parametrize("found_as, track", [
    ("tasks.p_api", "stable"), ("tasks.p_api.", "stable"), ("tasks.p_api-canary", "canary"),
    ("tasks.p_api-canary.", "canary"), ("tasks.p_apix", None), ("tasks.p_api-canaryx", None)])
def test_swarm_targets_are_tracked_by_the_dns_name_that_found_them(found_as, track):
    """The relabelling as Prometheus applies it: a rule whose anchored regex matches
    the source label sets the target label; the last matching rule wins."""
    from ansible_collections.tersane.platform.plugins.module_utils.monitoring_targets import swarm_monitoring
    rules = swarm_monitoring([SWARM_API], "p")["scrape_configs"][0]["relabel_configs"]
    labels = {"__meta_dns_name": found_as}
    for rule in rules:
        if "source_labels" not in rule:
            labels[rule["target_label"]] = rule["replacement"]
        elif re.fullmatch(rule["regex"], labels[rule["source_labels"][0]]):
            labels[rule["target_label"]] = rule["replacement"]
    assert labels.get("track") == track
    assert labels["job"] == "api"


def test_swarm_monitoring_tcp_probe_and_no_metrics():
    from ansible_collections.tersane.platform.plugins.module_utils.monitoring_targets import swarm_monitoring
    entry = dict(SWARM_API, metrics=None, probe={"port": 5000, "module": "tcp_connect"})
    watched = swarm_monitoring([entry], "p", refresh_interval="5s")
    assert watched["scrape_configs"] == []
    assert watched["probes"][0]["targets"] == ["p_api:5000"]


def test_swarm_monitoring_refuses_a_bad_metrics_port():
    from ansible_collections.tersane.platform.plugins.module_utils.monitoring_targets import swarm_monitoring
    with pytest.raises(TargetError, match="Swarm service api: metrics.port"):
        swarm_monitoring([dict(SWARM_API, metrics={"port": 0})], "p")


def test_a_probe_group_is_a_url_on_where_it_is_reached_or_that_address_for_tcp():
    web = normalise_probe({"service": "web", "container": "c", "port": 80, "path": "/ready"}, "h")
    assert probe_group(web, "10.0.0.5:8080", "h", "p") == {"targets": ["http://10.0.0.5:8080/ready"], "labels": {
        "service": "web", "host": "h", "platform": "p", "module": "http_2xx"}}
    tcp = normalise_probe({"service": "db", "container": "c", "port": 5432, "module": "tcp_connect"}, "h")
    assert probe_group(tcp, "db:5432", "swarm", "p")["targets"] == ["db:5432"]
    tls = normalise_probe({"service": "api", "container": "c", "port": 443, "module": "tls_expiry"}, "h")
    assert probe_group(tls, "api:443", "h", "p")["targets"] == ["https://api:443/health"]
