"""The converged catalog of stand-in services, checked on the real engine."""

import json
import os
import stat
import time
import urllib.request

import pytest
from conftest import PLATFORM, containers, identities
from docker_events import EventRecorder

SERVICES = ("store", "cache", "ledger", "gateway", "events", "billing", "notify", "report")
EDGES_HEALTHY = [("ledger", "store"), ("gateway", "ledger"), ("billing", "events"), ("notify", "events"),
                 ("report", "billing"), ("report", "notify")]
CONFIG_DIR = "/etc/tersane/%s/services" % PLATFORM
SECRETS_DIR = "/etc/tersane/%s/secrets/services" % PLATFORM


def env_of(container):
    return dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])


@pytest.mark.parametrize("name", SERVICES)
def test_service_is_healthy_hardened_and_labelled(engine, name):
    container = containers(engine)[name]
    attrs = container.attrs
    assert attrs["State"]["Health"]["Status"] == "healthy"
    assert attrs["Config"]["User"] == "10001:10001"
    host = attrs["HostConfig"]
    assert host["CapDrop"] == ["ALL"] and host["ReadonlyRootfs"] is True
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["Memory"] == 256 * 1024 * 1024
    for bindings in (host["PortBindings"] or {}).values():
        assert all(binding["HostIp"] == "127.0.0.1" for binding in bindings)
    labels = container.labels
    assert labels["org.tersane.platform"] == PLATFORM and labels["org.tersane.service"] == name
    assert len(labels["org.tersane.config-hash"]) == 64
    assert labels["org.tersane.logs.format"] == ("text" if name == "notify" else "json")
    assert attrs["NetworkSettings"]["Networks"][PLATFORM]["Aliases"].count(name) == 1


def test_metrics_labels_and_endpoint(engine):
    gateway = containers(engine)["gateway"]
    assert gateway.labels["org.tersane.metrics.port"] == "8080"
    assert gateway.labels["org.tersane.metrics.path"] == "/metrics"
    assert "org.tersane.metrics.port" not in containers(engine)["cache"].labels
    with urllib.request.urlopen("http://127.0.0.1:48081/metrics", timeout=5) as reply:
        assert 'standin_up{service="gateway"} 1' in reply.read().decode()


def test_environment_layers_in_precedence_order(engine):
    env = env_of(containers(engine)["gateway"])
    assert env["STANDIN_NAME"] == "gateway"            # catalog
    assert env["ENVIRONMENT_ONLY"] == "dev"            # environment layer, chosen by platform_env
    assert env["HOST_ONLY"] == "yes"                   # host layer
    assert env["LOG_LEVEL"] == "info"                  # the config file beats catalog, dev and host
    assert env["GREETING"] == "hello from the config repository"
    assert env["GATEWAY_UPSTREAM"] == "ledger:8080"


def test_file_secrets_stay_out_of_the_environment(engine):
    gateway = containers(engine)["gateway"]
    env = env_of(gateway)
    assert "API_TOKEN" not in env
    assert env["API_TOKEN_FILE"] == "/run/secrets/gateway/API_TOKEN"
    inspect = json.dumps(gateway.attrs)
    assert "test-only-token" not in inspect
    code, output = gateway.exec_run(["cat", "/run/secrets/gateway/API_TOKEN"], user="10001")
    assert code == 0 and output.decode() == "test-only-token with spaces & $igns"
    path = os.path.join(SECRETS_DIR, "gateway", "API_TOKEN")
    info = os.stat(path)
    assert stat.S_IMODE(info.st_mode) == 0o400 and info.st_uid == 10001


def test_env_secrets_reach_the_service_and_files_are_private(engine):
    assert env_of(containers(engine)["ledger"])["LEDGER_KEY"] == "test-only-ledger-key"
    for name in SERVICES:
        info = os.stat(os.path.join(CONFIG_DIR, name, "service.env"))
        assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == 0


def test_named_volume_is_the_platforms(engine):
    store = containers(engine)["store"]
    [mount] = [m for m in store.attrs["Mounts"] if m["Type"] == "volume"]
    assert mount["Name"] == "svctest_store-data" and mount["Destination"] == "/var/lib/store"
    assert engine.volumes.get("svctest_store-data").attrs["Labels"]["org.tersane.platform"] == PLATFORM


def test_dependents_start_only_after_their_dependencies_are_healthy(engine, playbook):
    """From scratch, Docker's own events show each dependent started after
    every dependency it needs healthy turned healthy."""
    for container in containers(engine).values():
        container.remove(force=True, v=True)
    with EventRecorder(engine, PLATFORM) as events:
        result = playbook("site.yml", "--tags", "services")
        assert result.returncode == 0, result.stdout[-3000:]
        wait_until_all_healthy(engine)
    assert set(events.started) == set(SERVICES)
    for dependent, dependency in EDGES_HEALTHY:
        assert events.started[dependent] > events.healthy[dependency], (dependent, dependency)


def wait_until_all_healthy(engine, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(c.attrs["State"]["Health"]["Status"] == "healthy" for c in containers(engine).values()):
            return
        time.sleep(0.2)
    raise AssertionError("not all healthy after %ss" % timeout)


def test_second_converge_changes_nothing(playbook):
    result = playbook("site.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "changed=0" in result.stdout


def test_config_change_recreates_only_that_container(engine, playbook, tmp_path):
    before = identities(engine)
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"services_host_env": {"gateway": {"HOST_ONLY": "yes"},
                                                       "report": {"REPORT_FORMAT": "pdf"}}}))
    result = playbook("site.yml", "-e", "@%s" % extra)
    assert result.returncode == 0, result.stdout[-3000:]
    after = identities(engine)
    assert after["report"][0] != before["report"][0]
    assert env_of(containers(engine)["report"])["REPORT_FORMAT"] == "pdf"
    assert {k: v for k, v in after.items() if k != "report"} == {k: v for k, v in before.items() if k != "report"}
    # and back: again only report changes
    assert playbook("site.yml").returncode == 0
    final = identities(engine)
    assert "REPORT_FORMAT" not in env_of(containers(engine)["report"])
    assert {k: v for k, v in final.items() if k != "report"} == {k: v for k, v in before.items() if k != "report"}


def test_unhealthy_dependency_stops_its_dependents_and_is_named(engine, playbook, tmp_path):
    for name in ("ledger", "gateway"):
        containers(engine)[name].remove(force=True, v=True)
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"services_host_env": {"gateway": {"HOST_ONLY": "yes"},
                                                       "store": {"STANDIN_HEALTHY": "false"}}}))
    result = playbook("site.yml", "-e", "@%s" % extra)
    assert result.returncode != 0
    assert "store" in result.stdout and "unhealthy" in result.stdout
    left = containers(engine)
    for name in ("ledger", "gateway"):  # created, never started
        assert name not in left or left[name].attrs["State"]["StartedAt"].startswith("0001-")
    # a healthy store again brings the chain back
    result = playbook("site.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert all(containers(engine)[name].status == "running" for name in ("ledger", "gateway"))


def test_profile_deploys_a_subset_with_its_dependencies(engine, playbook, tmp_path):
    platform = "svcsubset"
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"platform_name": platform, "platform_network": platform,
                                 "platform_services_enabled": "report", "platform_health_checks": []}))
    try:
        result = playbook("site.yml", "-e", "@%s" % extra)
        assert result.returncode == 0, result.stdout[-3000:]
        assert sorted(containers(engine, platform)) == ["billing", "events", "notify", "report"]
        assert "events is deployed too: billing, notify" in result.stdout
        assert "billing is deployed too: report" in result.stdout
        assert os.path.isdir("/etc/tersane/%s" % platform)
    finally:
        playbook("teardown.yml", extra_vars={"platform_name": platform, "platform_network": platform,
                                             "purge": "true"})
    assert containers(engine, platform) == {}
    assert not os.path.exists("/etc/tersane/%s" % platform)  # purge leaves no configuration or secret


def test_check_mode_on_the_converged_catalog_predicts_no_change(engine, playbook):
    before = identities(engine)
    result = playbook("site.yml", "--check", "--diff")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "changed=0" in result.stdout
    assert identities(engine) == before


def test_check_mode_predicts_a_config_change_without_making_it(engine, playbook, tmp_path):
    before = identities(engine)
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"services_host_env": {"gateway": {"HOST_ONLY": "no"}}}))
    result = playbook("site.yml", "--check", "--diff", "-e", "@%s" % extra)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "+HOST_ONLY=no" in result.stdout and "-HOST_ONLY=yes" in result.stdout
    assert "changed=0" not in result.stdout
    assert identities(engine) == before
    assert env_of(containers(engine)["gateway"])["HOST_ONLY"] == "yes"
