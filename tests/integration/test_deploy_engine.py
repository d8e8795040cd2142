"""playbooks/deploy.yml on the real engine (inventory tests/integration/deploy): three
application hosts, played on one engine as three platforms (deptest1..3), each running
the catalog's `api` service. Its versions are images tagged by the test from the
stand-in image: 1.0.0 and 1.1.0 are healthy, 2.0.0 never is (its /health keeps
failing).

A rolling deploy is probed throughout, as a load balancer would (every replica, by its
container address, five times a second): some replica answers at every moment. A canary
deploy of the broken version stops at its first step, which is rolled back with its data
intact; one whose first host's container is killed while that batch holds is rolled back
there too, and a good one holds after every batch but the last; a deploy outside the maintenance windows, or of a version that is not one, is
refused with nothing changed.

Uses tersane/standin:bookworm, which the Molecule scenarios build first in CI; outside
CI a machine without it skips with the reason."""

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import docker
import pytest

PROJECT = Path(__file__).resolve().parents[2]
INVENTORY = PROJECT / "tests" / "integration" / "deploy" / "hosts.yml"
STANDIN = "tersane/standin:bookworm"
HOSTS = {"h1": "deptest1", "h2": "deptest2", "h3": "deptest3"}
VERSIONS = {"1.0.0": "", "1.1.0": "", "2.0.0": "ENV STANDIN_HEALTHY=false\n"}


def playbook(name, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY),
               "-e", "ansible_python_interpreter=" + sys.executable, str(PROJECT / "playbooks" / name), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)


def deploy(*args, **extra):
    return playbook("deploy.yml", "-e", json.dumps(extra), *args)


def said(result):
    return " ".join(result.stdout.split())


def recap(result):
    return {line.split()[0]: line for line in result.stdout.split("PLAY RECAP")[-1].splitlines() if line.strip()}


def container(host):
    return docker.from_env().containers.get("%s_api" % HOSTS[host])


def running(host):
    """(image, health, started) of a host's api container."""
    attrs = container(host).attrs
    return attrs["Config"]["Image"], attrs["State"]["Health"]["Status"], attrs["State"]["StartedAt"]


def history(host):
    path = Path("/var/lib/tersane/%s/deploy/history.jsonl" % HOSTS[host])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def cleanup(engine):
    for name in HOSTS.values():
        for item in engine.containers.list(all=True, filters={"label": "org.tersane.platform=" + name}):
            item.remove(force=True)
        for volume in engine.volumes.list(filters={"label": "org.tersane.platform=" + name}):
            volume.remove(force=True)
        for network in engine.networks.list(names=[name]):
            network.remove()
        subprocess.run(["rm", "-rf", "/var/lib/tersane/" + name, "/etc/tersane/" + name], check=False)


@pytest.fixture(scope="module")
def platform():
    """api 1.0.0 on the three hosts, installed by a first deploy."""
    engine = docker.from_env()
    try:
        engine.images.get(STANDIN)
    except docker.errors.ImageNotFound:
        if os.environ.get("CI"):
            raise
        pytest.skip("%s is absent: `make up OFFLINE=1` or `make molecule` builds it" % STANDIN)
    cleanup(engine)
    for version, extra in VERSIONS.items():
        dockerfile = "FROM %s\nLABEL org.tersane.test=deploy version=%s\n%s" % (STANDIN, version, extra)
        engine.images.build(fileobj=io.BytesIO(dockerfile.encode()),
                            tag="deptest/api:" + version, rm=True)
    for name in HOSTS.values():
        engine.networks.create(name, driver="bridge", labels={"org.tersane.platform": name})
    try:
        first = deploy(deploy_services=["api"])
        assert first.returncode == 0, first.stdout[-4000:]
        yield engine
    finally:
        cleanup(engine)
        for version in VERSIONS:
            engine.images.remove("deptest/api:" + version, force=True)


def test_the_first_deploy_installs_the_service_everywhere_and_records_it(platform):
    for host, name in HOSTS.items():
        assert running(host)[:2] == ("deptest/api:1.0.0", "healthy")
        record = Path("/var/lib/tersane/%s/deploy/api.json" % name)
        assert oct(record.stat().st_mode & 0o777) == "0o600"
        assert json.loads(record.read_text())["image"] == "deptest/api:1.0.0"
        assert history(host)[-1]["outcome"] == "deployed" and history(host)[-1]["previous"] is None


def test_a_version_that_is_not_one_is_refused_before_anything_changes(platform):
    before = {host: running(host) for host in HOSTS}
    result = deploy(deploy_versions={"api": "latest", "web": "1.0.0"})
    assert result.returncode != 0
    assert "deploy_versions.api: 'latest' is neither a semantic version" in said(result)
    assert "deploy_versions.web: no such service in platform_services (known: api)" in said(result)
    assert {host: running(host) for host in HOSTS} == before


def test_a_deploy_outside_the_windows_is_refused_and_forced_only_when_asked(platform):
    before = {host: running(host) for host in HOSTS}
    # A window on the day after tomorrow only: now is outside it.
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)).strftime("%a").lower()
    windows = [{"days": [later], "start": "02:00", "end": "04:00"}]
    result = deploy(deploy_versions={"api": "1.1.0"}, deploy_windows=windows)
    assert result.returncode != 0
    assert "Deploy refused: " in said(result) and "is outside the maintenance windows" in said(result)
    assert "Nothing was changed. Set deploy_force=true" in said(result)
    assert "changed=0" in recap(result)["h1"]
    assert {host: running(host) for host in HOSTS} == before
    checked = deploy("--check", deploy_versions={"api": "1.1.0"}, deploy_windows=windows, deploy_force=True)
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert "Deploying outside the maintenance windows, as deploy_force asks" in said(checked)
    assert {host: running(host) for host in HOSTS} == before


class Prober(threading.Thread):
    """Asks every replica's /health five times a second, by its current address."""

    def __init__(self):
        super().__init__(daemon=True)
        self.rounds = 0
        self.none_healthy = 0
        self.replica_down = {host: 0 for host in HOSTS}
        self.stop = threading.Event()

    def healthy(self, host):
        try:
            networks = container(host).attrs["NetworkSettings"]["Networks"]
            address = networks[HOSTS[host]]["IPAddress"]
            with urllib.request.urlopen("http://%s:8080/health" % address, timeout=0.5) as reply:
                return reply.status == 200
        except Exception:  # pylint: disable=broad-except  # any failure is a replica down
            return False

    def run(self):
        while not self.stop.is_set():
            up = {host: self.healthy(host) for host in HOSTS}
            self.rounds += 1
            for host, ok in up.items():
                self.replica_down[host] += 0 if ok else 1
            self.none_healthy += 0 if any(up.values()) else 1
            time.sleep(0.2)


def test_a_rolling_deploy_always_leaves_a_replica_answering(platform):
    prober = Prober()
    prober.start()
    time.sleep(1)
    result = deploy(deploy_versions={"api": "1.1.0"})
    time.sleep(1)
    prober.stop.set()
    prober.join()
    assert result.returncode == 0, result.stdout[-4000:]
    for host in HOSTS:
        assert running(host)[:2] == ("deptest/api:1.1.0", "healthy")
        assert history(host)[-1] == dict(history(host)[-1], service="api", outcome="deployed",
                                         image="deptest/api:1.1.0", previous="deptest/api:1.0.0")
    # Each replica was seen down while it was replaced, one host at a time: never all at once.
    assert all(prober.replica_down[host] > 0 for host in HOSTS), prober.replica_down
    assert prober.rounds > 20 and prober.none_healthy == 0, (prober.rounds, prober.none_healthy)
    again = deploy(deploy_versions={"api": "1.1.0"})
    assert again.returncode == 0 and all("changed=0" in recap(again)[host] for host in HOSTS), again.stdout[-3000:]


def test_a_canary_of_a_broken_version_rolls_back_its_first_step_and_stops(platform):
    container("h1").exec_run(["sh", "-c", "echo kept > /var/lib/api/data"], user="0")
    untouched = {host: running(host) for host in ("h2", "h3")}
    result = deploy("-e", "deploy_strategy=canary", deploy_versions={"api": "2.0.0"})
    assert result.returncode != 0
    message = said(result)
    assert "The deploy of api 2.0.0 on h1 failed and was rolled back: health_gate: 1 of 1 checks did not pass" in message
    assert "api runs deptest/api:1.1.0 again, healthy." in message
    # The first step (10 % of three hosts: one) was rolled back; the others were never touched.
    assert running("h1")[:2] == ("deptest/api:1.1.0", "healthy")
    assert {host: running(host) for host in ("h2", "h3")} == untouched
    assert container("h1").exec_run(["cat", "/var/lib/api/data"]).output == b"kept\n"
    last = history("h1")[-1]
    assert (last["outcome"], last["image"], last["previous"]) == (
        "rolled_back", "deptest/api:2.0.0", "deptest/api:1.1.0")
    assert "api" in last["reason"] and "unhealthy" in last["reason"]
    assert json.loads(Path("/var/lib/tersane/deptest1/deploy/api.json").read_text())["image"] == "deptest/api:1.1.0"


def test_a_canary_container_that_dies_during_the_hold_rolls_its_batch_back_and_stops(platform):
    untouched = {host: running(host) for host in ("h2", "h3")}
    killed = {}

    def kill_the_canary_once_it_runs_healthy():
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                attrs = container("h1").attrs
            except docker.errors.NotFound:  # between the old container and the new one
                attrs = {}
            image = attrs.get("Config", {}).get("Image")
            health = attrs.get("State", {}).get("Health", {}).get("Status")  # none before it starts
            if (image, health) == ("deptest/api:1.0.0", "healthy"):
                time.sleep(6)  # the gate has passed: the batch holds now
                container("h1").kill()
                killed["h1"] = True
                return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_canary_once_it_runs_healthy, daemon=True)
    killer.start()
    result = deploy("-e", "deploy_strategy=canary", deploy_versions={"api": "1.0.0"}, deploy_canary_hold=30)
    killer.join()
    assert killed, "h1 never ran the new version healthy: " + result.stdout[-3000:]
    assert result.returncode != 0
    message = said(result)
    assert re.search(r"The deploy of api 1\.0\.0 on h1 failed and was rolled back: its containers of the new version "
                     r"ran healthy, but not for the whole 30 s canary hold: container deptest1_api "
                     r"(is exited \(exit code 137\)|started again)", message), message[-3000:]
    assert running("h1")[:2] == ("deptest/api:1.1.0", "healthy")
    assert {host: running(host) for host in ("h2", "h3")} == untouched
    last = history("h1")[-1]
    assert (last["outcome"], last["image"], last["previous"]) == (
        "rolled_back", "deptest/api:1.0.0", "deptest/api:1.1.0")


def test_a_good_canary_holds_after_each_batch_but_the_last(platform):
    result = deploy("-e", "deploy_strategy=canary", deploy_versions={"api": "1.0.0"}, deploy_canary_hold=2)
    assert result.returncode == 0, result.stdout[-4000:]
    for host in HOSTS:
        assert running(host)[:2] == ("deptest/api:1.0.0", "healthy")
        assert history(host)[-1]["outcome"] == "deployed"
    # Three batches of one host (10 %, 50 %, 100 % of three): the first two hold, the last does not.
    holds = [line for line in result.stdout.splitlines()
             if line.startswith("TASK [") and "Hold the canary batch while it answers" in line]
    assert len(holds) == 2, result.stdout[-4000:]
