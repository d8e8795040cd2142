"""The same site playbook on three hosts that are real Docker engines
(Docker-in-Docker nodes): data, monitoring and apps apart, wired from the inventory."""

import json
import re

import pytest
from scenario import wait_until

PLATFORM = "mhtest"

# The PostgreSQL wire protocol's startup message, sent from inside the application's container.
POSTGRES_STARTUP = """
import socket, struct
body = struct.pack("!I", 196608) + b"user\\0postgres\\0database\\0postgres\\0\\0"
connection = socket.create_connection(("postgres", 5432), timeout=5)
connection.sendall(struct.pack("!I", len(body) + 4) + body)
kind, length, method = struct.unpack("!cII", connection.recv(9))
print(kind.decode(), method)
"""


def test_the_data_node_publishes_postgres_and_redis_on_its_own_address_only(nodes):
    data = nodes["data"]
    for service, port in (("postgres", 5432), ("redis", 6379)):
        published = data.run("docker", "port", "%s_%s" % (PLATFORM, service), "%d/tcp" % port).decode().split()
        assert published == ["%s:%d" % (data.address, port)]


def test_the_apps_node_resolves_the_data_services_to_the_data_node(nodes):
    apps = nodes["apps"]
    for service in ("postgres", "redis"):
        entry = apps.run("docker", "exec", "%s_orders" % PLATFORM, "getent", "hosts", service).decode().split()
        assert entry[0] == nodes["data"].address
    # healthy only while it reaches postgres:5432, redis:6379 and ledger:8081 (STANDIN_DEPENDS)
    state = json.loads(apps.run("docker", "inspect", "%s_orders" % PLATFORM))[0]["State"]
    assert state["Health"]["Status"] == "healthy"


def test_the_apps_node_reaches_a_catalog_service_of_the_monitoring_node_on_its_published_port(nodes):
    apps, monitoring = nodes["apps"], nodes["monitoring"]
    entry = apps.run("docker", "exec", "%s_orders" % PLATFORM, "getent", "hosts", "ledger").decode().split()
    assert entry[0] == monitoring.address
    published = monitoring.run("docker", "port", "%s_ledger" % PLATFORM, "8080/tcp").decode().split()
    assert published == ["%s:8081" % monitoring.address]
    code = "import urllib.request; print(urllib.request.urlopen('http://ledger:8081/health', timeout=5).status)"
    assert apps.python(code, container="%s_orders" % PLATFORM).strip() == "200"


def test_the_application_speaks_to_redis_across_nodes_with_the_platform_password(nodes, platform_vars):
    code = """
import socket
connection = socket.create_connection(("redis", 6379), timeout=5)
connection.sendall(b"AUTH %s\\r\\nPING\\r\\n")
reply = b""
while reply.count(b"\\r\\n") < 2:
    reply += connection.recv(100)
print(reply.decode().split())
""" % platform_vars["redis_password"]
    assert nodes["apps"].python(code, container="%s_orders" % PLATFORM).strip() == "['+OK', '+PONG']"


def test_the_application_reaches_the_postgresql_server_across_nodes(nodes):
    # The server answers a startup message with its authentication request: 'R', SASL (10).
    answer = nodes["apps"].python(POSTGRES_STARTUP, container="%s_orders" % PLATFORM).split()
    assert answer == ["R", "10"]


def test_prometheus_on_the_monitoring_node_scrapes_every_node_and_all_are_up(nodes):
    code = """
import json, urllib.request
targets = json.load(urllib.request.urlopen("http://127.0.0.1:9090/api/v1/targets", timeout=5))
print(json.dumps([[t["labels"].get("job"), t["labels"].get("service"), t["labels"]["host"], t["health"], t["scrapeUrl"]]
                  for t in targets["data"]["activeTargets"]]))
"""
    hosts = ["mh-data", "mh-monitoring", "mh-apps"]
    expected = ({("node", host) for host in hosts} | {("containers", host) for host in hosts}
                | {("postgres", "mh-data"), ("redis", "mh-data"), ("orders", "mh-apps"),
                   ("probes:postgres", "mh-data"), ("probes:redis", "mh-data")})

    def all_up():
        found = {}
        for job, service, host, health, url in json.loads(nodes["monitoring"].python(code)):
            found[("probes:%s" % service if job == "probes" else job, host)] = (health, url)
        missing = expected - set(found)
        down = [key for key in expected & set(found) if found[key][0] != "up"]
        return found if not missing and not down else None

    found = wait_until(all_up, 90, "every node's targets up")
    # the other nodes are scraped on their own addresses, not through a local network
    assert found[("node", "mh-data")][1] == "http://%s:9100/metrics" % nodes["data"].address
    assert found[("orders", "mh-apps")][1] == "http://%s:8080/metrics" % nodes["apps"].address


def test_each_node_runs_only_what_its_groups_place_there(nodes):
    running = {name: set(node.run("docker", "ps", "--format", "{{.Label \"org.tersane.service\"}}").decode().split())
               for name, node in nodes.items()}
    assert {"postgres", "redis"} <= running["data"] and "orders" not in running["data"]
    assert "orders" in running["apps"] and not {"postgres", "redis", "prometheus"} & running["apps"]
    assert {"prometheus", "ledger"} <= running["monitoring"] and not {"postgres", "orders"} & running["monitoring"]
    assert "ledger" not in running["apps"]


@pytest.mark.parametrize("host", ["mh-apps", "mh-monitoring"])
def test_nodes_without_data_services_hold_none_of_their_images(nodes, host):
    node = nodes[host.split("-", 1)[1]]
    images = node.run("docker", "image", "ls", "--format", "{{.Repository}}").decode().split()
    assert "tersane/postgres" not in images and "tersane/redis" not in images


def recap(output):
    """host -> {ok, changed, unreachable, failed, ...} from a PLAY RECAP."""
    found = {}
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    for line in output.split("PLAY RECAP")[-1].splitlines():
        parts = line.split(":", 1)
        if len(parts) == 2 and "ok=" in parts[1]:
            found[parts[0].strip()] = {key: int(value) for key, value in
                                       (item.split("=", 1) for item in parts[1].split() if "=" in item)
                                       if value.isdigit()}
    return found


def scraped_hosts(monitoring):
    code = """
import json
with open("/etc/tersane/mhtest/prometheus/targets/scrape.json") as handle:
    print(json.dumps(sorted({group["labels"]["host"] for group in json.load(handle)})))
"""
    return json.loads(monitoring.python(code))


def test_a_node_whose_engine_stopped_fails_alone_and_the_next_run_converges_it(nodes, playbook):
    apps = nodes["apps"]
    apps.run("start-stop-daemon", "--stop", "--pidfile", "/run/tersane-dockerd.pid", "--retry", "60")
    assert not apps.succeeds("docker", "info")

    # A run that does not manage the engines: the apps node fails alone, saying why.
    stopped = playbook("site.yml", "--skip-tags", "docker")
    assert stopped.returncode != 0
    hosts = recap(stopped.stdout)
    assert set(hosts) == {"mh-apps", "mh-data", "mh-monitoring"}, stopped.stdout[-3000:] + stopped.stderr[-2000:]
    assert hosts["mh-apps"]["failed"] == 1, stopped.stdout[-3000:]
    assert hosts["mh-data"]["failed"] == 0 and hosts["mh-monitoring"]["failed"] == 0, stopped.stdout[-3000:]
    assert "The Docker engine of mh-apps does not answer" in stopped.stdout
    # Prometheus goes on scraping the node it did not hear from (its alerts can fire).
    assert scraped_hosts(nodes["monitoring"]) == ["mh-apps", "mh-data", "mh-monitoring"]

    # The next full run starts the engine again and converges the node.
    again = playbook("site.yml")
    assert again.returncode == 0, again.stdout[-3000:]
    state = json.loads(apps.run("docker", "inspect", "%s_orders" % PLATFORM))[0]["State"]
    assert state["Running"]
    wait_until(lambda: json.loads(apps.run("docker", "inspect", "%s_orders" % PLATFORM))[0]["State"]
               ["Health"]["Status"] == "healthy", 60, "orders healthy again")
