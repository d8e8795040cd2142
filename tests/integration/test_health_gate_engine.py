"""health_gate against real containers on the Docker engine.

Uses the images the images role builds (tersane/postgres, tersane/redis): in
CI the Molecule scenario builds them first. Outside CI, a machine without them
skips with the reason; `make up OFFLINE=1` builds them.
"""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker
import pytest

from ansible_collections.tersane.platform.plugins.module_utils import gate_probes, gate_runner

PROJECT = Path(__file__).resolve().parents[2]
REDIS_IMAGE = "tersane/redis:7.0-bookworm"
POSTGRES_IMAGE = "tersane/postgres:15-bookworm"
LABEL = {"org.tersane.test": "health_gate"}


@pytest.fixture(scope="module")
def engine():
    client = docker.from_env()
    for image in (REDIS_IMAGE, POSTGRES_IMAGE):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            if os.environ.get("CI"):
                raise
            pytest.skip("%s is absent: `make up OFFLINE=1` or `make molecule` builds it" % image)
    yield client
    # this module's containers only: other test modules label theirs org.tersane.test too
    for container in client.containers.list(all=True, filters={"label": "org.tersane.test=" + LABEL["org.tersane.test"]}):
        container.remove(force=True, v=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(engine, image, command=None, healthcheck=None, ports=None, environment=None):
    return engine.containers.run(
        image, command, name="tersane-test-%s" % uuid.uuid4().hex[:8], detach=True,
        labels=LABEL, healthcheck=healthcheck, ports=ports or {}, environment=environment or {})


def docker_time(text):
    """Docker's RFC 3339 times (nanoseconds, trailing zeros trimmed) made comparable."""
    stamp, _dot, fraction = text.rstrip("Z").partition(".")
    return stamp, fraction.split("+")[0].split("-")[0].ljust(9, "0")


def seconds(value):
    return int(value * 1e9)


def gate(checks, check_mode=False):
    """Run the module itself through ansible, as a playbook would."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"),
               ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    command = [str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local",
               "-e", "ansible_python_interpreter=%s" % sys.executable,
               "-m", "tersane.platform.health_gate", "-a", json.dumps({"checks": checks})]
    if check_mode:
        command.append("--check")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    return json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.fixture(scope="module")
def redis_server(engine):
    port = free_port()
    container = start(engine, REDIS_IMAGE, ["redis-server", "--requirepass", "s3cret"],
                      ports={"6379/tcp": ("127.0.0.1", port)})
    outcome = gate_runner.wait_for(gate_runner.Check(
        "redis", gate_probes.redis_probe("127.0.0.1", port, "s3cret"), timeout=60))
    assert outcome.passed, outcome.message
    yield port
    container.remove(force=True, v=True)


@pytest.fixture(scope="module")
def postgres_server(engine):
    port = free_port()
    container = start(engine, POSTGRES_IMAGE, ports={"5432/tcp": ("127.0.0.1", port)},
                      environment={"POSTGRES_PASSWORD": "pgpass", "POSTGRES_USER": "gate",
                                   "POSTGRES_DB": "gatedb"})
    yield port, container


def test_container_check_passes_when_docker_marks_it_healthy(engine):
    container = start(engine, REDIS_IMAGE, healthcheck={
        "test": ["CMD", "redis-cli", "ping"], "interval": seconds(0.5), "retries": 3})
    result = gate([{"name": "redis", "type": "container", "container": container.name,
                    "timeout": 60, "interval": 0.2}])
    assert not result.get("failed"), result
    check = result["checks"][0]
    assert check["status"] == "passed" and check["message"].endswith("is healthy")
    assert engine.api.inspect_container(container.id)["State"]["Health"]["Status"] == "healthy"


def test_exited_container_fails_at_once_not_at_the_timeout(engine):
    container = start(engine, REDIS_IMAGE, ["sh", "-c", "sleep 1; exit 3"])
    result = gate([{"name": "dies", "type": "container", "container": container.name,
                    "timeout": 600}])
    assert result["failed"]
    check = result["checks"][0]
    assert check["status"] == "failed"  # not timed_out: the 600 s were not waited
    assert "exited with code 3" in result["msg"]


def test_watched_protocol_check_fails_at_once_when_its_container_exits(engine):
    port = free_port()
    container = start(engine, REDIS_IMAGE, ["sh", "-c", "sleep 1; exit 5"],
                      ports={"6379/tcp": ("127.0.0.1", port)})
    result = gate([{"name": "cache", "type": "redis", "port": port, "timeout": 600,
                    "watch_container": container.name}])
    assert result["failed"] and result["checks"][0]["status"] == "failed"
    assert "exited with code 5" in result["msg"]


def test_watched_protocol_check_passes_before_docker_calls_it_healthy(engine):
    port = free_port()
    container = start(engine, REDIS_IMAGE, ["redis-server", "--requirepass", "pw"],
                      ports={"6379/tcp": ("127.0.0.1", port)}, healthcheck={
                          "test": ["CMD", "redis-cli", "-a", "pw", "ping"],
                          "interval": seconds(30), "retries": 3})
    result = gate([{"name": "cache", "type": "redis", "port": port, "timeout": 60,
                    "login_password": "pw", "watch_container": container.name}])
    assert result["checks"][0]["status"] == "passed", result
    health = engine.api.inspect_container(container.id)["State"]["Health"]["Status"]
    assert health == "starting"  # Docker's first probe is 30 s away


def test_unhealthy_container_fails_with_its_health_log(engine):
    container = start(engine, REDIS_IMAGE, healthcheck={
        "test": ["CMD-SHELL", "echo disk is full >&2; exit 1"],
        "interval": seconds(0.5), "retries": 2})
    result = gate([{"name": "sick", "type": "container", "container": container.name,
                    "timeout": 600}])
    assert result["failed"] and result["checks"][0]["status"] == "failed"
    assert "is unhealthy" in result["msg"]
    assert "health log: exit 1: disk is full" in result["msg"]


def test_unhealthy_container_can_be_waited_for_until_the_timeout(engine):
    container = start(engine, REDIS_IMAGE, healthcheck={
        "test": ["CMD", "false"], "interval": seconds(0.5), "retries": 1})
    time.sleep(2)
    result = gate([{"name": "sick", "type": "container", "container": container.name,
                    "timeout": 2, "keep_waiting_when_unhealthy": True}])
    assert result["checks"][0]["status"] == "timed_out"
    assert "timed out after 2s" in result["msg"]


def test_missing_container_times_out_naming_it(engine):
    result = gate([{"name": "ghost", "type": "container", "container": "no-such-container-x",
                    "timeout": 1}])
    assert "container no-such-container-x does not exist" in result["msg"]


def test_redis_checks_against_a_real_server(redis_server):
    assert gate_probes.redis_probe("127.0.0.1", redis_server, "s3cret")(5).message == "PONG"
    wrong = gate_probes.redis_probe("127.0.0.1", redis_server, "nope")(5)
    assert wrong.fatal and "AUTH refused" in wrong.message
    anonymous = gate_probes.redis_probe("127.0.0.1", redis_server)(5)
    assert anonymous.fatal and "NOAUTH" in anonymous.message


def test_postgres_checks_against_a_real_server(postgres_server):
    port, container = postgres_server
    outcome = gate_runner.wait_for(gate_runner.Check(
        "pg", gate_probes.postgres_probe("127.0.0.1", port, "gate", "pgpass", "gatedb",
                                         "SELECT current_database()"), timeout=90))
    assert outcome.passed and "gatedb" in outcome.message
    wrong = gate_probes.postgres_probe("127.0.0.1", port, "gate", "nope", "gatedb")(5)
    assert wrong.fatal and "password authentication failed" in wrong.message


def test_tcp_check_through_the_module(redis_server):
    result = gate([{"name": "port", "type": "tcp", "port": redis_server, "timeout": 5}])
    assert result["checks"][0]["status"] == "passed", result


def test_dependency_order_through_the_module(engine, redis_server, postgres_server):
    port = postgres_server[0]
    result = gate([
        {"name": "app", "type": "tcp", "port": redis_server, "depends_on": ["db", "cache"]},
        {"name": "db", "type": "postgres", "port": port, "login_user": "gate",
         "login_password": "pgpass", "database": "gatedb", "timeout": 90},
        {"name": "cache", "type": "redis", "port": redis_server, "login_password": "s3cret"},
    ])
    assert not result.get("failed"), result
    assert result["order"] == [["db", "cache"], ["app"]]
    assert [c["status"] for c in result["checks"]] == ["passed"] * 3
    assert "pgpass" not in json.dumps(result) and "s3cret" not in json.dumps(result)


def test_unknown_dependency_and_cycle_fail_before_waiting():
    result = gate([{"name": "a", "type": "tcp", "port": 1, "depends_on": ["b"]},
                   {"name": "b", "type": "tcp", "port": 1, "depends_on": ["a", "zz"]}])
    assert result["failed"]
    assert "b -> zz" in result["msg"] and "dependency cycle: a -> b -> a" in result["msg"]
    assert "checks" not in result


def test_check_mode_plans_without_probing():
    result = gate([{"name": "a", "type": "tcp", "port": 1},
                   {"name": "b", "type": "tcp", "port": 1, "depends_on": ["a"]}], check_mode=True)
    assert not result.get("failed")
    assert result["order"] == [["a"], ["b"]]
    assert [c["status"] for c in result["checks"]] == ["planned", "planned"]


def test_start_brings_created_containers_up_in_dependency_order(engine):
    """Two created (never started) containers: the gate starts the dependent
    only once its dependency is healthy, and reports both as started."""
    healthcheck = {"test": ["CMD", "redis-cli", "ping"], "interval": seconds(0.5), "retries": 3}
    first, second = (engine.containers.create(REDIS_IMAGE, name="tersane-test-%s-%s" % (role, uuid.uuid4().hex[:8]),
                                              labels=LABEL, healthcheck=healthcheck) for role in ("first", "second"))
    result = gate([{"name": "first", "type": "container", "container": first.name, "start": True, "timeout": 60},
                   {"name": "second", "type": "container", "container": second.name, "start": True,
                    "depends_on": ["first"], "timeout": 60}])
    assert not result.get("failed"), result
    assert result["changed"] is True and result["started"] == sorted([first.name, second.name])
    first.reload()
    second.reload()
    first_healthy = next(entry["End"] for entry in first.attrs["State"]["Health"]["Log"] if entry["ExitCode"] == 0)
    assert docker_time(second.attrs["State"]["StartedAt"]) > docker_time(first_healthy)
    again = gate([{"name": "first", "type": "container", "container": first.name, "start": True}])
    assert again["changed"] is False and again["started"] == []


def test_running_condition_passes_before_the_container_is_healthy(engine):
    container = engine.containers.create(REDIS_IMAGE, ["sh", "-c", "sleep 30"],
                                         name="tersane-test-%s" % uuid.uuid4().hex[:8], labels=LABEL,
                                         healthcheck={"test": ["CMD", "false"], "interval": seconds(5)})
    result = gate([{"name": "sleeper", "type": "container", "container": container.name, "start": True,
                    "wait_for": "running", "timeout": 10}])
    assert not result.get("failed"), result
    container.reload()
    assert container.attrs["State"]["Health"]["Status"] == "starting"
