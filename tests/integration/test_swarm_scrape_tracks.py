"""The Swarm scrape job (monitoring_targets.swarm_monitoring) in a real Prometheus
on the real engine: `promtool check config` accepts it, and Prometheus labels each
replica it finds with the track of the DNS name that found it.

Swarm's DNS is stood in for by the engine's own DNS on a bridge network: one
stand-in container answers to `tasks.p_api` (a replica of the service) and one
to `tasks.p_api-canary` (a replica of its canary), as Swarm's DNS names the
tasks of a service and of its canary. The Swarm case itself runs in the
multihost Molecule scenario (test_swarm.py's canary deploy)."""

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

from ansible_collections.tersane.platform.plugins.module_utils.monitoring_targets import swarm_monitoring
from project_run import engine_with
from promtool import IMAGE, promtool, scratch_dir

STANDIN = "tersane/standin:bookworm"
SERVICE = {"name": "api", "container_name": "p_api", "group": "swarm", "orchestrator": "swarm", "replicas": 2,
           "metrics": {"port": 8080, "path": "/metrics"}}


def config():
    jobs = swarm_monitoring([SERVICE], "p", refresh_interval="1s")["scrape_configs"]
    return {"global": {"scrape_interval": "1s", "scrape_timeout": "1s"}, "scrape_configs": jobs}


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory):
    where = scratch_dir(tmp_path_factory, "swarm-scrape")
    (where / "prometheus.yml").write_text(yaml.safe_dump(config()))
    (where / "prometheus.yml").chmod(0o644)
    return where


def test_promtool_accepts_the_swarm_job(config_dir):
    result = promtool(config_dir, "check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def active_targets(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/targets" % port, timeout=3) as answer:
        return json.load(answer)["data"]["activeTargets"]


@pytest.fixture()
def replicas_and_prometheus(config_dir):
    client = engine_with(STANDIN)
    tag = uuid.uuid4().hex[:8]
    network = client.networks.create("tracks-%s" % tag, driver="bridge")
    made = []
    try:
        for dns_name in ("tasks.p_api", "tasks.p_api-canary"):
            container = client.containers.run(STANDIN, detach=True, name="%s-%s" % (dns_name.replace(".", "-"), tag),
                                              environment={"STANDIN_NAME": dns_name})
            made.append(container)
            network.connect(container, aliases=[dns_name])
        prometheus = client.containers.run(
            IMAGE, detach=True, name="tracks-prometheus-%s" % tag, user="65534:65534",
            command=["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/tmp/data",
                     "--web.listen-address=:9090"],
            volumes={str(config_dir): {"bind": "/etc/prometheus", "mode": "ro"}},
            ports={"9090/tcp": ("127.0.0.1", None)}, network=network.name)
        made.append(prometheus)
        prometheus.reload()
        port = int(prometheus.ports["9090/tcp"][0]["HostPort"])
        yield {container.name: container for container in made[:2]}, port, network.name
    finally:
        for container in made:
            container.remove(force=True)
        network.remove()


def test_prometheus_labels_the_replicas_of_the_service_and_of_its_canary_by_track(replicas_and_prometheus):
    replicas, port, network = replicas_and_prometheus
    address = {}
    for name, container in replicas.items():
        container.reload()
        address[name] = container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]
    found = []
    for unused in range(60):
        try:
            found = [target for target in active_targets(port) if target["health"] == "up"]
        except (urllib.error.URLError, ConnectionError):
            found = []
        if len(found) == 2:
            break
        time.sleep(1)
    tracks = {target["labels"]["instance"]: (target["labels"]["job"], target["labels"].get("track"))
              for target in found}
    stable = [address[name] for name in address if "canary" not in name][0]
    canary = [address[name] for name in address if "canary" in name][0]
    assert tracks == {"%s:8080" % stable: ("api", "stable"), "%s:8080" % canary: ("api", "canary")}, found
