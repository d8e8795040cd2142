"""Each catalog service with a Vault identity finds its AppRole's role_id and secret_id
as 0400 files of its own user at /run/secrets/vault in its container, on the real
engine: the vault role writes them on the Vault host (vault1), the services role copies
them to the service's host (app1) and mounts them read-only. They log in to Vault and
read the service's own secrets; they are in no environment, no `docker inspect` and no
-vvv output; a secret_id the vault role replaced reaches the running container without
a restart; a missing credential stops the run, named, before anything changes.

Vault is the stand-in of fake_vault.py (its HTTP API in the shapes Vault documents): no
Vault image or package is available on this machine. The service runs
tersane/standin:bookworm, which the Molecule scenarios build first in CI; outside CI a
machine without it skips."""

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from fake_vault import ROLE_TASKS, FakeVault, make_tls, role_settings
from project_run import changed, converge, engine_with, playbook

IMAGE = "tersane/standin:bookworm"
NAME = "idtest"
HEALTH = {"test": "curl -fsS -o /dev/null http://127.0.0.1:8080/health", "interval": "1s", "retries": 3}
CATALOG = [{"name": "orders", "image": IMAGE, "env": {"STANDIN_NAME": "orders"}, "healthcheck": HEALTH},
           {"name": "reporter", "image": IMAGE, "env": {"STANDIN_NAME": "reporter"}, "healthcheck": HEALTH}]


def clean(client):
    for container in client.containers.list(all=True, filters={"label": "org.tersane.platform=" + NAME}):
        container.remove(force=True)
    for network in client.networks.list(names=[NAME]):
        network.remove()
    shutil.rmtree(Path("/etc/tersane") / NAME, ignore_errors=True)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    client = engine_with(IMAGE)
    root = tmp_path_factory.mktemp("vault-identity")
    fake = FakeVault(tls=make_tls(root / "vault-tls"))
    clean(client)
    (root / "vault-pass").write_text("vault-pass-for-the-identity-test\n")
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"children": {"vault": {"hosts": {"vault1": local}}, "apps": {"hosts": {"app1": local}}}}}
    (root / "hosts.yml").write_text(yaml.safe_dump(inventory))
    play = [{"name": "Vault", "hosts": "vault", "gather_facts": False, "tasks": ROLE_TASKS},
            {"name": "The catalog", "hosts": "apps", "gather_facts": False, "tasks": [
                {"name": "Network", "community.docker.docker_network": {"name": NAME}},
                {"name": "Services", "ansible.builtin.include_role": {"name": "tersane.platform.services"}}]}]
    (root / "site.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    settings = role_settings(fake, root, NAME + "/dev", vault_service_identities=[{"name": "orders"}],
                             vault_generated_secrets=[{"path": "orders"}, {"path": "reporter"}])
    settings.update({"platform_name": NAME, "platform_network": NAME, "platform_data_services": [],
                     "platform_services": CATALOG})
    (root / "settings.json").write_text(json.dumps(settings))
    try:
        first = converge(root, "-vvv")
        yield {"fake": fake, "root": root, "client": client, "first": first}
    finally:
        clean(client)
        fake.server.shutdown()
        fake.server.server_close()


def container(platform, name):
    return platform["client"].containers.get(NAME + "_" + name)


def run(box, command):
    """``command`` in the container, as its own user; its output."""
    code, output = box.exec_run(command)
    assert code == 0, output
    return output.decode()


def test_the_service_logs_in_with_its_own_files_and_reads_only_its_own_secrets(platform):
    fake, orders = platform["fake"], container(platform, "orders")
    assert run(orders, ["id", "-u"]).strip() == "10001"
    modes = run(orders, ["stat", "-c", "%a %u %n", "/run/secrets/vault/role_id", "/run/secrets/vault/secret_id"])
    assert modes.splitlines() == ["400 10001 /run/secrets/vault/role_id", "400 10001 /run/secrets/vault/secret_id"]
    role_id = run(orders, ["cat", "/run/secrets/vault/role_id"]).strip()
    secret_id = run(orders, ["cat", "/run/secrets/vault/secret_id"]).strip()
    assert role_id == fake.roles["orders"]["role_id"] and secret_id in fake.roles["orders"]["secret_ids"]
    status, login = fake.api("PUT", "/v1/auth/approle/login", {"role_id": role_id, "secret_id": secret_id}, None)
    assert status == 200
    token = login["auth"]["client_token"]
    assert fake.api("GET", "/v1/%s/dev/data/orders" % NAME, None, token)[0] == 200
    assert fake.api("GET", "/v1/%s/dev/data/reporter" % NAME, None, token)[0] == 403
    mount = [m for m in orders.attrs["Mounts"] if m["Destination"] == "/run/secrets/vault"]
    assert mount and not mount[0]["RW"] and mount[0]["Source"] == "/etc/tersane/%s/secrets/vault/orders" % NAME


def test_the_credentials_are_named_in_the_environment_and_shown_nowhere(platform):
    fake, orders = platform["fake"], container(platform, "orders")
    env = dict(item.split("=", 1) for item in orders.attrs["Config"]["Env"])
    assert env["VAULT_ROLE_ID_FILE"] == "/run/secrets/vault/role_id"
    assert env["VAULT_SECRET_ID_FILE"] == "/run/secrets/vault/secret_id"
    inspected = json.dumps(orders.attrs)
    first = platform["first"]
    secret_ids = list(fake.roles["orders"]["secret_ids"])
    assert secret_ids and [s for s in secret_ids if s in inspected or s in first.stdout or s in first.stderr] == []
    reporter = container(platform, "reporter")
    assert "VAULT_ROLE_ID_FILE" not in json.dumps(reporter.attrs["Config"]["Env"])
    assert [m for m in reporter.attrs["Mounts"] if m["Destination"] == "/run/secrets/vault"] == []


def test_a_second_converge_and_check_mode_change_nothing(platform):
    again = converge(platform["root"])
    assert changed(again) == {"app1": 0, "vault1": 0}, again.stdout[-4000:]
    checked = converge(platform["root"], "--check", "--diff")
    assert changed(checked) == {"app1": 0, "vault1": 0}, checked.stdout[-4000:]


def test_a_replaced_secret_id_reaches_the_running_container_without_a_restart(platform):
    fake, orders = platform["fake"], container(platform, "orders")
    started = orders.attrs["State"]["StartedAt"]
    before = run(orders, ["cat", "/run/secrets/vault/secret_id"]).strip()
    (platform["root"] / "identity" / "orders" / "secret_id").unlink()  # the vault role makes a new one
    converge(platform["root"])
    after = run(orders, ["cat", "/run/secrets/vault/secret_id"]).strip()
    assert after != before and after in fake.roles["orders"]["secret_ids"]
    orders.reload()
    assert orders.attrs["State"]["StartedAt"] == started and orders.attrs["State"]["Running"]


def test_a_credential_the_vault_host_lacks_stops_the_run_before_any_change(platform, tmp_path):
    empty = tmp_path / "no-identities"
    empty.mkdir()
    catalog = CATALOG + [{"name": "billing", "image": IMAGE, "healthcheck": HEALTH}]
    extra = {"platform_services": catalog, "services_vault_identities": ["orders", "billing"],
             "services_vault_source_dir": str(empty)}
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    result = playbook(platform["root"], "--limit", "app1", "-e", "@" + str(tmp_path / "extra.json"))
    assert result.returncode != 0
    said = " ".join(result.stdout.split())
    assert "%s/orders/role_id" % empty in said and "%s/billing/secret_id" % empty in said, said[-3000:]
    assert "cannot be read on vault1" in said
    assert not platform["client"].containers.list(all=True, filters={"name": NAME + "_billing"})
    assert not (Path("/etc/tersane") / NAME / "services" / "billing").exists()
