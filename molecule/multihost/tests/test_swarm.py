"""The catalog's Swarm service on the swarm of two nodes (apps manages it, monitoring
works for it): replicas on both, its secret as a Docker secret, redis on the data node,
a failed update rolled back by Swarm, and a killed worker's replica moved."""

import json
import threading
import time

import yaml

from conftest import SCENARIO
from scenario import wait_until

PLATFORM = "mhtest"
SERVICE = "%s_api" % PLATFORM
NETWORK = "%s_swarm" % PLATFORM


def running_tasks(manager):
    """(node, state) of the service's tasks that Swarm wants running."""
    lines = manager.run("docker", "service", "ps", SERVICE, "--filter", "desired-state=running",
                        "--format", "{{.Node}} {{.CurrentState}}").decode().splitlines()
    return [tuple(line.split()[:2]) for line in lines if line.strip()]


def service_spec(manager):
    return json.loads(manager.run("docker", "service", "inspect", SERVICE))[0]


def test_the_apps_node_manages_the_swarm_and_the_monitoring_node_works_in_it(nodes):
    lines = nodes["apps"].run("docker", "node", "ls", "--format",
                              "{{.Hostname}} {{.Status}} {{.ManagerStatus}}").decode().splitlines()
    assert sorted(line.split() for line in lines) == [["mh-apps", "Ready", "Leader"], ["mh-monitoring", "Ready"]]
    labels = json.loads(nodes["apps"].run("docker", "node", "inspect", "mh-monitoring", "--format",
                                          "{{json .Spec.Labels}}"))
    assert labels["org.tersane.group.swarm_workers"] == "true" and "org.tersane.group.swarm_managers" not in labels


def test_the_service_runs_one_healthy_replica_on_each_node(nodes):
    tasks = running_tasks(nodes["apps"])
    assert sorted(tasks) == [("mh-apps", "Running"), ("mh-monitoring", "Running")]
    spec = service_spec(nodes["apps"])["Spec"]
    assert spec["Mode"]["Replicated"]["Replicas"] == 2
    update = spec["UpdateConfig"]
    assert (update["FailureAction"], update["Parallelism"], update["Order"]) == ("rollback", 1, "start-first")
    assert spec["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Test"][0] == "CMD-SHELL"


def test_its_secret_is_a_docker_secret_file_readable_by_its_user_only(nodes, platform_vars):
    apps = nodes["apps"]
    container = apps.run("docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=%s" % SERVICE)
    container = container.decode().split()[0]
    listing = apps.run("docker", "exec", container, "stat", "-c", "%a %u", "/run/secrets/api/API_TOKEN").decode()
    assert listing.split() == ["400", "10001"]
    token = [entry for entry in platform_vars["platform_services"] if entry["name"] == "api"][0]["secrets"]["API_TOKEN"]
    assert apps.run("docker", "exec", container, "cat", "/run/secrets/api/API_TOKEN").decode() == token
    # the service's definition names the secret; its value is nowhere in it
    spec = json.dumps(service_spec(apps))
    assert token not in spec and "API_TOKEN_FILE=/run/secrets/api/API_TOKEN" in spec
    # and the container reaches redis on the data node by its alias
    assert apps.run("docker", "exec", container, "getent", "hosts", "redis").decode().split()[0] == \
        nodes["data"].address


TARGETS = """
import json, urllib.request
targets = json.load(urllib.request.urlopen("http://127.0.0.1:9090/api/v1/targets", timeout=5))
print(json.dumps([[t["labels"].get("job"), t["labels"].get("service"), t["labels"].get("host"), t["health"],
                   t["scrapeUrl"], t["labels"].get("instance")] for t in targets["data"]["activeTargets"]]))
"""


def replica_addresses(nodes):
    """Each running replica's address on the swarm's network, from the nodes' engines."""
    addresses = set()
    for role in ("apps", "monitoring"):
        node = nodes[role]
        for container in node.run("docker", "ps", "-q", "--filter",
                                  "label=com.docker.swarm.service.name=%s" % SERVICE).decode().split():
            addresses.add(node.run("docker", "inspect", container, "--format",
                                   "{{(index .NetworkSettings.Networks \"%s\").IPAddress}}" % NETWORK).decode().strip())
    return addresses


def test_prometheus_scrapes_each_replica_found_through_swarm_dns_and_probes_the_service(nodes):
    def api_up():
        targets = json.loads(nodes["monitoring"].python(TARGETS))
        replicas = [target for target in targets if target[0] == "api"]
        probes = [target for target in targets if target[0] == "probes" and target[1] == "api"]
        if len(replicas) == 2 and probes and all(target[3] == "up" for target in replicas + probes):
            return replicas, probes
        return None

    replicas, probes = wait_until(api_up, 90, "both replicas scraped and the service probed, all up")
    # one target per replica, at the replica's own address on the swarm's network
    assert {target[4] for target in replicas} == {"http://%s:8080/metrics" % address
                                                  for address in replica_addresses(nodes)}
    assert {(target[1], target[2]) for target in replicas} == {("api", "swarm")}
    # the probe asks for the service by its name, which Swarm resolves to a running replica
    assert probes[0][5] == "http://%s:8080/health" % SERVICE


def test_a_failed_update_is_rolled_back_by_swarm_and_the_run_says_so(nodes, playbook, tmp_path):
    with open(SCENARIO / "inventory" / "group_vars" / "all" / "platform.yml") as handle:
        catalog = yaml.safe_load(handle)["platform_services"]
    for entry in catalog:
        if entry["name"] == "api":
            # never healthy: what it depends on does not exist
            entry["env"] = dict(entry["env"], STANDIN_DEPENDS="redis:6379,nowhere.invalid:1")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"platform_services": catalog}))

    run = playbook("site.yml", "--tags", "services", "--limit", "mh-apps", "-e", "@%s" % broken)
    assert run.returncode != 0, run.stdout[-3000:]
    assert "The update of api failed" in run.stdout and "rolled it back to its previous version" in run.stdout, \
        run.stdout[-3000:]
    spec = service_spec(nodes["apps"])
    assert spec["UpdateStatus"]["State"] == "rollback_completed"
    assert "STANDIN_DEPENDS=redis:6379" in spec["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    wait_until(lambda: sorted(running_tasks(nodes["apps"])) == [("mh-apps", "Running"), ("mh-monitoring", "Running")],
               60, "both replicas of the previous version running")

    # the catalog as it is converges the service again, unchanged
    again = playbook("site.yml", "--tags", "services", "--limit", "mh-apps")
    assert again.returncode == 0, again.stdout[-3000:]


PROBE = """
import json, sys, time, urllib.request
failures, started, deadline = [], time.monotonic(), time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    moment = time.monotonic() - started
    try:
        urllib.request.urlopen("http://api:8080/health", timeout=1).read()
    except Exception as exc:
        failures.append([round(moment, 2), type(exc).__name__])
    time.sleep(0.2)
print(json.dumps(failures))
"""


def test_killing_a_worker_moves_its_replica_and_a_client_sees_at_most_the_health_window(nodes, engine):
    apps = nodes["apps"]
    healthcheck = service_spec(apps)["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
    # the longest a dead task is offered: its checks' interval times retries, plus one timeout
    window = (healthcheck["Interval"] * healthcheck["Retries"] + healthcheck["Timeout"]) / 1e9
    result = {}

    def probe():
        result["failures"] = json.loads(apps.run(
            "docker", "run", "--rm", "-i", "--network", NETWORK, "--entrypoint", "python3",
            "tersane/standin:bookworm", "-", "45", stdin=PROBE.encode()))

    client = threading.Thread(target=probe)
    client.start()
    time.sleep(5)
    # the worker goes away as a powered-off machine would: its engine and tasks with it
    engine.containers.get(nodes["monitoring"].container).kill()
    try:
        wait_until(lambda: sorted(running_tasks(apps)) == [("mh-apps", "Running"), ("mh-apps", "Running")],
                   60, "both replicas running on the manager")
        client.join(timeout=120)
        assert "failures" in result, "the probing client did not report"
        failures = result["failures"]
        spread = failures[-1][0] - failures[0][0] if failures else 0.0
        assert spread <= window + 1, failures
    finally:
        engine.containers.get(nodes["monitoring"].container).start()
        nodes["monitoring"].run("start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile",
                                "/run/tersane-dockerd.pid", "--output", "/var/log/tersane-dockerd.log",
                                "--exec", "/usr/sbin/dockerd")

    # the worker comes back into the swarm on its own
    def worker_ready():
        return "mh-monitoring Ready" in apps.run("docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}}").decode()

    wait_until(worker_ready, 90, "the worker ready again")
