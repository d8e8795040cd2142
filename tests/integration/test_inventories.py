"""The example inventories pass the preflight checks (argument specs, catalog,
profile, health checks) as they are shipped. Preflight runs on the controller
only, so the inventories' hosts need not exist."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
VAULT_VALUES = ["vault_postgres_password", "vault_redis_password", "vault_rabbitmq_admin_password",
                "vault_orders_db_password", "vault_postgres_monitoring_password", "vault_grafana_admin_password",
                "vault_grafana_secret_key"]


def preflight(inventory, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(PROJECT / "inventories" / inventory),
               str(PROJECT / "playbooks" / "preflight.yml"), *args]
    for name in VAULT_VALUES:  # stand-ins for the ansible-vault file an operator writes
        command += ["-e", "%s=preflight-only-secret" % name]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("inventory, hosts", [
    ("local", ["localhost"]), ("dev", ["dev-1"]), ("prod", ["db-1", "mq-1", "app-1", "app-2", "mon-1", "sec-1"]),
    ("examples/sentiric", ["localhost"]), ("examples/bilancompetence", ["localhost"]),
    ("examples/altlas", ["localhost"]), ("examples/neurova", ["localhost"]),
])
def test_inventory_passes_preflight(inventory, hosts):
    result = preflight(inventory)
    assert result.returncode == 0, result.stdout[-3000:]
    for host in hosts:
        assert "ok: [%s]" % host in result.stdout


def test_prod_validates_each_role_only_where_it_runs():
    result = preflight("prod")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "ok: [db-1] => (item=postgres)" in result.stdout
    assert "ok: [mq-1] => (item=rabbitmq)" in result.stdout
    assert "(item=postgres)" not in "\n".join(line for line in result.stdout.splitlines() if "app-1" in line)
    for role in ("prometheus", "alertmanager", "loki", "tracing", "grafana"):
        assert "ok: [mon-1] => (item=%s)" % role in result.stdout
    for host in ("db-1", "app-1", "mon-1"):  # every host ships its logs and runs exporters
        assert "ok: [%s] => (item=alloy)" % host in result.stdout
        assert "ok: [%s] => (item=exporters)" % host in result.stdout
    assert "ok: [db-1] => (item=grafana)" not in result.stdout
    assert "ok: [sec-1] => (item=vault)" in result.stdout
    assert "(item=vault)" not in "\n".join(line for line in result.stdout.splitlines() if "sec-1" not in line)


def test_a_vault_group_of_two_hosts_is_refused_before_anything_changes(tmp_path):
    extra = tmp_path / "second-vault.yml"
    extra.write_text("all:\n  children:\n    platform:\n      children:\n        vault:\n"
                     "    vault:\n      hosts:\n        sec-2: {ansible_host: 10.20.0.52}\n")
    result = preflight("prod", "-i", str(extra))
    assert result.returncode != 0
    assert "The inventory's vault group has 2 hosts (sec-1, sec-2)" in result.stdout
    assert "TASK [Validate the platform health checks" not in result.stdout


def test_a_default_grafana_password_is_refused_before_anything_changes():
    result = preflight("prod", "-e", "grafana_admin_password=admin")
    assert result.returncode != 0
    assert "grafana_admin_password (at least 12 characters, never \"admin\")" in result.stdout
    assert "TASK [Refuse build mode" not in result.stdout  # every host stops, not only mon-1


def test_a_profile_names_what_it_adds():
    result = preflight("dev", "-e", "platform_services_enabled=orders")
    assert result.returncode == 0, result.stdout[-3000:]
    block = result.stdout.split("Say which services this profile deploys", 1)[1].split("TASK", 1)[0]
    deployed = block.split("deployed:", 1)[1].split("environment:", 1)[0].split()
    assert deployed == ["-", "postgres", "-", "redis", "-", "orders"]  # no rabbitmq: nothing needs it
    added = block.split("added_as_dependencies:", 1)[1].split("deployed:", 1)[0].split()
    assert added == ["postgres:", "-", "orders", "redis:", "-", "orders"]


SWARM_INVENTORY = ("all:\n  children:\n    swarm_managers:\n      hosts:\n        app-1:\n"
                   "    swarm_workers:\n      hosts:\n        app-2:\n%s")


@pytest.mark.parametrize("monitoring_in_swarm", [False, True])
def test_a_prometheus_watching_swarm_services_must_be_a_swarm_node(tmp_path, monitoring_in_swarm):
    inventory = tmp_path / "swarm.yml"
    inventory.write_text(SWARM_INVENTORY % ("        mon-1:\n" if monitoring_in_swarm else ""))
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"platform_services": [{"name": "api", "image": "registry.example.com/api:1.0", '
                       '"orchestrator": "swarm", "replicas": 2, "group": "apps", "metrics": {"port": 8080}}]}')
    result = preflight("prod", "-i", str(inventory), "-e", "@%s" % catalog)
    if monitoring_in_swarm:
        assert result.returncode == 0, result.stdout[-3000:]
        return
    assert result.returncode != 0
    assert ("Prometheus on mon-1 watches the Swarm services api (their metrics or probe entries) through the "
            "swarm's network, so mon-1 must be a node of the swarm: add it to the inventory group swarm_workers"
            in " ".join(result.stdout.split())), result.stdout[-3000:]
    assert "TASK [Check PostgreSQL's WAL archiving settings" not in result.stdout


@pytest.mark.parametrize("ledger_port, refused", [("18081:8081", True), ("10.20.0.41:18081:8081", False)])
@pytest.mark.parametrize("orchestrator", ["container", "swarm"])
def test_a_dependency_on_a_catalog_service_other_hosts_cannot_reach_is_refused(
        tmp_path, ledger_port, refused, orchestrator):
    """orders, a container on app-1 and app-2 or a Swarm service, depends on ledger, a
    container on mon-1: a Swarm replica always reaches it across hosts."""
    inventory = tmp_path / "swarm.yml"
    inventory.write_text(SWARM_INVENTORY % "        mon-1:\n")
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"platform_services": [
        {"name": "ledger", "image": "registry.example.com/ledger:1.0", "group": "monitoring", "ports": [ledger_port]},
        {"name": "orders", "image": "registry.example.com/orders:1.0", "depends_on": ["ledger"],
         "orchestrator": orchestrator}]}))
    result = preflight("prod", "-i", str(inventory), "-e", "@%s" % catalog)
    if refused:  # published on mon-1's loopback (services_bind_address) only
        assert result.returncode != 0
        for dependent in (["app-1", "app-2"] if orchestrator == "container" else ["the swarm"]):
            assert ("services of %s depend on ledger, which runs on mon-1 and publishes no TCP port other hosts "
                    "reach" % dependent) in " ".join(result.stdout.split()), result.stdout[-3000:]
    else:
        assert result.returncode == 0, result.stdout[-3000:]
